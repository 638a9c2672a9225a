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
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list incidents: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list incidents: %w", err)
	}
	return out, nil
}

// moveIncident opens an incident when a service becomes down and closes it
// when it leaves down. It returns the incident concerned, or 0.
func moveIncident(ctx context.Context, tx *sql.Tx, prev, next ServiceState, at time.Time) (int64, error) {
	switch {
	case prev.State == status.Down:
		id, err := openIncidentID(ctx, tx, next.ServiceID)
		if err != nil || id == 0 {
			return 0, err
		}
		end := next.State
		if end == status.Unknown { // its URL changed in the catalog: no end state to tell
			end = ""
		}
		_, err = tx.ExecContext(ctx, `UPDATE incidents SET ended_at = ?, end_state = ? WHERE id = ?`, ms(next.Since), end, id)
		if err != nil {
			return 0, fmt.Errorf("storage: close incident of %q: %w", next.ServiceID, err)
		}
		return id, nil
	case next.State == status.Down:
		res, err := tx.ExecContext(ctx, `INSERT INTO incidents (service_id, reason, started_at, maintenance) VALUES (?, ?, ?, ?)`,
			next.ServiceID, next.Reason, ms(next.Since), boolInt(prev.InMaintenance(at)))
		if err != nil {
			return 0, fmt.Errorf("storage: open incident of %q: %w", next.ServiceID, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return 0, fmt.Errorf("storage: open incident of %q: %w", next.ServiceID, err)
		}
		return id, nil
	}
	return 0, nil
}

// openIncidentID returns the id of the service's open incident, or 0.
func openIncidentID(ctx context.Context, tx *sql.Tx, serviceID string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE service_id = ? AND ended_at IS NULL`, serviceID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read open incident of %q: %w", serviceID, err)
	}
	return id, nil
}

// latestIncidentID returns the id of the service's most recent incident,
// open or closed, or 0.
func latestIncidentID(ctx context.Context, tx *sql.Tx, serviceID string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM incidents WHERE service_id = ? ORDER BY started_at DESC, id DESC LIMIT 1`, serviceID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: read latest incident of %q: %w", serviceID, err)
	}
	return id, nil
}
