package checker

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

func minute(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// immediate is a Decider with thresholds of 1: the result becomes the state
// at once, which keeps these tests about recording, not the state machine.
func immediate(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
	next := prev
	if r.State != prev.State {
		next.State, next.Reason, next.Since = r.State, r.Reason, r.At
	}
	return next
}

func resultOf(id string, state status.State, reason status.Reason) storage.CheckResult {
	return storage.CheckResult{ServiceID: id, State: state, Reason: reason, HTTPStatus: 200, Latency: 840 * time.Millisecond}
}

// recordAt stores one round at time at, judged by immediate.
func recordAt(t *testing.T, st *storage.Store, at time.Time, results ...storage.CheckResult) RoundOutcome {
	t.Helper()
	out, err := Record(context.Background(), st, RoundInput{
		Round:   storage.Round{StartedAt: at, FinishedAt: at.Add(time.Second), Services: len(results)},
		Results: results,
	}, immediate)
	if err != nil {
		t.Fatalf("Record at %s: %v", at.Format(time.TimeOnly), err)
	}
	return out
}

func TestRecordOutageAndRecovery(t *testing.T) {
	st, path := storeOnFile(t, newClock())
	ctx := context.Background()
	recordAt(t, st, minute(0), resultOf("monlycee", status.Up, "ok"))
	if ev := events(t, path); len(ev) != 0 {
		t.Fatalf("unknown→up wrote events %+v, want none", ev)
	}
	out := recordAt(t, st, minute(1), resultOf("monlycee", status.Down, "waiting_room"))
	if len(out.Transitions) != 1 || out.Events != 1 || !out.Transitions[0].Announced || out.Transitions[0].EventKind != status.KindOutage {
		t.Fatalf("up→down: outcome %+v, want one announced transition, an outage", out)
	}
	recordAt(t, st, minute(2), resultOf("monlycee", status.Down, "timeout"))
	out = recordAt(t, st, minute(3), resultOf("monlycee", status.Up, "ok"))
	if out.Events != 1 || len(out.Transitions) != 1 || out.Transitions[0].EventKind != status.KindRecovery {
		t.Fatalf("down→up: %d events %+v, want 1, a recovery", out.Events, out.Transitions)
	}

	ev := storedEvents(t, path)
	if len(ev) != 2 {
		t.Fatalf("got %d events, want outage and recovery: %+v", len(ev), ev)
	}
	outage, recovery := ev[0], ev[1]
	wantKey := "state:monlycee:down:" + strconv.FormatInt(ms(minute(1)), 10)
	if outage.kind != "outage" || outage.from != status.Up || outage.to != status.Down || outage.reason != "waiting_room" ||
		outage.audience != "service:monlycee" || outage.priority != 2 || outage.dedupKey != wantKey || !outage.at.Equal(minute(1)) {
		t.Errorf("outage event %+v", outage)
	}
	if outage.payload.SinceMS != ms(minute(1)) || outage.payload.IncidentID == 0 || outage.payload.HTTPStatus != 200 {
		t.Errorf("outage payload %+v, want since_ms of minute 1 and an incident", outage.payload)
	}
	if recovery.kind != "recovery" || recovery.from != status.Down || recovery.to != status.Up ||
		recovery.payload.DownSinceMS != ms(minute(1)) || recovery.payload.IncidentID != outage.payload.IncidentID {
		t.Errorf("recovery event %+v, want down_since_ms of minute 1 and the outage's incident", recovery)
	}

	inc, err := st.Incidents(ctx, storage.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc) != 1 || inc[0].Reason != "waiting_room" || !inc[0].StartedAt.Equal(minute(1)) ||
		!inc[0].EndedAt.Equal(minute(3)) || inc[0].EndState != status.Up || inc[0].Duration(minute(9)) != 2*time.Minute {
		t.Fatalf("incidents %+v, want one from minute 1 to 3 caused by waiting_room", inc)
	}
	s := storedState(t, st, "monlycee")
	if s.State != status.Up || s.AnnouncedState != status.Up || !s.LastCheckedAt.Equal(minute(3)) || s.LastLatency != 840*time.Millisecond {
		t.Fatalf("state %+v", s)
	}
}

// TestStatePayloadStoredBytes: the payloads of state events are byte for
// byte those written before status.StatePayload replaced storage's own
// struct (captured from commit 53d4575), so stored rows stay readable.
func TestStatePayloadStoredBytes(t *testing.T) {
	st, path := storeOnFile(t, newClock())
	recordAt(t, st, minute(0), resultOf("monlycee", status.Up, "ok"))
	recordAt(t, st, minute(1), resultOf("monlycee", status.Down, "waiting_room"))
	recordAt(t, st, minute(2), resultOf("monlycee", status.Degraded, "slow"))
	recordAt(t, st, minute(3), resultOf("monlycee", status.Up, "ok"))
	want := []string{
		`{"since_ms":1617687060000,"incident_id":1,"http_status":200,"latency_ms":840}`,
		`{"since_ms":1617687120000,"incident_id":1,"down_since_ms":1617687060000,"http_status":200,"latency_ms":840}`,
		`{"since_ms":1617687180000,"incident_id":0,"down_since_ms":1617687120000,"http_status":200,"latency_ms":840}`,
	}
	var got []string
	for _, e := range storedEvents(t, path) {
		got = append(got, e.payloadJSON)
	}
	if !slices.Equal(got, want) {
		t.Errorf("payloads\n%q\nwant\n%q", got, want)
	}
}

func TestRecordEventKinds(t *testing.T) {
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
			st, path := storeOnFile(t, newClock())
			for i, s := range tt.states {
				recordAt(t, st, minute(i), resultOf("ent", s, "x"))
			}
			if kinds := eventKinds(t, path); !slices.Equal(kinds, tt.wantKind) {
				t.Fatalf("events %v, want %v", kinds, tt.wantKind)
			}
			open, err := st.OpenIncidents(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != tt.wantOpen {
				t.Fatalf("%d open incidents, want %d", len(open), tt.wantOpen)
			}
		})
	}
}

// eventKinds lists the kinds of the events written, in order.
func eventKinds(t *testing.T, path string) []string {
	t.Helper()
	var kinds []string
	for _, e := range events(t, path) {
		kinds = append(kinds, e.kind)
	}
	return kinds
}

func TestDownToDegradedClosesIncidentAndSaysSo(t *testing.T) {
	st, path := storeOnFile(t, newClock())
	recordAt(t, st, minute(0), resultOf("ent", status.Up, "ok"))
	recordAt(t, st, minute(1), resultOf("ent", status.Down, "http_status"))
	recordAt(t, st, minute(5), resultOf("ent", status.Degraded, "slow"))
	ev := storedEvents(t, path)
	if len(ev) != 2 {
		t.Fatalf("events %+v", ev)
	}
	d := ev[1]
	if d.kind != "degraded" || d.from != status.Down || d.payload.DownSinceMS != ms(minute(1)) || d.payload.IncidentID != ev[0].payload.IncidentID {
		t.Fatalf("down→degraded event %+v, want kind degraded from down with down_since_ms and the closed incident", d)
	}
	inc, err := st.Incidents(context.Background(), storage.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inc) != 1 || inc[0].Open() || inc[0].EndState != status.Degraded {
		t.Fatalf("incidents %+v, want the outage closed into degraded", inc)
	}
}

func TestRecordIsOneTransaction(t *testing.T) {
	st, path := storeOnFile(t, newClock())
	recordAt(t, st, minute(0), resultOf("a", status.Up, "ok"))
	_, err := Record(context.Background(), st, RoundInput{
		Round: storage.Round{StartedAt: minute(1), FinishedAt: minute(1)},
		// a goes down (an event is written), then b's state is invalid: the
		// CHECK constraint fails and nothing of the round may remain.
		Results: []storage.CheckResult{resultOf("a", status.Down, "timeout"), resultOf("b", "bogus", "x")},
	}, immediate)
	if err == nil {
		t.Fatal("Record accepted an invalid state")
	}
	if ev := events(t, path); len(ev) != 0 {
		t.Fatalf("events %+v survived a failed round", ev)
	}
	r, err := st.LastRound(context.Background())
	if err != nil || !r.StartedAt.Equal(minute(0)) {
		t.Fatalf("last round %+v, %v; want the first one only", r, err)
	}
	if s := storedState(t, st, "a"); s.State != status.Up {
		t.Fatalf("state %q survived a failed round", s.State)
	}
}

func TestVoidedRoundChangesNothing(t *testing.T) {
	st, _ := storeOnFile(t, newClock())
	ctx := context.Background()
	recordAt(t, st, minute(0), resultOf("a", status.Up, "ok"))
	before := storedState(t, st, "a")
	out, err := Record(ctx, st, RoundInput{
		Round:    storage.Round{StartedAt: minute(1), FinishedAt: minute(1), Services: 1, Failed: 1, Canaries: 2, CanariesFailed: 2, Voided: true},
		Results:  []storage.CheckResult{resultOf("a", status.Down, "connection")},
		Canaries: []storage.CheckResult{{ServiceID: storage.CanaryPrefix + "https://www.debian.org", State: status.Down, Reason: "connection"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Transitions) != 0 || out.Events != 0 {
		t.Fatalf("voided round outcome %+v", out)
	}
	after := storedState(t, st, "a")
	if after.State != status.Up || after.CandidateCount != before.CandidateCount || after.LastState != before.LastState ||
		!after.LastCheckedAt.Equal(minute(1)) {
		t.Fatalf("after a voided round: %+v, want the state of before with last_checked_at moved", after)
	}
	last, err := st.LastRound(ctx)
	if err != nil || !last.Voided || last.CanariesFailed != 2 {
		t.Fatalf("LastRound %+v, %v; want voided", last, err)
	}
	u, err := st.Uptime(ctx, "a", t0, minute(60))
	if err != nil || u.Unknown != time.Minute || u.Up != 0 {
		t.Fatalf("uptime %+v, %v; want the voided minute counted unknown", u, err)
	}
	canary, err := st.RecentResults(ctx, storage.CanaryPrefix+"https://www.debian.org", t0)
	if err != nil || len(canary) != 1 {
		t.Fatalf("canary results %+v, %v; want the canary stored", canary, err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "restart.db")
	c := newClock()
	st := openStore(t, path, c)
	recordAt(t, st, minute(0), resultOf("a", status.Up, "ok"))
	recordAt(t, st, minute(1), resultOf("a", status.Down, "timeout"))
	st.Close()
	st = openStore(t, path, c)
	defer st.Close()
	out := recordAt(t, st, minute(2), resultOf("a", status.Down, "timeout"))
	if len(out.Transitions) != 0 || len(events(t, path)) != 1 {
		t.Fatalf("after a restart during an outage: outcome %+v, events %d; want no new announcement", out, len(events(t, path)))
	}
	recordAt(t, st, minute(3), resultOf("a", status.Up, "ok"))
	if ev := events(t, path); len(ev) != 2 || ev[1].kind != "recovery" {
		t.Fatalf("events %+v, want the recovery of the outage known before the restart", ev)
	}
}

// Record counts the time between two checks further apart than the
// round's MaxGap, DefaultMaxGap when it is zero, as unknown beyond it: the
// checker was stopped.
func TestRecordMaxGap(t *testing.T) {
	for _, tt := range []struct {
		maxGap, wantUp time.Duration
	}{{0, DefaultMaxGap}, {30 * time.Minute, 30 * time.Minute}} {
		t.Run(tt.maxGap.String(), func(t *testing.T) {
			st, _ := storeOnFile(t, newClock())
			for _, at := range []time.Time{minute(0), minute(45)} {
				in := RoundInput{Round: storage.Round{StartedAt: at, FinishedAt: at},
					Results: []storage.CheckResult{resultOf("a", status.Up, "ok")}, MaxGap: tt.maxGap}
				if _, err := Record(context.Background(), st, in, immediate); err != nil {
					t.Fatal(err)
				}
			}
			u, err := st.Uptime(context.Background(), "a", t0, minute(120))
			if err != nil || u.Up != tt.wantUp || u.Unknown != 45*time.Minute-tt.wantUp {
				t.Fatalf("uptime %+v, %v; want %v up, the rest of the 45 min unknown", u, err, tt.wantUp)
			}
		})
	}
}

// The checker's SeenURL and Unverified survive the round and a reopening,
// and the outcome lists a service when it becomes unverified, once.
func TestUnverifiedStoredAndReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seen.db")
	ctx := context.Background()
	c := newClock()
	st := openStore(t, path, c)
	never := func(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
		prev.Unverified, prev.SeenURL = true, ""
		return prev
	}
	rec := func(st *storage.Store, at int) RoundOutcome {
		out, err := Record(ctx, st, RoundInput{Round: storage.Round{StartedAt: minute(at), FinishedAt: minute(at)},
			Results: []storage.CheckResult{resultOf("a", status.Down, "http_status")}}, never)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := rec(st, 0); len(out.Unverified) != 1 || out.Unverified[0].ServiceID != "a" {
		t.Fatalf("first round: unverified %+v, want a", out.Unverified)
	}
	st.Close()
	st = openStore(t, path, c)
	defer st.Close()
	if out := rec(st, 1); len(out.Unverified) != 0 {
		t.Fatalf("second round: unverified %+v, want none (already)", out.Unverified)
	}
	if s := storedState(t, st, "a"); !s.Unverified || s.SeenURL != "" {
		t.Fatalf("state %+v; want unverified", s)
	}
	if got, err := storage.UnverifiedServices(ctx, path); err != nil || len(got) != 1 || !got["a"] {
		t.Fatalf("UnverifiedServices = %v, %v; want a", got, err)
	}
	if _, err := storage.UnverifiedServices(ctx, path+".missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("UnverifiedServices of a missing file: %v, want ErrNotFound", err)
	}
}

// TestOnlyRecordJudges: the rounds Record writes are judged, voided or
// not; those WriteRound writes (a follower's) never are, whatever the
// caller says, so that a follower still probing does not make the judged
// view look current.
func TestOnlyRecordJudges(t *testing.T) {
	st, _ := storeOnFile(t, newClock())
	ctx := context.Background()
	for _, in := range []RoundInput{
		{Round: storage.Round{Vantage: "paris", StartedAt: minute(0), FinishedAt: minute(0), Services: 1}, Results: []storage.CheckResult{resultOf("a", status.Up, "ok")}},
		{Round: storage.Round{Vantage: "paris", StartedAt: minute(1), FinishedAt: minute(1), Services: 1, Failed: 1, Voided: true}, Results: []storage.CheckResult{resultOf("a", status.Down, "connection")}},
	} {
		out, err := Record(ctx, st, in, immediate)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.LastJudgedRound(ctx)
		if err != nil || got.ID != out.RoundID || !got.Judged {
			t.Fatalf("after Record (voided %v): LastJudgedRound %+v, %v; want round %d", in.Round.Voided, got, err, out.RoundID)
		}
	}
	judged, _ := st.LastJudgedRound(ctx)
	id, err := WriteRound(ctx, st, RoundInput{Round: storage.Round{Vantage: "lyon", StartedAt: minute(2), FinishedAt: minute(2), Judged: true},
		Results: []storage.CheckResult{resultOf("a", status.Up, "ok")}})
	if err != nil {
		t.Fatal(err)
	}
	if last, err := st.LastRound(ctx); err != nil || last.ID != id || last.Judged {
		t.Fatalf("LastRound %+v, %v; want lyon's round %d, not judged", last, err, id)
	}
	if got, err := st.LastJudgedRound(ctx); err != nil || got.ID != judged.ID {
		t.Fatalf("after WriteRound: LastJudgedRound %+v, %v; want still round %d", got, err, judged.ID)
	}
}
