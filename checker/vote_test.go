package checker

import (
	"fmt"
	"strings"
	"testing"

	"sentinelle/status"
	"sentinelle/storage"
)

// ballotOf is vantage v's round started at minute m, voided or not, with
// one result per "service=state:reason" ("a=down:timeout"; the reason
// defaults to ok). Each result carries the vantage's name in its error, so
// that a test sees whose result the vote kept.
func ballotOf(v string, m int, voided bool, results ...string) ballot {
	b := ballot{vantage: v, startedAt: minute(m), voided: voided}
	for _, s := range results {
		id, rest, _ := strings.Cut(s, "=")
		state, reason, _ := strings.Cut(rest, ":")
		if reason == "" {
			reason = "ok"
		}
		b.results = append(b.results, storage.CheckResult{ServiceID: id, State: status.State(state),
			Reason: status.Reason(reason), Vantage: v, Error: "from " + v})
	}
	return b
}

// String shows a tally as the table below writes it.
func (t tally) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "voided=%v counted=%v", t.voided, t.counted)
	for _, o := range t.observations {
		fmt.Fprintf(&b, "; %s=%s:%s %s", o.result.ServiceID, o.result.State, o.result.Reason, o.result.Error)
		for _, s := range o.sightings {
			fmt.Fprintf(&b, " %s=%s", s.Vantage, s.State)
		}
	}
	return b.String()
}

func TestVote(t *testing.T) {
	fresh := minute(8) // the vote of a round at minute 10, interval 1 min
	tests := []struct {
		name   string
		own    ballot
		others []ballot
		want   string
	}{
		{"1 vantage: its state",
			ballotOf("paris", 10, false, "a=down:timeout", "b=up", "c=degraded:slow"), nil,
			"voided=false counted=[paris]; a=down:timeout from paris paris=down; b=up:ok from paris paris=up; c=degraded:slow from paris paris=degraded"},
		{"1 vantage voided by its guard: the round is voided",
			ballotOf("paris", 10, true, "a=down:connection"), nil,
			"voided=true counted=[]; a=down:connection from paris"},
		{"2 vantages, one sees down: up, with the other's reason",
			ballotOf("paris", 10, false, "a=down:timeout"), []ballot{ballotOf("lyon", 10, false, "a=up")},
			"voided=false counted=[paris lyon]; a=up:ok from lyon paris=down lyon=up"},
		{"2 vantages, both see down: down, with this instance's reason",
			ballotOf("paris", 10, false, "a=down:timeout"), []ballot{ballotOf("lyon", 10, false, "a=down:http_status")},
			"voided=false counted=[paris lyon]; a=down:timeout from paris paris=down lyon=down"},
		{"2 vantages, down and degraded: degraded, from the one that saw it",
			ballotOf("paris", 10, false, "a=down:timeout", "b=degraded:slow"),
			[]ballot{ballotOf("lyon", 9, false, "a=degraded:slow", "b=down:waiting_room")},
			"voided=false counted=[paris lyon]; a=degraded:slow from lyon paris=down lyon=degraded; b=degraded:slow from paris paris=degraded lyon=down"},
		{"3 vantages: the median",
			ballotOf("paris", 10, false, "a=up", "b=down:timeout", "c=up", "d=up"),
			[]ballot{ballotOf("nice", 10, false, "a=down:timeout", "b=down:http_status", "c=degraded:slow", "d=down:tls"),
				ballotOf("lyon", 10, false, "a=down:connection", "b=up", "c=down:timeout", "d=degraded:slow")},
			"voided=false counted=[paris lyon nice]; a=down:connection from lyon paris=up lyon=down nice=down; " +
				"b=down:timeout from paris paris=down lyon=up nice=down; c=degraded:slow from nice paris=up lyon=down nice=degraded; " +
				"d=degraded:slow from lyon paris=up lyon=degraded nice=down"},
		{"4 vantages: down needs three",
			ballotOf("paris", 10, false, "a=down:timeout", "b=down:timeout", "c=down:timeout"),
			[]ballot{ballotOf("lyon", 10, false, "a=down:timeout", "b=down:timeout", "c=down:timeout"),
				ballotOf("nice", 10, false, "a=up", "b=down:http_status", "c=degraded:slow"),
				ballotOf("brest", 10, false, "a=up", "b=up", "c=up")},
			"voided=false counted=[paris brest lyon nice]; a=up:ok from brest paris=down brest=up lyon=down nice=up; " +
				"b=down:timeout from paris paris=down brest=up lyon=down nice=down; c=degraded:slow from nice paris=down brest=up lyon=down nice=degraded"},
		{"a stale vantage is not counted",
			ballotOf("paris", 10, false, "a=down:timeout"), []ballot{ballotOf("lyon", 7, false, "a=up")},
			"voided=false counted=[paris]; a=down:timeout from paris paris=down"},
		{"a vantage started right at the limit is counted",
			ballotOf("paris", 10, false, "a=down:timeout"), []ballot{ballotOf("lyon", 8, false, "a=up")},
			"voided=false counted=[paris lyon]; a=up:ok from lyon paris=down lyon=up"},
		{"a vantage voided by its guard is not counted",
			ballotOf("paris", 10, false, "a=down:timeout"), []ballot{ballotOf("lyon", 10, true, "a=up")},
			"voided=false counted=[paris]; a=down:timeout from paris paris=down"},
		{"this instance voided by its guard: the others judge",
			ballotOf("lyon", 10, true, "a=down:connection", "b=down:connection"),
			[]ballot{ballotOf("paris", 10, false, "a=up", "b=down:http_status")},
			"voided=false counted=[paris]; a=up:ok from paris paris=up; b=down:http_status from paris paris=down"},
		{"none counted: voided",
			ballotOf("paris", 10, true, "a=down:connection"),
			[]ballot{ballotOf("lyon", 10, true, "a=down:connection"), ballotOf("nice", 2, false, "a=up")},
			"voided=true counted=[]; a=down:connection from paris"},
		{"a service only this uncounted instance probed: no sightings",
			ballotOf("paris", 10, true, "a=down:connection", "new=down:connection"), []ballot{ballotOf("lyon", 10, false, "a=up")},
			"voided=false counted=[lyon]; a=up:ok from lyon lyon=up; new=down:connection from paris"},
		{"a service another vantage lacks: the quorum of those that have it",
			ballotOf("paris", 10, false, "a=down:timeout", "new=down:timeout"),
			[]ballot{ballotOf("lyon", 10, false, "a=down:timeout"), ballotOf("nice", 10, false, "a=up")},
			"voided=false counted=[paris lyon nice]; a=down:timeout from paris paris=down lyon=down nice=up; new=down:timeout from paris paris=down"},
		{"canaries are never looked up",
			ballotOf("paris", 10, false, "a=up"), []ballot{ballotOf("lyon", 10, false, "canary:x=down:connection", "a=up")},
			"voided=false counted=[paris lyon]; a=up:ok from paris paris=up lyon=up"},
		{"a ballot named like this instance, or a vantage twice, counts once",
			ballotOf("paris", 10, false, "a=down:timeout"),
			[]ballot{ballotOf("paris", 9, false, "a=up"), ballotOf("lyon", 10, false, "a=down:http_status"), ballotOf("lyon", 9, false, "a=up")},
			"voided=false counted=[paris lyon]; a=down:timeout from paris paris=down lyon=down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vote(tt.own, tt.others, fresh).String(); got != tt.want {
				t.Errorf("vote\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestVoteEveryCombination checks the combined state against the rule
// counted the other way (the worst state that at least q vantages see, a
// vantage seeing a state when it saw it or worse) for every combination of
// states of one to five vantages, and the origin of the reason.
func TestVoteEveryCombination(t *testing.T) {
	states := []status.State{status.Up, status.Degraded, status.Down}
	names := []string{"a", "b", "c", "d", "e"}
	for n := 1; n <= len(names); n++ {
		combos := 1
		for range n {
			combos *= len(states)
		}
		for c := range combos {
			seen := make([]status.State, n)
			for i, x := 0, c; i < n; i, x = i+1, x/len(states) {
				seen[i] = states[x%len(states)]
			}
			own := ballotOf("m-own", 10, false, "svc="+string(seen[0])+":r0")
			var others []ballot
			for i := 1; i < n; i++ {
				others = append(others, ballotOf(names[i], 10, false, fmt.Sprintf("svc=%s:r%d", seen[i], i)))
			}
			o := vote(own, others, minute(9)).observations[0]
			want := status.Up
			for _, s := range states {
				atLeast := 0
				for _, v := range seen {
					if severity(v) >= severity(s) {
						atLeast++
					}
				}
				if atLeast >= quorum(n) {
					want = s
				}
			}
			wantFrom := "from m-own"
			if seen[0] != want {
				for i := 1; i < n; i++ {
					if seen[i] == want {
						wantFrom = "from " + names[i]
						break
					}
				}
			}
			if o.result.State != want || o.result.Error != wantFrom || len(o.sightings) != n {
				t.Errorf("%d vantages seeing %v: %s (%s, %d sightings), want %s (%s)",
					n, seen, o.result.State, o.result.Error, len(o.sightings), want, wantFrom)
			}
		}
	}
}

func TestQuorum(t *testing.T) {
	for n, want := range []int{0, 1, 2, 2, 3, 3, 4, 4} {
		if got := quorum(n); got != want {
			t.Errorf("quorum(%d) = %d, want %d", n, got, want)
		}
	}
}
