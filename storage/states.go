package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sentinelle/status"
)

// ServiceState is what Sentinelle believes about one service, kept across
// restarts so that thresholds continue where they were and a known outage is
// neither announced twice nor forgotten.
//
// State, Reason and Since are the judged state (what the status page and the
// bot show). The Candidate fields are the streak of consecutive rounds that
// point to another state: when CandidateCount reaches DOWN_AFTER or UP_AFTER
// the checker confirms it. AnnouncedState is what families were last told;
// it lags State only while a maintenance hides the changes. The Last fields
// are the latest probe, whatever the judgement.
type ServiceState struct {
	ServiceID        string
	State            status.State
	Reason           status.Reason
	Since            time.Time
	CandidateState   status.State // "" when no streak
	CandidateReason  status.Reason
	CandidateCount   int
	CandidateSince   time.Time
	AnnouncedState   status.State
	AnnouncedSince   time.Time
	LastCheckedAt    time.Time
	LastState        status.State
	LastReason       status.Reason
	LastHTTPStatus   int
	LastLatency      time.Duration
	MaintenanceUntil time.Time
	// SeenURL is the catalog URL at which the service was last seen
	// answering as itself, "" when never since it entered the catalog at
	// its URL, SeenURLUnrecorded for a service seen before migration 005.
	// Unverified is set by the checker while every result since then was
	// bad (a catalog problem): nothing is announced for the service and its
	// time counts as unknown. Storage keeps both; the checker decides them.
	SeenURL    string
	Unverified bool
}

// SeenURLUnrecorded is the SeenURL that migration 005 gave a service seen
// before it, at a URL it did not record.
const SeenURLUnrecorded = "*"

// InMaintenance reports whether an operator declared the service in
// maintenance at t: it is still probed and shown, but its changes of state
// are not announced.
func (st ServiceState) InMaintenance(t time.Time) bool {
	return st.MaintenanceUntil.After(t)
}

// newServiceState is the row of a service seen for the first time.
func newServiceState(id string, at time.Time) ServiceState {
	return ServiceState{ServiceID: id, State: status.Unknown, Since: at, AnnouncedState: status.Unknown, AnnouncedSince: at}
}

const stateColumns = `service_id, state, reason, since, candidate_state, candidate_reason,
	candidate_count, candidate_since, announced_state, announced_since, last_checked_at,
	last_state, last_reason, last_http_status, last_latency_ms, maintenance_until, seen_url, unverified`

type rowScanner interface{ Scan(dest ...any) error }

func scanState(row rowScanner) (ServiceState, error) {
	var st ServiceState
	var since, candSince, annSince, checked, latency, maint int64
	var unverified int
	err := row.Scan(&st.ServiceID, &st.State, &st.Reason, &since, &st.CandidateState, &st.CandidateReason,
		&st.CandidateCount, &candSince, &st.AnnouncedState, &annSince, &checked,
		&st.LastState, &st.LastReason, &st.LastHTTPStatus, &latency, &maint, &st.SeenURL, &unverified)
	if err != nil {
		return ServiceState{}, err
	}
	st.Unverified = unverified == 1
	st.Since, st.CandidateSince, st.AnnouncedSince = fromMS(since), fromMS(candSince), fromMS(annSince)
	st.LastCheckedAt, st.MaintenanceUntil = fromMS(checked), fromMS(maint)
	st.LastLatency = time.Duration(latency) * time.Millisecond
	return st, nil
}

// ServiceStates returns the state of every service the checker has judged
// or an operator has put in maintenance, sorted by service id. A service of
// the catalog without a row has never been checked: show it as unknown.
func (s *Store) ServiceStates(ctx context.Context) ([]ServiceState, error) {
	return queryAll(ctx, s.r, "storage: list service states", scanState,
		`SELECT `+stateColumns+` FROM service_states ORDER BY service_id`)
}

// SetMaintenance declares a service in maintenance until the given time, or
// ends the maintenance when until is the zero time. During a maintenance the
// service is still probed, its state still changes and incidents are still
// recorded, but no event is written, so nobody is told. When the maintenance
// ends, the next round announces the difference between what families were
// last told and the state then (an outage that outlasts the maintenance is
// announced; a service back up says nothing).
func (t *Tx) SetMaintenance(ctx context.Context, serviceID string, until time.Time) error {
	if serviceID == "" {
		return errors.New("storage: set maintenance: empty service id")
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO service_states (service_id, since, announced_since, maintenance_until)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (service_id) DO UPDATE SET maintenance_until = excluded.maintenance_until`,
		serviceID, t.now, t.now, ms(until))
	if err != nil {
		return fmt.Errorf("storage: set maintenance %q: %w", serviceID, err)
	}
	return nil
}

// ServiceState reads a service's row inside the transaction, so that what
// the round decides from it cannot be overtaken by a concurrent write (the
// bot's /maintenance); a service never seen gets a fresh unknown state
// dated at.
func (t *Tx) ServiceState(ctx context.Context, id string, at time.Time) (ServiceState, error) {
	st, err := scanState(t.queryRow(ctx, `SELECT `+stateColumns+` FROM service_states WHERE service_id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return newServiceState(id, at), nil
	}
	if err != nil {
		return ServiceState{}, fmt.Errorf("storage: read service state %q: %w", id, err)
	}
	return st, nil
}

// PutServiceState writes a service's whole row, inserting it when new.
func (t *Tx) PutServiceState(ctx context.Context, st ServiceState) error {
	_, err := t.exec(ctx, `INSERT INTO service_states (`+stateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (service_id) DO UPDATE SET
			state = excluded.state, reason = excluded.reason, since = excluded.since,
			candidate_state = excluded.candidate_state, candidate_reason = excluded.candidate_reason,
			candidate_count = excluded.candidate_count, candidate_since = excluded.candidate_since,
			announced_state = excluded.announced_state, announced_since = excluded.announced_since,
			last_checked_at = excluded.last_checked_at, last_state = excluded.last_state,
			last_reason = excluded.last_reason, last_http_status = excluded.last_http_status,
			last_latency_ms = excluded.last_latency_ms, maintenance_until = excluded.maintenance_until,
			seen_url = excluded.seen_url, unverified = excluded.unverified`,
		st.ServiceID, st.State, st.Reason, ms(st.Since), st.CandidateState, st.CandidateReason,
		st.CandidateCount, ms(st.CandidateSince), st.AnnouncedState, ms(st.AnnouncedSince), ms(st.LastCheckedAt),
		st.LastState, st.LastReason, st.LastHTTPStatus, st.LastLatency.Milliseconds(), ms(st.MaintenanceUntil),
		st.SeenURL, boolInt(st.Unverified))
	if err != nil {
		return fmt.Errorf("storage: write service state %q: %w", st.ServiceID, err)
	}
	return nil
}
