package checker

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// storedState reads one service's stored state.
func storedState(t *testing.T, st *storage.Store, id string) storage.ServiceState {
	t.Helper()
	states, err := st.ServiceStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if s.ServiceID == id {
			return s
		}
	}
	t.Fatalf("no state for %s in %+v", id, states)
	return storage.ServiceState{}
}

// seenWorld is a store in a temporary file and a runner over one service
// "ent" at url, with thresholds of 2.
func seenWorld(t *testing.T, url string, mod func(*Options)) (r *Runner, c *clock, st *storage.Store, path string) {
	t.Helper()
	c = newClock()
	st, path = storeOnFile(t, c)
	return newRunner(t, testCatalog(t, catalog.Service{ID: "ent", URL: url}), st, c, nil, mod), c, st, path
}

// A portal never seen up is a catalog problem: nobody is told, it is
// unverified, logged once; its first good round makes a later failure an
// outage announced as usual.
func TestNeverSeenUpAnnouncesNothing(t *testing.T) {
	ent := newSwitchable(t)
	ent.set("502")
	var logs bytes.Buffer
	r, c, st, path := seenWorld(t, ent.srv.URL, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	for range 4 {
		round(t, r, c)
	}
	if got := events(t, path); len(got) != 0 {
		t.Fatalf("events %+v, want none for a portal never seen up", got)
	}
	if s := storedState(t, st, "ent"); !s.Unverified || s.State != status.Unknown || s.SeenURL != "" {
		t.Fatalf("state %+v, want unknown and unverified", s)
	}
	if inc, _ := st.Incidents(context.Background(), storage.IncidentFilter{}); len(inc) != 0 {
		t.Fatalf("incidents %+v, want none", inc)
	}
	if n := strings.Count(logs.String(), "never seen up"); n != 1 || !strings.Contains(logs.String(), "url="+ent.srv.URL) ||
		!strings.Contains(logs.String(), "reason=http_status") {
		t.Fatalf("warnings (%d):\n%s\nwant one naming the URL and reason", n, logs.String())
	}

	ent.set("ok")
	round(t, r, c)
	if s := storedState(t, st, "ent"); s.Unverified || s.SeenURL != ent.srv.URL {
		t.Fatalf("after a good round: %+v, want verified at %s", s, ent.srv.URL)
	}
	ent.set("502")
	round(t, r, c)
	round(t, r, c)
	want := []eventRow{{"outage", "ent", status.Unknown, status.Down, "http_status"}}
	if got := events(t, path); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
}

// A waiting room is the portal itself speaking: seen, and announced.
func TestWaitingRoomCountsAsSeen(t *testing.T) {
	ent := newSwitchable(t)
	ent.set("quota")
	r, c, st, path := seenWorld(t, ent.srv.URL, nil)
	round(t, r, c)
	round(t, r, c)
	want := []eventRow{{"outage", "ent", status.Unknown, status.Down, "waiting_room"}}
	if got := events(t, path); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	if s := storedState(t, st, "ent"); s.Unverified {
		t.Fatalf("state %+v, want verified", s)
	}
}

// A new URL in the catalog starts the service over: seen up at its old
// address proves nothing about the new one.
func TestCatalogURLChangeResets(t *testing.T) {
	old, broken := newSwitchable(t), newSwitchable(t)
	broken.set("502")
	r, c, st, path := seenWorld(t, old.srv.URL, nil)
	round(t, r, c)
	round(t, r, c)
	if s := storedState(t, st, "ent"); s.State != status.Up || s.Unverified {
		t.Fatalf("at the old URL: %+v, want up", s)
	}
	r = newRunner(t, testCatalog(t, catalog.Service{ID: "ent", URL: broken.srv.URL}), st, c, nil, nil)
	for range 3 {
		round(t, r, c)
	}
	if got := events(t, path); len(got) != 0 {
		t.Fatalf("events %+v, want none: the new URL was never seen up", got)
	}
	if s := storedState(t, st, "ent"); !s.Unverified || s.State != status.Unknown {
		t.Fatalf("at the new URL: %+v, want unknown and unverified", s)
	}
}

func TestDecide(t *testing.T) {
	th := Thresholds{DownAfter: 1, UpAfter: 1}
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	const u = "https://ent.example/"
	bad := storage.CheckResult{State: status.Down, Reason: status.ReasonHTTPStatus}
	quota := storage.CheckResult{State: status.Down, Reason: status.ReasonWaitingRoom}
	slow := storage.CheckResult{State: status.Degraded, Reason: status.ReasonSlow}
	fresh := storage.ServiceState{State: status.Unknown}
	tests := []struct {
		name           string
		prev           storage.ServiceState
		r              storage.CheckResult
		wantState      status.State
		wantUnverified bool
		wantSeen       string
	}{
		{"fresh, bad", fresh, bad, status.Unknown, true, ""},
		{"fresh, waiting room", fresh, quota, status.Down, false, u},
		{"fresh, slow", fresh, slow, status.Degraded, false, u},
		{"seen, bad", storage.ServiceState{State: status.Up, SeenURL: u}, bad, status.Down, false, u},
		{"seen before 005, bad", storage.ServiceState{State: status.Up, SeenURL: storage.SeenURLUnrecorded}, bad, status.Down, false, u},
		{"seen elsewhere, bad", storage.ServiceState{State: status.Down, SeenURL: "https://old.example/"}, bad, status.Unknown, true, ""},
		{"seen elsewhere, good", storage.ServiceState{State: status.Down, SeenURL: "https://old.example/"}, slow, status.Degraded, false, u},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.prev, tt.r, u, th, at)
			if got.State != tt.wantState || got.Unverified != tt.wantUnverified || got.SeenURL != tt.wantSeen {
				t.Errorf("got state %s unverified %v seen %q, want %s %v %q", got.State, got.Unverified, got.SeenURL,
					tt.wantState, tt.wantUnverified, tt.wantSeen)
			}
		})
	}
}
