package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"sentinelle/status"
)

// Incident is an outage as families lived it: it opens when a service is
// judged down and closes when the service is judged usable again, up or
// degraded (a slow ENT is usable; the slowness is its own, milder, state).
// StartedAt is the first failing probe of the streak that confirmed the
// outage and EndedAt the first good probe of the streak that ended it, so
// that « en panne depuis 7 h 30 » is the time families started to suffer.
type Incident struct {
	ID          int64
	ServiceID   string
	Reason      status.Reason // the cause judged when it opened: timeout, waiting_room…
	StartedAt   time.Time     //
	EndedAt     time.Time     // zero while open
	EndState    status.State  // up or degraded once closed
	Maintenance bool          // opened during a declared maintenance
}

// Open reports whether the incident is still going on.
func (i Incident) Open() bool { return i.EndedAt.IsZero() }

// Duration is how long the outage lasted, or has lasted until now when it is
// still open.
func (i Incident) Duration(now time.Time) time.Duration {
	if i.Open() {
		return now.Sub(i.StartedAt)
	}
	return i.EndedAt.Sub(i.StartedAt)
}

// IncidentFilter selects incidents for the status page and the bot. Empty
// ServiceIDs means every service; a zero Since means all time, otherwise
// incidents still open or ended at or after Since; Limit 0 means no limit.
type IncidentFilter struct {
	ServiceIDs []string
	Since      time.Time
	Limit      int
}

const incidentColumns = `id, service_id, reason, started_at, COALESCE(ended_at, 0), end_state, maintenance`

func scanIncident(row rowScanner) (Incident, error) {
	var in Incident
	var started, ended int64
	var maint int
	if err := row.Scan(&in.ID, &in.ServiceID, &in.Reason, &started, &ended, &in.EndState, &maint); err != nil {
		return Incident{}, err
	}
	in.StartedAt, in.EndedAt, in.Maintenance = fromMS(started), fromMS(ended), maint == 1
	return in, nil
}

// OpenIncidents returns the outages going on now, oldest first.
func (s *Store) OpenIncidents(ctx context.Context) ([]Incident, error) {
	return s.queryIncidents(ctx, `SELECT `+incidentColumns+` FROM incidents WHERE ended_at IS NULL ORDER BY started_at, id`)
}

// Incidents returns the incidents the filter selects, newest first.
func (s *Store) Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var where []string
	var args []any
	if len(f.ServiceIDs) > 0 {
		where = append(where, "service_id IN (?"+strings.Repeat(", ?", len(f.ServiceIDs)-1)+")")
		for _, id := range f.ServiceIDs {
			args = append(args, id)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "(ended_at IS NULL OR ended_at >= ?)")
		args = append(args, ms(f.Since))
	}
	q := `SELECT ` + incidentColumns + ` FROM incidents`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY started_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return s.queryIncidents(ctx, q, args...)
}

func (s *Store) queryIncidents(ctx context.Context, q string, args ...any) ([]Incident, error) {
	return queryAll(ctx, s.r, "storage: list incidents", scanIncident, q, args...)
}

// OpenIncident opens an outage of a service, started at startedAt for the
// given reason, and returns its id. maintenance marks an outage that began
// during a declared maintenance.
func (t *Tx) OpenIncident(ctx context.Context, serviceID string, reason status.Reason, startedAt time.Time, maintenance bool) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO incidents (service_id, reason, started_at, maintenance) VALUES (?, ?, ?, ?) RETURNING id`,
		serviceID, reason, ms(startedAt), boolInt(maintenance)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("storage: open incident of %q: %w", serviceID, err)
	}
	return id, nil
}

// CloseIncident closes the service's open incident, ended at endedAt into
// endState ("" when there is none to tell), and returns its id, or 0 when
// no incident was open.
func (t *Tx) CloseIncident(ctx context.Context, serviceID string, endedAt time.Time, endState status.State) (int64, error) {
	id, err := t.OpenIncidentID(ctx, serviceID)
	if err != nil || id == 0 {
		return 0, err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE incidents SET ended_at = ?, end_state = ? WHERE id = ?`, ms(endedAt), endState, id)
	if err != nil {
		return 0, fmt.Errorf("storage: close incident of %q: %w", serviceID, err)
	}
	return id, nil
}

// OpenIncidentID returns the id of the service's open incident, or 0.
func (t *Tx) OpenIncidentID(ctx context.Context, serviceID string) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE service_id = ? AND ended_at IS NULL`, serviceID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read open incident of %q: %w", serviceID, err)
	}
	return id, nil
}

// LatestIncidentID returns the id of the service's most recent incident,
// open or closed, or 0.
func (t *Tx) LatestIncidentID(ctx context.Context, serviceID string) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE service_id = ? ORDER BY started_at DESC, id DESC LIMIT 1`, serviceID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read latest incident of %q: %w", serviceID, err)
	}
	return id, nil
}
