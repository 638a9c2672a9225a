package storage

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
)

// t0 is 6 April 2021, 7:30 in Paris: the morning the ENTs fell.
var t0 = time.Date(2021, 4, 6, 5, 30, 0, 0, time.UTC)

func minute(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// immediate is a Judge with thresholds of 1: the result becomes the state
// at once, which keeps these tests about storage, not the state machine.
func immediate(prev ServiceState, r CheckResult) ServiceState {
	next := prev
	if r.State != prev.State {
		next.State, next.Reason, next.Since = r.State, r.Reason, r.At
	}
	return next
}

func res(id string, state status.State, reason status.Reason) CheckResult {
	return CheckResult{ServiceID: id, State: state, Reason: reason, HTTPStatus: 200, Latency: 840 * time.Millisecond}
}

// record stores one round at time at, judged by immediate.
func record(t *testing.T, s *Store, at time.Time, results ...CheckResult) RoundOutcome {
	t.Helper()
	out, err := s.RecordRound(context.Background(), RoundInput{
		Round:   Round{StartedAt: at, FinishedAt: at.Add(time.Second), Services: len(results)},
		Results: results, Judge: immediate,
	})
	if err != nil {
		t.Fatalf("RecordRound at %s: %v", at.Format(time.TimeOnly), err)
	}
	return out
}

type eventRow struct {
	DedupKey, Kind, ServiceID, Audience string
	From, To                            status.State
	Reason                              status.Reason
	Priority                            int
	At                                  time.Time
	Payload                             status.StatePayload
	PayloadJSON                         string // as stored
}

func readEvents(t *testing.T, s *Store) []eventRow {
	t.Helper()
	rows, err := s.r.Query(`SELECT dedup_key, kind, service_id, from_state, to_state, reason, audience, priority, at, payload FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []eventRow
	for rows.Next() {
		var e eventRow
		var at int64
		var payload string
		if err := rows.Scan(&e.DedupKey, &e.Kind, &e.ServiceID, &e.From, &e.To, &e.Reason, &e.Audience, &e.Priority, &at, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &e.Payload); err != nil {
			t.Fatalf("payload %q: %v", payload, err)
		}
		e.At, e.PayloadJSON = fromMS(at), payload
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRecordRoundOutageAndRecovery(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	record(t, s, minute(0), res("monlycee", status.Up, "ok"))
	if ev := readEvents(t, s); len(ev) != 0 {
		t.Fatalf("unknown→up wrote events %+v, want none", ev)
	}
	out := record(t, s, minute(1), res("monlycee", status.Down, "waiting_room"))
	if len(out.Transitions) != 1 || out.Events != 1 || !out.Transitions[0].Announced || out.Transitions[0].EventKind != status.KindOutage {
		t.Fatalf("up→down: outcome %+v, want one announced transition, an outage", out)
	}
	record(t, s, minute(2), res("monlycee", status.Down, "timeout"))
	out = record(t, s, minute(3), res("monlycee", status.Up, "ok"))
	if out.Events != 1 || len(out.Transitions) != 1 || out.Transitions[0].EventKind != status.KindRecovery {
		t.Fatalf("down→up: %d events %+v, want 1, a recovery", out.Events, out.Transitions)
	}

	ev := readEvents(t, s)
	if len(ev) != 2 {
		t.Fatalf("got %d events, want outage and recovery: %+v", len(ev), ev)
	}
	outage, recovery := ev[0], ev[1]
	wantKey := "state:monlycee:down:" + itoa(ms(minute(1)))
	if outage.Kind != "outage" || outage.From != status.Up || outage.To != status.Down || outage.Reason != "waiting_room" ||
		outage.Audience != "service:monlycee" || outage.Priority != 2 || outage.DedupKey != wantKey || !outage.At.Equal(minute(1)) {
		t.Errorf("outage event %+v", outage)
	}
	if outage.Payload.SinceMS != ms(minute(1)) || outage.Payload.IncidentID == 0 || outage.Payload.HTTPStatus != 200 {
		t.Errorf("outage payload %+v, want since_ms of minute 1 and an incident", outage.Payload)
	}
	if recovery.Kind != "recovery" || recovery.From != status.Down || recovery.To != status.Up ||
		recovery.Payload.DownSinceMS != ms(minute(1)) || recovery.Payload.IncidentID != outage.Payload.IncidentID {
		t.Errorf("recovery event %+v, want down_since_ms of minute 1 and the outage's incident", recovery)
	}

	inc, err := s.Incidents(ctx, IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc) != 1 || inc[0].Reason != "waiting_room" || !inc[0].StartedAt.Equal(minute(1)) ||
		!inc[0].EndedAt.Equal(minute(3)) || inc[0].EndState != status.Up || inc[0].Duration(minute(9)) != 2*time.Minute {
		t.Fatalf("incidents %+v, want one from minute 1 to 3 caused by waiting_room", inc)
	}
	st, err := serviceState(ctx, s, "monlycee")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != status.Up || st.AnnouncedState != status.Up || !st.LastCheckedAt.Equal(minute(3)) || st.LastLatency != 840*time.Millisecond {
		t.Fatalf("state %+v", st)
	}
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestRecordRoundEventKinds(t *testing.T) {
	tests := []struct {
		name     string
		states   []status.State
		wantKind []string // one per event written, in order
		wantOpen int      // incidents still open at the end
	}{
		{"fresh start during an outage announces it", []status.State{status.Down}, []string{"outage"}, 1},
		{"fresh start of a healthy service says nothing", []status.State{status.Up}, nil, 0},
		{"fresh start degraded", []status.State{status.Degraded}, []string{"degraded"}, 0},
		{"degraded then back", []status.State{status.Up, status.Degraded, status.Up}, []string{"degraded", "recovery"}, 0},
		{"down then degraded ends the outage", []status.State{status.Up, status.Down, status.Degraded}, []string{"outage", "degraded"}, 0},
		{"degraded then down then up", []status.State{status.Up, status.Degraded, status.Down, status.Up}, []string{"degraded", "outage", "recovery"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			for i, st := range tt.states {
				record(t, s, minute(i), res("ent", st, "x"))
			}
			ev := readEvents(t, s)
			var kinds []string
			for _, e := range ev {
				kinds = append(kinds, e.Kind)
			}
			if !slices.Equal(kinds, tt.wantKind) {
				t.Fatalf("events %v, want %v", kinds, tt.wantKind)
			}
			open, err := s.OpenIncidents(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != tt.wantOpen {
				t.Fatalf("%d open incidents, want %d", len(open), tt.wantOpen)
			}
		})
	}
}

func TestDownToDegradedClosesIncidentAndSaysSo(t *testing.T) {
	s := openTest(t)
	record(t, s, minute(0), res("ent", status.Up, "ok"))
	record(t, s, minute(1), res("ent", status.Down, "http_status"))
	record(t, s, minute(5), res("ent", status.Degraded, "slow"))
	ev := readEvents(t, s)
	if len(ev) != 2 {
		t.Fatalf("events %+v", ev)
	}
	d := ev[1]
	if d.Kind != "degraded" || d.From != status.Down || d.Payload.DownSinceMS != ms(minute(1)) || d.Payload.IncidentID != ev[0].Payload.IncidentID {
		t.Fatalf("down→degraded event %+v, want kind degraded from down with down_since_ms and the closed incident", d)
	}
	inc, err := s.Incidents(context.Background(), IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc) != 1 || inc[0].Open() || inc[0].EndState != status.Degraded {
		t.Fatalf("incidents %+v, want the outage closed into degraded", inc)
	}
}

func TestRecordRoundIsOneTransaction(t *testing.T) {
	s := openTest(t)
	record(t, s, minute(0), res("a", status.Up, "ok"))
	_, err := s.RecordRound(context.Background(), RoundInput{
		Round: Round{StartedAt: minute(1), FinishedAt: minute(1)},
		// a goes down (an event is written), then b's state is invalid: the
		// CHECK constraint fails and nothing of the round may remain.
		Results: []CheckResult{res("a", status.Down, "timeout"), res("b", "bogus", "x")},
		Judge:   immediate,
	})
	if err == nil {
		t.Fatal("RecordRound accepted an invalid state")
	}
	if ev := readEvents(t, s); len(ev) != 0 {
		t.Fatalf("events %+v survived a failed round", ev)
	}
	r, err := s.LastRound(context.Background())
	if err != nil || !r.StartedAt.Equal(minute(0)) {
		t.Fatalf("last round %+v, %v; want the first one only", r, err)
	}
	st, _ := serviceState(context.Background(), s, "a")
	if st.State != status.Up {
		t.Fatalf("state %q survived a failed round", st.State)
	}
}

func TestVoidedRoundChangesNothing(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	record(t, s, minute(0), res("a", status.Up, "ok"))
	before, _ := serviceState(ctx, s, "a")
	out, err := s.RecordRound(ctx, RoundInput{
		Round:    Round{StartedAt: minute(1), FinishedAt: minute(1), Services: 1, Failed: 1, Canaries: 2, CanariesFailed: 2, Voided: true},
		Results:  []CheckResult{res("a", status.Down, "connection")},
		Canaries: []CheckResult{{ServiceID: CanaryPrefix + "https://www.debian.org", State: status.Down, Reason: "connection"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Transitions) != 0 || out.Events != 0 {
		t.Fatalf("voided round outcome %+v", out)
	}
	after, _ := serviceState(ctx, s, "a")
	if after.State != status.Up || after.CandidateCount != before.CandidateCount || after.LastState != before.LastState ||
		!after.LastCheckedAt.Equal(minute(1)) {
		t.Fatalf("after a voided round: %+v, want the state of before with last_checked_at moved", after)
	}
	last, err := s.LastRound(ctx)
	if err != nil || !last.Voided || last.CanariesFailed != 2 {
		t.Fatalf("LastRound %+v, %v; want voided", last, err)
	}
	u, err := s.Uptime(ctx, "a", t0, minute(60))
	if err != nil || u.Unknown != time.Minute || u.Up != 0 {
		t.Fatalf("uptime %+v, %v; want the voided minute counted unknown", u, err)
	}
	canary, err := s.RecentResults(ctx, CanaryPrefix+"https://www.debian.org", t0)
	if err != nil || len(canary) != 1 {
		t.Fatalf("canary results %+v, %v; want the canary stored", canary, err)
	}
}

func TestLastRoundEmpty(t *testing.T) {
	if _, err := openTest(t).LastRound(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LastRound on an empty base: %v, want ErrNotFound", err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "restart.db")
	ctx := context.Background()
	s, err := Open(ctx, path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, minute(0), res("a", status.Up, "ok"))
	record(t, s, minute(1), res("a", status.Down, "timeout"))
	s.Close()
	s, err = Open(ctx, path, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := record(t, s, minute(2), res("a", status.Down, "timeout"))
	if len(out.Transitions) != 0 || len(readEvents(t, s)) != 1 {
		t.Fatalf("after a restart during an outage: outcome %+v, events %d; want no new announcement", out, len(readEvents(t, s)))
	}
	record(t, s, minute(3), res("a", status.Up, "ok"))
	if ev := readEvents(t, s); len(ev) != 2 || ev[1].Kind != "recovery" {
		t.Fatalf("events %+v, want the recovery of the outage known before the restart", ev)
	}
}

func TestPruneAndRecentResults(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	old := t0.Add(-31 * 24 * time.Hour)
	record(t, s, old, res("a", status.Up, "ok"))
	record(t, s, minute(0), res("a", status.Up, "ok"))
	record(t, s, minute(1), res("a", status.Degraded, "slow"))
	n, err := s.PruneResults(ctx, t0.Add(-30*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneResults: %d, %v; want 1 deleted", n, err)
	}
	got, err := s.RecentResults(ctx, "a", old)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].At.Equal(minute(0)) || got[1].Reason != "slow" || got[1].Latency != 840*time.Millisecond {
		t.Fatalf("RecentResults %+v, want the two recent results, oldest first", got)
	}
	var rounds int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM rounds`).Scan(&rounds); err != nil || rounds != 2 {
		t.Fatalf("%d rounds left, %v; want 2", rounds, err)
	}
}
