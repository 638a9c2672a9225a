package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx"
)

// postgresWriteLock is the key of the transaction-level advisory lock
// every write transaction takes first on PostgreSQL ("sntw"): see write.
const postgresWriteLock = 0x736e7477

// postgresIdleInTransaction is how long PostgreSQL waits on a client that
// went silent inside one of its transactions before it ends the client's
// session, rolling the transaction back and releasing its locks: the
// writers' lock, and the row locks of the leases. A client frozen there
// (a paused VM, a stopped process) or cut off by the network would
// otherwise hold them until its TCP connection is declared dead, hours
// later, and no other instance could write, nor take over the lease.
// Sentinelle's own transactions never wait on their client that long
// between two statements. Set per transaction (set_config's is_local),
// so a URL's own default for the session is left alone elsewhere.
var postgresIdleInTransaction = "5s" // a variable for its test only

// OpenPostgres opens the PostgreSQL database at dsn (a postgres:// URL,
// DATABASE_URL) and applies the migrations it lacks. now is the clock
// used for timestamps the store writes itself.
//
// It is a function of its own rather than Open taking a URL: Open's
// argument is a file (it checks its directory, its mode, SQLite's
// pragmas), this one a server, and neither has anything to check of the
// other's.
//
// One pool serves reads and writes. Storage's code reads then writes in
// one transaction and relies on no other writer coming in between, as
// SQLite's one writer connection (BEGIN IMMEDIATE) guarantees; on
// PostgreSQL every write transaction starts with pg_advisory_xact_lock on
// one key, which serializes writers across connections and instances
// alike and is released at commit or rollback. Reads do not take it.
//
// Not every query runs on PostgreSQL yet: the package doc says which do.
func OpenPostgres(ctx context.Context, dsn string, now func() time.Time) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("storage: empty PostgreSQL URL")
	}
	if now == nil {
		now = time.Now
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: open PostgreSQL: %w", err)
	}
	if err := migratePostgres(ctx, db, now()); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{w: db, r: &dbPool{DB: db, engine: PostgreSQL}, engine: PostgreSQL, now: now}, nil
}

// postgresJSONInt is the integer at key of the JSON object (TEXT) in
// column col; PostgreSQL's ->> gives text, cast as SQLite's json_extract
// gives an integer.
func postgresJSONInt(col, key string) string { return `(` + col + `::jsonb ->> '` + key + `')::BIGINT` }

// postgresJSONTexts are the texts of the JSON array in param.
func postgresJSONTexts(param string) string {
	return `SELECT value FROM jsonb_array_elements_text(CAST(` + param + ` AS jsonb)) AS elements (value)`
}

// postgresJSONInts are the integers of the JSON array in param: typed, as
// PostgreSQL compares no BIGINT column with text.
func postgresJSONInts(param string) string {
	return `SELECT CAST(value AS BIGINT) FROM jsonb_array_elements_text(CAST(` + param + ` AS jsonb)) AS elements (value)`
}

// postgresJSONArrayOf is json_agg, which gives NULL, not [], for no rows.
func postgresJSONArrayOf(expr string) string { return `COALESCE(json_agg(` + expr + `), '[]')` }

func postgresJSONObject(pairs string) string { return `json_build_object(` + pairs + `)` }

// postgresSkipLocked locks the rows a claim reads and skips those
// another transaction locked. The writers' advisory lock (see write)
// already serializes claims; this is the per-row guard, which holds
// should a claim ever run without it.
func postgresSkipLocked(table string) string {
	if table == "" {
		return ` FOR UPDATE SKIP LOCKED`
	}
	return ` FOR UPDATE OF ` + table + ` SKIP LOCKED`
}

// postgresStatement is a statement said for PostgreSQL: its text, and
// the names of its named parameters in the order of $1, $2…
type postgresStatement struct {
	query string
	names []string
}

// sqliteIndexHint is SQLite's INDEXED BY, which PostgreSQL's planner
// does without.
var sqliteIndexHint = regexp.MustCompile(`\s+INDEXED BY \w+`)

// postgresStatements remembers each statement said for PostgreSQL: a
// store runs the same few hundred statements again and again.
var postgresStatements sync.Map // string → postgresStatement

// postgresSQL says a statement written for SQLite for PostgreSQL: ? and ?N
// placeholders become $n, :name ones $n too, with the sql.Named arguments
// put in that order (pgx takes no named arguments). Quoted text, quoted
// names, comments and PostgreSQL casts (::) are left alone.
func postgresSQL(query string, args []any) (string, []any) {
	var st postgresStatement
	if v, ok := postgresStatements.Load(query); ok {
		st = v.(postgresStatement)
	} else {
		st = rebindPostgres(query)
		postgresStatements.Store(query, st)
	}
	if len(st.names) == 0 {
		return st.query, args
	}
	named := make(map[string]any, len(args))
	for _, a := range args {
		if n, ok := a.(sql.NamedArg); ok {
			named[n.Name] = n.Value
		}
	}
	out := make([]any, len(st.names))
	for i, name := range st.names {
		v, ok := named[name]
		if !ok {
			// database/sql words the error: a missing argument.
			return st.query, args
		}
		out[i] = v
	}
	return st.query, out
}

// rebindPostgres rewrites the placeholders of query, see postgresSQL,
// and drops SQLite's index hints.
func rebindPostgres(query string) postgresStatement {
	query = sqliteIndexHint.ReplaceAllString(query, "")
	var b strings.Builder
	b.Grow(len(query) + 16)
	var names []string
	next := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := strings.IndexByte(query[i+1:], c)
			if end < 0 {
				b.WriteString(query[i:])
				return postgresStatement{query: b.String(), names: names}
			}
			b.WriteString(query[i : i+end+2])
			i += end + 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + query[i+1:j])
			} else {
				next++
				fmt.Fprintf(&b, "$%d", next)
			}
			i = j - 1
		case c == ':' && i+1 < len(query) && isNameStart(query[i+1]) && (i == 0 || query[i-1] != ':'):
			j := i + 1
			for j < len(query) && (isNameStart(query[j]) || query[j] >= '0' && query[j] <= '9') {
				j++
			}
			name := query[i+1 : j]
			n := 0
			for k, have := range names {
				if have == name {
					n = k + 1
				}
			}
			if n == 0 {
				names = append(names, name)
				n = len(names)
			}
			fmt.Fprintf(&b, "$%d", n)
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return postgresStatement{query: b.String(), names: names}
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
