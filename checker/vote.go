package checker

import (
	"slices"
	"strings"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// ballot is one vantage's latest round as the vote reads it.
type ballot struct {
	vantage   string
	startedAt time.Time
	voided    bool                  // its own vantage guard voided it
	results   []storage.CheckResult // its probes; canaries are never looked up
}

// Sighting is what one vantage saw of a service in its latest round: the
// record of a vote, which the checker logs with a change of state.
type Sighting struct {
	Vantage string
	State   status.State
	Reason  status.Reason
}

// observation is one service as the vote judges it.
type observation struct {
	// result carries the combined state and reason to the state machine:
	// the result of the vantage they come from (its HTTP status and
	// latency go with them).
	result storage.CheckResult
	// sightings is what each counted vantage saw, in the order of
	// tally.counted; empty when none of them has a result for the service.
	sightings []Sighting
}

// tally is the vote's outcome for a round.
type tally struct {
	voided       bool     // no vantage counted: the round changes no state
	counted      []string // this instance first (when counted), then by name
	observations []observation
}

// vote combines what the vantages saw into one observation per service of
// own's round (in its order). It is the one definition of the rule.
//
// Counted vantages: own, and every vantage of others whose round started
// at or after fresh, except those whose round the vantage guard voided
// (every canary failed without an HTTP answer while most services failed:
// its own network was the likelier cause). Each vantage counts once: a
// ballot of others named like own is ignored, and of two ballots of one
// vantage the first given. When no vantage counts, the
// round is voided: it changes no state, as a voided round always did.
//
// For each service, let n be the counted vantages with a result for it,
// and the quorum q = n when n ≤ 2, q = n/2 + 1 (a strict majority) when
// n ≥ 3. With the states ordered up < degraded < down, a vantage sees a
// state when it saw that state or a worse one, and the combined state is
// the worst state that at least q vantages see: the q-th worst of their n
// states. One vantage: its state. Two: the better of the two, so down
// needs both. Three: the median, so down needs two. Four: the second
// best, so down needs three.
//
// The reason, and the result that carries it, come from own when own was
// counted and saw exactly the combined state, else from the first vantage
// by name that did (one did: the q-th worst). A service that no counted vantage
// has a result for (own was not counted and the others' catalogs lack it)
// has no sightings, and Record counts its time as unknown.
//
// With own alone, every observation is own's result and the round is
// voided exactly when own's guard voided it: one instance behaves as
// before vantages existed.
func vote(own ballot, others []ballot, fresh time.Time) tally {
	counted := countedBallots(own, others, fresh)
	t := tally{voided: len(counted) == 0}
	byService := make([]map[string]storage.CheckResult, len(counted))
	for i, b := range counted {
		t.counted = append(t.counted, b.vantage)
		byService[i] = make(map[string]storage.CheckResult, len(b.results))
		for _, r := range b.results {
			byService[i][r.ServiceID] = r
		}
	}
	for _, r := range own.results {
		var seen []Sighting
		var results []storage.CheckResult
		for i, m := range byService {
			if res, ok := m[r.ServiceID]; ok {
				seen = append(seen, Sighting{Vantage: counted[i].vantage, State: res.State, Reason: res.Reason})
				results = append(results, res)
			}
		}
		t.observations = append(t.observations, combine(r, seen, results))
	}
	return t
}

// countedBallots is own (unless voided) then the fresh, unvoided others by
// name, one per vantage.
func countedBallots(own ballot, others []ballot, fresh time.Time) []ballot {
	var out []ballot
	if !own.voided {
		out = append(out, own)
	}
	rest := slices.Clone(others)
	slices.SortStableFunc(rest, func(a, b ballot) int { return strings.Compare(a.vantage, b.vantage) })
	for i, b := range rest {
		if b.vantage == own.vantage || i > 0 && b.vantage == rest[i-1].vantage || b.voided || b.startedAt.Before(fresh) {
			continue
		}
		out = append(out, b)
	}
	return out
}

// combine is the observation of one service from what the counted
// vantages saw of it (seen, in their order) and their results; own is
// this instance's result, kept when none of them saw the service.
func combine(own storage.CheckResult, seen []Sighting, results []storage.CheckResult) observation {
	if len(seen) == 0 {
		return observation{result: own}
	}
	sev := make([]int, len(seen))
	for i, s := range seen {
		sev[i] = severity(s.State)
	}
	slices.Sort(sev)
	combined := sev[len(sev)-quorum(len(sev))] // the q-th worst
	// The q-th worst saw it, so from ≥ 0.
	from := slices.IndexFunc(seen, func(s Sighting) bool { return severity(s.State) == combined })
	return observation{result: results[from], sightings: seen}
}

// quorum is how many of n counted vantages must see a state for it to be
// the combined one: all of them up to two, a strict majority from three.
func quorum(n int) int {
	if n <= 2 {
		return n
	}
	return n/2 + 1
}
