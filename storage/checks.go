package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sentinelle/status"
)

// Round is one pass of the checker over every service. A round is Voided
// when the vantage guard decided that the checker's own network, not the
// services, had failed (most services and every canary failed): it changed
// no state and announced nothing, and the status page says so.
type Round struct {
	ID             int64
	StartedAt      time.Time
	FinishedAt     time.Time
	Services       int
	Failed         int
	Canaries       int
	CanariesFailed int
	Voided         bool
}

// CheckResult is the raw outcome of one probe: the judgement of that probe
// alone (State, Reason), before the thresholds of the state machine.
type CheckResult struct {
	ID         int64
	RoundID    int64
	ServiceID  string
	At         time.Time
	State      status.State
	Reason     status.Reason
	HTTPStatus int
	Latency    time.Duration
	FinalURL   string
	Error      string
}

// CanaryPrefix starts the service_id under which canary probes are stored in
// check_results, followed by the canary's URL.
const CanaryPrefix = "canary:"

// Judge computes a service's next state from its previous one and the
// round's result. It is the checker's state machine; it must be pure (no
// Store call: it runs inside the round's transaction). Only the State,
// Reason, Since, Candidate, SeenURL and Unverified fields of what it
// returns are used.
type Judge func(prev ServiceState, r CheckResult) ServiceState

// RoundInput is everything RecordRound writes for one round.
type RoundInput struct {
	Round    Round
	Results  []CheckResult // one per service; At is taken from Round.StartedAt when zero
	Canaries []CheckResult // stored for the record, never judged
	Judge    Judge         // required unless Round.Voided
	// MaxGap is the longest time between two checks of a service that is
	// counted in the state it held; beyond it (the checker was stopped) the
	// time counts as unknown. Zero means DefaultMaxGap.
	MaxGap time.Duration
}

// DefaultMaxGap is the MaxGap of a RoundInput that leaves it zero: ten
// rounds of the default schedule.
const DefaultMaxGap = 10 * time.Minute

// Transition is a confirmed change of a service's judged state. Announced
// tells whether an event row was written for it (not during a maintenance,
// not for unknown→up).
type Transition struct {
	ServiceID  string
	From, To   status.State
	Reason     status.Reason
	At         time.Time
	Since      time.Time
	IncidentID int64
	Announced  bool
	EventID    int64
	EventKind  status.Kind // the kind of event EventID, "" when none was written
}

// RoundOutcome tells the checker what its round changed.
type RoundOutcome struct {
	RoundID     int64
	Transitions []Transition
	Events      int // event rows written, including announcements of states hidden by a maintenance that ended
	// Unverified lists the results whose service the Judge has just
	// marked unverified (it was not before this round): never seen
	// answering since it entered the catalog at its URL.
	Unverified []CheckResult
}

// RecordRound stores a round in one transaction: the round row, every
// result, and, unless the round is voided, for each service its next state
// (from Judge), the time elapsed since its previous check (uptime), the
// opening or closing of its incident and, for a change families must hear
// about, an event row. A voided round only stores its rows and counts the
// elapsed time as unknown: no state, candidate or event changes.
func (s *Store) RecordRound(ctx context.Context, in RoundInput) (RoundOutcome, error) {
	if !in.Round.Voided && in.Judge == nil {
		return RoundOutcome{}, errors.New("storage: record round: nil Judge")
	}
	if in.MaxGap <= 0 {
		in.MaxGap = DefaultMaxGap
	}
	var out RoundOutcome
	err := s.write(ctx, func(sqlTx *sql.Tx) error {
		out = RoundOutcome{}
		tx := &roundTx{tx: sqlTx}
		id, err := insertRound(ctx, sqlTx, in.Round)
		if err != nil {
			return err
		}
		out.RoundID = id
		at := in.Round.StartedAt
		for _, list := range [][]CheckResult{in.Results, in.Canaries} {
			for _, r := range list {
				if err := insertResult(ctx, tx, id, at, r); err != nil {
					return err
				}
			}
		}
		for _, r := range in.Results {
			if r.At.IsZero() {
				r.At = at
			}
			if in.Round.Voided {
				err = voidService(ctx, tx, r.ServiceID, at)
			} else {
				err = s.applyResult(ctx, tx, in, r, &out)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RoundOutcome{}, err
	}
	return out, nil
}

// applyResult moves one service forward: uptime since its previous check,
// the judged state, its incident and its announcement.
func (s *Store) applyResult(ctx context.Context, tx *roundTx, in RoundInput, r CheckResult, out *RoundOutcome) error {
	at := in.Round.StartedAt
	prev, err := getState(ctx, tx, r.ServiceID, at)
	if err != nil {
		return err
	}
	if err := attribute(ctx, tx, prev, at, in.MaxGap); err != nil {
		return err
	}
	j := in.Judge(prev, r)
	next := prev
	next.State, next.Reason, next.Since = j.State, j.Reason, j.Since
	next.CandidateState, next.CandidateReason = j.CandidateState, j.CandidateReason
	next.CandidateCount, next.CandidateSince = j.CandidateCount, j.CandidateSince
	next.SeenURL, next.Unverified = j.SeenURL, j.Unverified
	if next.Unverified && !prev.Unverified {
		out.Unverified = append(out.Unverified, r)
	}
	next.LastCheckedAt, next.LastState, next.LastReason = at, r.State, r.Reason
	next.LastHTTPStatus, next.LastLatency = r.HTTPStatus, r.Latency
	var tr *Transition
	if next.State != prev.State {
		tr = &Transition{ServiceID: r.ServiceID, From: prev.State, To: next.State, Reason: next.Reason, At: at, Since: next.Since}
		if tr.IncidentID, err = moveIncident(ctx, tx.tx, prev, next, at); err != nil {
			return err
		}
	}
	if !next.InMaintenance(at) && next.State != next.AnnouncedState {
		evID, kind, err := s.announce(ctx, tx.tx, next, r, at)
		if err != nil {
			return err
		}
		if evID != 0 {
			out.Events++
		}
		if tr != nil {
			tr.Announced, tr.EventID, tr.EventKind = evID != 0, evID, kind
		}
		next.AnnouncedState, next.AnnouncedSince = next.State, next.Since
	}
	if tr != nil {
		out.Transitions = append(out.Transitions, *tr)
	}
	return putState(ctx, tx, next)
}

// voidService counts the time since a service's previous check as unknown
// and moves its last check to at, so that the next round does not count
// the voided stretch in the state it held.
func voidService(ctx context.Context, tx *roundTx, id string, at time.Time) error {
	prev, err := getState(ctx, tx, id, at)
	if err != nil || prev.LastCheckedAt.IsZero() {
		return err
	}
	if err := addUptime(ctx, tx, id, status.Unknown, prev.LastCheckedAt, at); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `UPDATE service_states SET last_checked_at = ? WHERE service_id = ?`, ms(at), id)
	if err != nil {
		return fmt.Errorf("storage: void service %q: %w", id, err)
	}
	return nil
}

func insertRound(ctx context.Context, tx *sql.Tx, r Round) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO rounds (started_at, finished_at, services, failed, canaries, canaries_failed, voided)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		ms(r.StartedAt), ms(r.FinishedAt), r.Services, r.Failed, r.Canaries, r.CanariesFailed, boolInt(r.Voided))
	if err != nil {
		return 0, fmt.Errorf("storage: insert round: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("storage: insert round: %w", err)
	}
	return id, nil
}

func insertResult(ctx context.Context, tx *roundTx, roundID int64, at time.Time, r CheckResult) error {
	if !r.At.IsZero() {
		at = r.At
	}
	_, err := tx.exec(ctx, `INSERT INTO check_results (round_id, service_id, at, state, reason, http_status, latency_ms, final_url, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		roundID, r.ServiceID, ms(at), r.State, r.Reason, r.HTTPStatus, r.Latency.Milliseconds(), r.FinalURL, r.Error)
	if err != nil {
		return fmt.Errorf("storage: insert result %q: %w", r.ServiceID, err)
	}
	return nil
}

// roundTx is the transaction of a round. It prepares each distinct
// statement once: a round runs the same few statements for every service,
// and go-sqlite3 prepares on every unprepared Exec (BenchmarkRecordRound300:
// 44 ms a round unprepared, 9 ms prepared).
type roundTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // closed by the transaction's end
}

func (t *roundTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

func (t *roundTx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow falls back to the plain transaction when the statement cannot be
// prepared, so that the error surfaces from Scan as usual.
func (t *roundTx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const roundColumns = `id, started_at, finished_at, services, failed, canaries, canaries_failed, voided`

// LastRound returns the most recent round, so that the status page can say
// « vérification suspendue » when it was voided, or that checks stopped
// when it is old. ErrNotFound means no round ever ran.
func (s *Store) LastRound(ctx context.Context) (Round, error) {
	var r Round
	var started, finished int64
	var voided int
	err := s.r.QueryRowContext(ctx, `SELECT `+roundColumns+` FROM rounds ORDER BY id DESC LIMIT 1`).
		Scan(&r.ID, &started, &finished, &r.Services, &r.Failed, &r.Canaries, &r.CanariesFailed, &voided)
	if errors.Is(err, sql.ErrNoRows) {
		return Round{}, ErrNotFound
	}
	if err != nil {
		return Round{}, fmt.Errorf("storage: read last round: %w", err)
	}
	r.StartedAt, r.FinishedAt, r.Voided = fromMS(started), fromMS(finished), voided == 1
	return r, nil
}

// RecentResults returns a service's results since a time, oldest first: the
// latency series of the status page (24 h at one round a minute is 1 440
// rows).
func (s *Store) RecentResults(ctx context.Context, serviceID string, since time.Time) ([]CheckResult, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, round_id, service_id, at, state, reason, http_status, latency_ms, final_url, error
		FROM check_results WHERE service_id = ? AND at >= ? ORDER BY at, id`, serviceID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("storage: recent results %q: %w", serviceID, err)
	}
	defer rows.Close()
	var out []CheckResult
	for rows.Next() {
		var r CheckResult
		var at, latency int64
		if err := rows.Scan(&r.ID, &r.RoundID, &r.ServiceID, &at, &r.State, &r.Reason, &r.HTTPStatus, &latency, &r.FinalURL, &r.Error); err != nil {
			return nil, fmt.Errorf("storage: recent results %q: %w", serviceID, err)
		}
		r.At, r.Latency = fromMS(at), time.Duration(latency)*time.Millisecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: recent results %q: %w", serviceID, err)
	}
	return out, nil
}

// PruneResults deletes the rounds and raw results older than before and
// returns how many results went. Uptime, states and incidents are kept. It
// is cheap enough to call after every round: the indexes on the times make
// an empty prune a single lookup.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM check_results WHERE round_id IN (SELECT id FROM rounds WHERE started_at < ?)`, ms(before))
		if err != nil {
			return fmt.Errorf("storage: prune results: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("storage: prune results: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rounds WHERE started_at < ?`, ms(before)); err != nil {
			return fmt.Errorf("storage: prune rounds: %w", err)
		}
		return nil
	})
	return n, err
}
