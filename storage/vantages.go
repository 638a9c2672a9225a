package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"sentinelle/status"
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
	return latestRounds(ctx, t.tx, self, since)
}

// LatestRounds returns, for every vantage that started a round at or after
// since, its latest round with that round's results, ordered by vantage
// name: what each instance saw last, for the status page. Rows written
// before migration 008 (an empty vantage) belong to no vantage and are
// never returned (LastRound still reads them).
func (s *Store) LatestRounds(ctx context.Context, since time.Time) ([]VantageRound, error) {
	return latestRounds(ctx, s.r, "", since)
}

// latestRounds is the latest round of every vantage but self (empty: none
// left out) since a time, with its results, ordered by vantage.
func latestRounds(ctx context.Context, q querier, self string, since time.Time) ([]VantageRound, error) {
	rounds, err := queryAll(ctx, q, "storage: latest rounds of the vantages", scanRound, latestRoundsSQL, ms(since), self)
	if err != nil {
		return nil, err
	}
	// Sorted here: an ORDER BY vantage makes SQLite walk the whole index
	// rounds_vantage_started instead of the few rounds since since.
	slices.SortFunc(rounds, func(a, b Round) int { return strings.Compare(a.Vantage, b.Vantage) })
	out := make([]VantageRound, 0, len(rounds))
	for _, r := range rounds {
		results, err := queryAll(ctx, q, fmt.Sprintf("storage: results of round %d", r.ID), scanResult,
			`SELECT `+resultColumns+` FROM check_results WHERE round_id = ? ORDER BY id`, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, VantageRound{Round: r, Results: results})
	}
	return out, nil
}

// IncidentSighting is what one vantage saw of a service during one of its
// incidents: Rounds of its rounds probed the service, Failed of them saw
// it down (the state an incident is about), the first and last of those
// at FirstFailure and LastFailure, for LastReason.
type IncidentSighting struct {
	IncidentID                int64
	Vantage                   string
	Rounds, Failed            int
	FirstFailure, LastFailure time.Time // zero when Failed is 0
	LastReason                status.Reason
}

// IncidentSightings returns what each vantage saw of each incident's
// service from its start until its end (excluded; until now while open),
// ordered by incident id then vantage. Rounds the vantage guard voided are
// left out, as the vote leaves them out: their failures were the
// vantage's own network. Results before migration 008 (an empty vantage)
// and those pruned after the retention are not there to count, so an
// old incident may have none.
func (s *Store) IncidentSightings(ctx context.Context, incidents []Incident, now time.Time) ([]IncidentSighting, error) {
	if len(incidents) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 4*len(incidents)+4)
	for _, in := range incidents {
		end := in.EndedAt
		if in.Open() {
			end = now.Add(time.Millisecond) // what was probed at now counts
		}
		args = append(args, in.ID, in.ServiceID, ms(in.StartedAt), ms(end))
	}
	args = append(args, status.Down, status.Down, status.Down, status.Down) // in the order of the query
	var out []IncidentSighting
	err := queryEach(ctx, s.r, "storage: incident sightings", func(rows *sql.Rows) error {
		var v IncidentSighting
		var first, last int64
		if err := rows.Scan(&v.IncidentID, &v.Vantage, &v.Rounds, &v.Failed, &first, &last, &v.LastReason); err != nil {
			return err
		}
		if v.Failed > 0 {
			v.FirstFailure, v.LastFailure = fromMS(first), fromMS(last)
		}
		out = append(out, v)
		return nil
	}, incidentSightingsSQL(len(incidents)), args...)
	return out, err
}

// incidentSightingsSQL is IncidentSightings' query for n incidents: each
// one's id, service, start and end, then the down state four times.
func incidentSightingsSQL(n int) string {
	// PostgreSQL would guess text for the numbers.
	values := strings.Repeat("(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT)), ", n)
	values = strings.TrimSuffix(values, ", ")
	return `WITH inc (id, service_id, lo, hi) AS (VALUES ` + values + `),
		seen AS (SELECT inc.id, inc.service_id, c.vantage, COUNT(*) AS rounds,
			SUM(CASE WHEN c.state = ? THEN 1 ELSE 0 END) AS failed,
			MIN(CASE WHEN c.state = ? THEN c.at END) AS first_at,
			MAX(CASE WHEN c.state = ? THEN c.at END) AS last_at
			FROM inc JOIN check_results c ON c.service_id = inc.service_id AND c.at >= inc.lo AND c.at < inc.hi
			JOIN rounds r ON r.id = c.round_id
			WHERE c.vantage <> '' AND r.voided = 0
			GROUP BY inc.id, inc.service_id, c.vantage)
		SELECT id, vantage, rounds, failed, COALESCE(first_at, 0), COALESCE(last_at, 0),
			COALESCE((SELECT c.reason FROM check_results c WHERE c.service_id = seen.service_id AND c.vantage = seen.vantage
				AND c.at = seen.last_at AND c.state = ? ORDER BY c.id DESC LIMIT 1), '')
		FROM seen ORDER BY id, vantage`
}
