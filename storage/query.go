package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// querier is where a read runs: the read pool (*dbPool) or a transaction
// (*dbTx), which sees what it wrote; both say the query for the engine.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryEach runs a query and calls each on every row, in order. An error of
// the query, of each (reading a row) or of the iteration stops it and is
// returned as "what: error", the way storage words a failed read
// ("storage: subscriptions: …"). each gets the *sql.Rows itself, not a
// rowScanner, so that its Scan arguments need no allocation per row.
func queryEach(ctx context.Context, q querier, what string, each func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// queryAll runs a query and returns its rows, each read by scan, in the
// order of the query: nil when it selects none, nil and the error (worded
// as queryEach's) when it fails.
func queryAll[T any](ctx context.Context, q querier, what string, scan func(rowScanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := queryEach(ctx, q, what, func(rows *sql.Rows) error {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanValue reads a row of one column: an id, a slug.
func scanValue[T any](row rowScanner) (T, error) {
	var v T
	err := row.Scan(&v)
	return v, err
}
