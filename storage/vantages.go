package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// VantageRound is one instance's latest round with its results (services
// and canaries, in the order they were written).
type VantageRound struct {
	Round   Round
	Results []CheckResult
}

// latestRoundsSQL selects the latest round of every vantage but one (the
// second argument) and ” started at or after a time (the first): from
// the rounds since then (index rounds_started), those that no later round
// of the same vantage follows (index rounds_vantage_started).
const latestRoundsSQL = `SELECT ` + roundColumns + ` FROM rounds r
	WHERE r.started_at >= ? AND r.vantage <> ? AND r.vantage <> ''
	  AND NOT EXISTS (SELECT 1 FROM rounds n WHERE n.vantage = r.vantage AND n.started_at >= r.started_at
	                  AND (n.started_at > r.started_at OR n.id > r.id))`

// OtherVantageRounds returns, for every vantage other than self that
// started a round at or after since, its latest round (by start, then by
// id) with that round's results, ordered by vantage name. Rows written
// before migration 008 (vantage ”) belong to no vantage and are never
// returned. It reads inside the transaction, so that the round the leader
// writes is judged on what was committed when that transaction began.
func (t *Tx) OtherVantageRounds(ctx context.Context, self string, since time.Time) ([]VantageRound, error) {
	rounds, err := queryAll(ctx, t.tx, "storage: latest rounds of the other vantages", scanRound, latestRoundsSQL, ms(since), self)
	if err != nil {
		return nil, err
	}
	// Sorted here: an ORDER BY vantage makes SQLite walk the whole index
	// rounds_vantage_started instead of the few rounds since since.
	slices.SortFunc(rounds, func(a, b Round) int { return strings.Compare(a.Vantage, b.Vantage) })
	out := make([]VantageRound, 0, len(rounds))
	for _, r := range rounds {
		results, err := queryAll(ctx, t.tx, fmt.Sprintf("storage: results of round %d", r.ID), scanResult,
			`SELECT `+resultColumns+` FROM check_results WHERE round_id = ? ORDER BY id`, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, VantageRound{Round: r, Results: results})
	}
	return out, nil
}
