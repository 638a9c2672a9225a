package checker

import (
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// letters: u up, g degraded (grey), d down, ? unknown.
func stateOf(c byte) status.State {
	switch c {
	case 'u':
		return status.Up
	case 'g':
		return status.Degraded
	case 'd':
		return status.Down
	}
	return status.Unknown
}

func letterOf(s status.State) byte {
	switch s {
	case status.Up:
		return 'u'
	case status.Degraded:
		return 'g'
	case status.Down:
		return 'd'
	}
	return '?'
}

// runMachine feeds the probes (one letter per round) to Next from an
// unknown service and returns the judged state after each round.
func runMachine(th Thresholds, start, probes string) (string, storage.ServiceState) {
	st := storage.ServiceState{ServiceID: "ent", State: stateOf(start[0])}
	var b strings.Builder
	for i := range len(probes) {
		at := time.Date(2021, 4, 6, 7, 30+i, 0, 0, time.UTC)
		st = Next(st, storage.CheckResult{ServiceID: "ent", State: stateOf(probes[i]), Reason: status.Reason("r" + string(probes[i]))}, th, at)
		b.WriteByte(letterOf(st.State))
	}
	return b.String(), st
}

func TestNext(t *testing.T) {
	two := Thresholds{DownAfter: 2, UpAfter: 2}
	tests := []struct {
		name   string
		th     Thresholds
		start  string // the state before the first probe
		probes string
		want   string // the judged state after each probe
	}{
		{"fresh start, healthy", two, "?", "uuu", "?uu"},
		{"fresh start during an outage", two, "?", "dd", "?d"},
		{"flapping every round never changes", two, "u", "dudududu", "uuuuuuuu"},
		{"flapping from unknown stays unknown", two, "?", "dudududu", "????????"},
		{"flapping while down stays down", two, "d", "ududud", "dddddd"},
		{"down exactly at DOWN_AFTER", two, "u", "dd", "ud"},
		{"one bad round is not enough", two, "u", "du", "uu"},
		{"DOWN_AFTER 3", Thresholds{DownAfter: 3, UpAfter: 2}, "u", "ddd", "uud"},
		{"DOWN_AFTER 3, interrupted", Thresholds{DownAfter: 3, UpAfter: 2}, "u", "ddudd", "uuuuu"},
		{"UP_AFTER 3", Thresholds{DownAfter: 2, UpAfter: 3}, "d", "uuu", "ddu"},
		{"DOWN_AFTER 1 follows every probe", Thresholds{DownAfter: 1, UpAfter: 1}, "u", "dud", "dud"},
		{"degraded then down then degraded then up", two, "u", "ggddgguu", "uggddggu"},
		{"a bad streak of down and degraded confirms degraded", two, "u", "dg", "ug"},
		{"then down needs its own streak", two, "u", "dgdd", "uggd"},
		{"a good streak of up and degraded from down confirms degraded", two, "d", "ug", "dg"},
		{"degraded to down and back to degraded", two, "g", "ddgg", "gddg"},
		{"a down probe breaks an improving streak", two, "d", "uduu", "dddu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := runMachine(tt.th, tt.start, tt.probes)
			if got != tt.want {
				t.Fatalf("probes %s from %s: states %s, want %s", tt.probes, tt.start, got, tt.want)
			}
		})
	}
}

func TestNextDatesTheStateFromTheStreakStart(t *testing.T) {
	_, st := runMachine(Thresholds{DownAfter: 3, UpAfter: 2}, "u", "uddd")
	want := time.Date(2021, 4, 6, 7, 31, 0, 0, time.UTC)
	if st.State != status.Down || !st.Since.Equal(want) || st.Reason != "rd" {
		t.Fatalf("state %s since %s (%s), want down since %s, the first bad round", st.State, st.Since, st.Reason, want)
	}
	if st.CandidateCount != 0 || st.CandidateState != "" {
		t.Fatalf("candidate %q×%d left after confirmation", st.CandidateState, st.CandidateCount)
	}
}

func TestNextKeepsCandidateForRestart(t *testing.T) {
	// The candidate is plain data in ServiceState: what storage persists is
	// all Next needs to go on after a restart.
	_, st := runMachine(Thresholds{DownAfter: 2, UpAfter: 2}, "u", "d")
	if st.State != status.Up || st.CandidateState != status.Down || st.CandidateCount != 1 {
		t.Fatalf("after one bad round: %+v", st)
	}
	st = Next(st, storage.CheckResult{State: status.Down, Reason: "timeout"}, Thresholds{DownAfter: 2, UpAfter: 2}, time.Now())
	if st.State != status.Down {
		t.Fatalf("the streak did not continue from the stored candidate: %+v", st)
	}
}
