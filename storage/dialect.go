package storage

import (
	"context"
	"database/sql"
)

// Storage's SQL is written once, in SQLite's words (? placeholders), and
// said for the store's engine at the last moment, in one place: dbTx and
// dbPool stand for *sql.Tx and *sql.DB and pass every statement through
// Engine.sql before it reaches the driver. For SQLite it is the statement
// itself, untouched, so the default engine pays nothing; what PostgreSQL
// needs is in dialect_postgres.go. A statement SQLite accepts in a
// portable form (RETURNING, CAST(x AS BIGINT), ON CONFLICT) is written in
// that form rather than translated.

// jsonInt is the integer at key of the JSON object (TEXT) in column col.
func (e Engine) jsonInt(col, key string) string {
	if e == SQLite {
		return sqliteJSONInt(col, key)
	}
	return postgresJSONInt(col, key)
}

// word is the engine's of two ways of saying one fragment.
func (e Engine) word(sqlite, postgres func(string) string) func(string) string {
	if e == SQLite {
		return sqlite
	}
	return postgres
}

// jsonTexts is a subquery of the texts of the JSON array (a string) in
// param, a placeholder: what IN (…) tests a column against.
func (e Engine) jsonTexts(param string) string {
	return e.word(sqliteJSONElements, postgresJSONTexts)(param)
}

// jsonInts is jsonTexts for an array of integers.
func (e Engine) jsonInts(param string) string {
	return e.word(sqliteJSONElements, postgresJSONInts)(param)
}

// jsonArrayOf aggregates expr over the rows of a query into a JSON array,
// "[]" for none.
func (e Engine) jsonArrayOf(expr string) string {
	return e.word(sqliteJSONArrayOf, postgresJSONArrayOf)(expr)
}

// jsonObject is a JSON object of pairs, a list of 'key', value.
func (e Engine) jsonObject(pairs string) string {
	return e.word(sqliteJSONObject, postgresJSONObject)(pairs)
}

// skipLocked ends a SELECT that reads rows to claim: on PostgreSQL it
// locks the rows of table (an alias; "" for the query's one table) and
// skips those another transaction holds (FOR UPDATE SKIP LOCKED), so that
// two claims never take one row. SQLite has no such clause and needs
// none: its one writer runs one claim at a time.
func (e Engine) skipLocked(table string) string {
	return e.word(sqliteSkipLocked, postgresSkipLocked)(table)
}

// sql says query for the engine, with its arguments.
func (e Engine) sql(query string, args []any) (string, []any) {
	if e == SQLite {
		return query, args
	}
	return postgresSQL(query, args)
}

// dbTx is a write transaction of the store: *sql.Tx, whose statements are
// said for the engine.
type dbTx struct {
	*sql.Tx
	engine Engine
}

func (t *dbTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query, args = t.engine.sql(query, args)
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *dbTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = t.engine.sql(query, args)
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *dbTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = t.engine.sql(query, args)
	return t.Tx.QueryRowContext(ctx, query, args...)
}

// PrepareContext prepares query said for the engine. A statement with
// named parameters cannot be prepared for PostgreSQL: its arguments are
// reordered at each call, which a prepared statement does not see.
func (t *dbTx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	query, _ = t.engine.sql(query, nil)
	return t.Tx.PrepareContext(ctx, query)
}

// dbPool is the store's read pool: *sql.DB, whose statements are said for
// the engine.
type dbPool struct {
	*sql.DB
	engine Engine
}

func (p *dbPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query, args = p.engine.sql(query, args)
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *dbPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	query, args = p.engine.sql(query, args)
	return p.DB.QueryRowContext(ctx, query, args...)
}
