package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Engine is the SQL dialect of a database: what little differs between
// SQLite and PostgreSQL in a statement written once for both. Its one
// dialect difference for now is engineNow; gatus keeps such differences as
// small and as visible.
type Engine int

const (
	// SQLite is the default engine, one machine, one process.
	SQLite Engine = iota
	// PostgreSQL is the engine shared by several instances.
	PostgreSQL
)

// String names the engine, for logs and test names.
func (e Engine) String() string {
	switch e {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgres"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// now is the SQL expression of the database's current time in
// milliseconds since the Unix epoch, the one place where the engines'
// SQL differs for leases. Leases are measured on this clock,
// the one clock all instances share: measured on each instance's own, a
// skew between two machines could give two leaders. Both expressions give
// the same value wherever they appear in one statement: SQLite's 'now' is
// fixed per statement, and PostgreSQL's statement_timestamp() is when the
// statement arrived, not clock_timestamp() (which moves during it).
func (e Engine) now() string {
	if e == PostgreSQL {
		return `(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::BIGINT`
	}
	return `CAST(unixepoch('subsec') * 1000 AS INTEGER)`
}

// Lease runs the lease operations on a database of either engine: a
// Store's (Store.Lease), or any *sql.DB of the schema (the SQLite writer
// in tests). It decides nothing: who
// should hold which lease, how long and how often to renew it is the
// caller's policy (package leader).
//
// Its SQL is written once for both engines, with $1, $2… placeholders:
// PostgreSQL reads them by number, but go-sqlite3 binds them by order of
// first appearance (in "SELECT $2, $1", $2 gets the first argument), so a
// statement here names $1, $2… first in that order.
type Lease struct {
	DB     *sql.DB
	Engine Engine
}

// Lease is the store's database as leases, for the Elector of instances
// sharing a PostgreSQL database; on PostgreSQL its statements run on the
// pool, outside the writers' lock, so that a renewal never waits behind
// a fan-out. On SQLite one process always leads (leader.Always) and takes
// no lease: a renewal would queue behind the one writer's transactions.
func (s *Store) Lease() Lease { return Lease{DB: s.w, Engine: s.engine} }

// LeaseState is a lease as one operation left it.
type LeaseState struct {
	// Held says whether the caller holds the lease now.
	Held bool
	// Holder is who holds it: the caller when Held, else whoever held it
	// last (possibly expired), or "" when nobody ever did.
	Holder string
	// Fence is the holder's fencing token: it grows by one at every change
	// of holder and never on a renewal. 0 when nobody ever held the lease.
	Fence int64
	// ExpiresAt is when the lease ends, on the database's clock.
	ExpiresAt time.Time
}

// Acquire takes the lease name for holder for d, measured on the
// database's clock, or renews it when holder has it already: in one
// statement, so that of two instances racing for a free lease exactly one
// gets it. It succeeds when nobody holds the lease, when holder does, or
// when the lease expired (its expires_at is not after the database's now).
// The fence grows by one only when the holder changes. When another
// holder's lease is still running, it returns Held false and that holder,
// and changes nothing.
func (l Lease) Acquire(ctx context.Context, name, holder string, d time.Duration) (LeaseState, error) {
	if d <= 0 {
		return LeaseState{}, fmt.Errorf("storage: acquire lease %s: duration %v, want > 0", name, d)
	}
	tx, err := l.DB.BeginTx(ctx, nil)
	if err != nil {
		return LeaseState{}, fmt.Errorf("storage: acquire lease %s: %w", name, err)
	}
	defer tx.Rollback()
	if l.Engine == PostgreSQL {
		// The upsert locks the lease's row until commit: a holder frozen
		// before its commit must not keep every other instance from it.
		if _, err := tx.ExecContext(ctx, `SELECT set_config('idle_in_transaction_session_timeout', $1, true)`, postgresIdleInTransaction); err != nil {
			return LeaseState{}, fmt.Errorf("storage: acquire lease %s: %w", name, err)
		}
	}
	now := l.Engine.now()
	st := LeaseState{Held: true, Holder: holder}
	var expires int64
	err = tx.QueryRowContext(ctx, `INSERT INTO leases (name, holder, fence, expires_at, acquired_at)
		VALUES ($1, $2, 1, `+now+` + $3, `+now+`)
		ON CONFLICT (name) DO UPDATE SET
			fence = CASE WHEN leases.holder = excluded.holder THEN leases.fence ELSE leases.fence + 1 END,
			acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END,
			holder = excluded.holder,
			expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
		RETURNING fence, expires_at`, name, holder, d.Milliseconds()).Scan(&st.Fence, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		// Another holder's lease runs: say whose, read in the same
		// transaction (PostgreSQL locked the row; SQLite has one writer).
		st.Held = false
		err = tx.QueryRowContext(ctx, `SELECT holder, fence, expires_at FROM leases WHERE name = $1`, name).
			Scan(&st.Holder, &st.Fence, &expires)
	}
	if err != nil {
		return LeaseState{}, fmt.Errorf("storage: acquire lease %s: %w", name, err)
	}
	if err := tx.Commit(); err != nil {
		return LeaseState{}, fmt.Errorf("storage: acquire lease %s: commit: %w", name, err)
	}
	st.ExpiresAt = time.UnixMilli(expires).UTC()
	return st, nil
}

// Release ends holder's lease name at once, on a clean shutdown, so that
// another instance takes over at its next attempt instead of waiting for
// the lease to run out. The row keeps its holder and fence: the next
// holder gets fence + 1. It reports whether holder was the lease's holder
// (its lease maybe expired already); a lease another holder took
// meanwhile is left alone.
func (l Lease) Release(ctx context.Context, name, holder string) (bool, error) {
	res, err := l.DB.ExecContext(ctx, `UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2`, name, holder)
	if err != nil {
		return false, fmt.Errorf("storage: release lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: release lease %s: %w", name, err)
	}
	return n > 0, nil
}
