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
// no state and announced nothing, and the status page says so. When
// several instances share the database, a round is one instance's (its
// Vantage) and its counts and Voided are that instance's own.
type Round struct {
	ID             int64
	Vantage        string // the instance that ran it (VANTAGE); '' before migration 008
	StartedAt      time.Time
	FinishedAt     time.Time
	Services       int
	Failed         int
	Canaries       int
	CanariesFailed int
	Voided         bool
	// Judged tells that the vote judged the round: the leader recorded it
	// (checker.Record), moving the states from it, or voiding it. A
	// follower's round, and any round before migration 011, is not.
	Judged bool
}

// CheckResult is the raw outcome of one probe: the judgement of that probe
// alone (State, Reason), before the thresholds of the state machine.
type CheckResult struct {
	ID         int64
	RoundID    int64
	Vantage    string // the instance that probed; InsertResult writes it, '' before migration 008
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

// VoidUptime counts the time since a service's previous check as unknown
// and moves its last check to at, so that the next round does not count
// the voided stretch in the state it held. A service never checked is left
// alone.
func (t *Tx) VoidUptime(ctx context.Context, id string, at time.Time) error {
	prev, err := t.ServiceState(ctx, id, at)
	if err != nil || prev.LastCheckedAt.IsZero() {
		return err
	}
	if err := addUptime(ctx, t, id, status.Unknown, prev.LastCheckedAt, at); err != nil {
		return err
	}
	_, err = t.exec(ctx, `UPDATE service_states SET last_checked_at = ? WHERE service_id = ?`, ms(at), id)
	if err != nil {
		return fmt.Errorf("storage: void service %q: %w", id, err)
	}
	return nil
}

// InsertRound writes a round's row and returns its id, under which its
// results are then written.
func (t *Tx) InsertRound(ctx context.Context, r Round) (int64, error) {
	var id int64
	err := t.tx.QueryRowContext(ctx, `INSERT INTO rounds (vantage, started_at, finished_at, services, failed, canaries, canaries_failed, voided, judged)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Vantage, ms(r.StartedAt), ms(r.FinishedAt), r.Services, r.Failed, r.Canaries, r.CanariesFailed, boolInt(r.Voided), boolInt(r.Judged)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("storage: insert round: %w", err)
	}
	return id, nil
}

// InsertResult writes one probe's result (a service's or a canary's) in
// the round roundID, dated r.At.
func (t *Tx) InsertResult(ctx context.Context, roundID int64, r CheckResult) error {
	_, err := t.exec(ctx, `INSERT INTO check_results (round_id, vantage, service_id, at, state, reason, http_status, latency_ms, final_url, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		roundID, r.Vantage, r.ServiceID, ms(r.At), r.State, r.Reason, r.HTTPStatus, r.Latency.Milliseconds(), r.FinalURL, r.Error)
	if err != nil {
		return fmt.Errorf("storage: insert result %q: %w", r.ServiceID, err)
	}
	return nil
}

// stmt prepares each distinct statement once for the transaction's
// lifetime: a round runs the same few statements for every service, and
// go-sqlite3 prepares on every unprepared Exec (the checker's
// BenchmarkRecordRound300: 44 ms a round unprepared, 9 ms prepared). The statements are closed by
// the transaction's end.
func (t *Tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
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

func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow falls back to the plain transaction when the statement cannot be
// prepared, so that the error surfaces from Scan as usual.
func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
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

const roundColumns = `id, vantage, started_at, finished_at, services, failed, canaries, canaries_failed, voided, judged`

// scanRound reads a row of roundColumns.
func scanRound(row rowScanner) (Round, error) {
	var r Round
	var started, finished int64
	var voided, judged int
	if err := row.Scan(&r.ID, &r.Vantage, &started, &finished, &r.Services, &r.Failed, &r.Canaries, &r.CanariesFailed, &voided, &judged); err != nil {
		return Round{}, err
	}
	r.StartedAt, r.FinishedAt, r.Voided, r.Judged = fromMS(started), fromMS(finished), voided == 1, judged == 1
	return r, nil
}

const resultColumns = `id, round_id, vantage, service_id, at, state, reason, http_status, latency_ms, final_url, error`

// scanResult reads a row of resultColumns.
func scanResult(row rowScanner) (CheckResult, error) {
	var r CheckResult
	var at, latency int64
	if err := row.Scan(&r.ID, &r.RoundID, &r.Vantage, &r.ServiceID, &at, &r.State, &r.Reason, &r.HTTPStatus, &latency, &r.FinalURL, &r.Error); err != nil {
		return CheckResult{}, err
	}
	r.At, r.Latency = fromMS(at), time.Duration(latency)*time.Millisecond
	return r, nil
}

// LastRound returns the most recent round, so that the status page can say
// « vérification suspendue » when it was voided, or that checks stopped
// when it is old. ErrNotFound means no round ever ran.
func (s *Store) LastRound(ctx context.Context) (Round, error) {
	return s.lastRound(ctx, "last round", `SELECT `+roundColumns+` FROM rounds ORDER BY id DESC LIMIT 1`)
}

// lastJudgedSQL selects the most recent judged round, by the partial
// index rounds_judged: never a walk back through the followers' rounds.
const lastJudgedSQL = `SELECT ` + roundColumns + ` FROM rounds WHERE judged = 1 ORDER BY id DESC LIMIT 1`

// LastJudgedRound returns the most recent round the vote judged (see
// Round.Judged), so that the status page can tell when the states stopped
// moving although some instance still probes. ErrNotFound means none since
// migration 011.
func (s *Store) LastJudgedRound(ctx context.Context) (Round, error) {
	return s.lastRound(ctx, "last judged round", lastJudgedSQL)
}

// lastRound reads the one round q selects; what names it in errors.
func (s *Store) lastRound(ctx context.Context, what, q string) (Round, error) {
	r, err := scanRound(s.r.QueryRowContext(ctx, q))
	if errors.Is(err, sql.ErrNoRows) {
		return Round{}, ErrNotFound
	}
	if err != nil {
		return Round{}, fmt.Errorf("storage: read %s: %w", what, err)
	}
	return r, nil
}

// RecentResults returns a service's results since a time, oldest first: the
// latency series of the status page (24 h at one round a minute is 1 440
// rows).
func (s *Store) RecentResults(ctx context.Context, serviceID string, since time.Time) ([]CheckResult, error) {
	return queryAll(ctx, s.r, fmt.Sprintf("storage: recent results %q", serviceID), scanResult,
		`SELECT `+resultColumns+` FROM check_results WHERE service_id = ? AND at >= ? ORDER BY at, id`, serviceID, ms(since))
}

// PruneResults deletes the rounds and raw results older than before and
// returns how many results went. Uptime, states and incidents are kept. It
// is cheap enough to call after every round: the indexes on the times make
// an empty prune a single lookup.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *dbTx) error {
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
