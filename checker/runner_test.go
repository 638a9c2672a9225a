package checker

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// clock is a settable time for rounds; probes keep measuring real latency.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// t0 is 6 April 2021, 7:30 in Paris: the morning the ENTs fell.
var t0 = time.Date(2021, 4, 6, 5, 30, 0, 0, time.UTC)

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// switchable is a fake ENT whose behaviour a test changes between rounds.
type switchable struct {
	srv  *httptest.Server
	mode atomic.Value // "ok", "quota", "502"
}

func newSwitchable(t *testing.T) *switchable {
	s := &switchable{}
	s.mode.Store("ok")
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.mode.Load() {
		case "quota":
			fmt.Fprint(w, "<p>"+monlyceeQuota+"</p>")
		case "502":
			http.Error(w, "Bad Gateway", http.StatusBadGateway)
		default:
			fmt.Fprint(w, loginPage)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *switchable) set(mode string) { s.mode.Store(mode) }

func openStore(t *testing.T, path string, c *clock) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), path, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// storeOnFile is a store in a temporary file on clock c, closed when the
// test ends, and the file's path for reading the events.
func storeOnFile(t *testing.T, c *clock) (*storage.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path, c)
	t.Cleanup(func() { st.Close() })
	return st, path
}

func newRunner(t *testing.T, cat *catalog.Catalog, st Store, c *clock, canaries []string, mod func(*Options)) *Runner {
	t.Helper()
	opts := Options{Catalog: cat, Store: st, Now: c.Now, Probe: ProbeOptions{Timeout: testTimeout},
		DownAfter: 2, UpAfter: 2, CanaryURLs: canaries}
	if mod != nil {
		mod(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// round runs one round and moves the clock a minute forward.
func round(t *testing.T, r *Runner, c *clock) RoundReport {
	t.Helper()
	rep, err := r.RunOnce(context.Background())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	c.Add(time.Minute)
	return rep
}

type eventRow struct {
	kind, service string
	from, to      status.State
	reason        status.Reason
}

// events reads the events table directly, as the delivery side would.
func events(t *testing.T, path string) []eventRow {
	t.Helper()
	var out []eventRow
	for _, e := range storedEvents(t, path) {
		out = append(out, e.eventRow)
	}
	return out
}

// storedEvent is a row of events with the columns a state event fills.
type storedEvent struct {
	eventRow
	dedupKey, audience string
	priority           int
	at                 time.Time
	payload            status.StatePayload
	payloadJSON        string // as stored
}

// storedEvents reads the events table directly, every column a state
// event fills.
func storedEvents(t *testing.T, path string) []storedEvent {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT kind, service_id, from_state, to_state, reason, dedup_key, audience, priority, at, payload
		FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		var at int64
		var payload string
		if err := rows.Scan(&e.kind, &e.service, &e.from, &e.to, &e.reason, &e.dedupKey, &e.audience, &e.priority, &at, &payload); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(payload), &e.payload); err != nil {
			t.Fatalf("payload %q: %v", payload, err)
		}
		e.at, e.payloadJSON = time.UnixMilli(at).UTC(), payload
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func okServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, loginPage) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunOnceOutageAndRecovery(t *testing.T) {
	ent := newSwitchable(t)
	cat := testCatalog(t, catalog.Service{ID: "monlycee", URL: ent.srv.URL}, catalog.Service{ID: "lumni", URL: okServer(t), National: true})
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path, c)
	defer st.Close()
	var woken atomic.Int32
	r := newRunner(t, cat, st, c, []string{okServer(t)}, func(o *Options) { o.OnEvents = func() { woken.Add(1) } })

	round(t, r, c)
	round(t, r, c)
	ent.set("quota")
	if rep := round(t, r, c); len(rep.Transitions) != 0 || rep.Results[0].Reason != status.ReasonWaitingRoom {
		t.Fatalf("first quota round: %+v, want a candidate only", rep.Transitions)
	}
	rep := round(t, r, c)
	if len(rep.Transitions) != 1 || rep.Transitions[0].To != status.Down || rep.Events != 1 || woken.Load() != 1 {
		t.Fatalf("second quota round: transitions %+v, events %d, woken %d; want monlycee down announced", rep.Transitions, rep.Events, woken.Load())
	}
	ent.set("ok")
	round(t, r, c)
	round(t, r, c)

	want := []eventRow{
		{"outage", "monlycee", status.Up, status.Down, "waiting_room"},
		{"recovery", "monlycee", status.Down, status.Up, "ok"},
	}
	if got := events(t, path); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	states, err := st.ServiceStates(context.Background())
	if err != nil || len(states) != 2 {
		t.Fatalf("states %+v, %v", states, err)
	}
	for _, s := range states {
		if s.State != status.Up {
			t.Errorf("%s is %s, want up", s.ServiceID, s.State)
		}
	}
	inc, _ := st.Incidents(context.Background(), storage.IncidentFilter{})
	if len(inc) != 1 || inc[0].Open() || inc[0].Duration(time.Time{}) != 2*time.Minute {
		t.Fatalf("incidents %+v, want one closed 2-minute outage", inc)
	}
}

func TestVantageGuard(t *testing.T) {
	tests := []struct {
		name                      string
		canaryUp                  bool
		noCanary                  bool
		wantVoided                bool
		wantDownAfterTwoBadRounds bool
	}{
		{name: "our network is down: void", canaryUp: false, wantVoided: true},
		{name: "the canaries answer: a nationwide outage is real", canaryUp: true, wantDownAfterTwoBadRounds: true},
		{name: "no canary: no evidence, the outage is announced", noCanary: true, wantDownAfterTwoBadRounds: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ents := []*switchable{newSwitchable(t), newSwitchable(t), newSwitchable(t)}
			var svcs []catalog.Service
			for i, e := range ents {
				svcs = append(svcs, catalog.Service{ID: fmt.Sprintf("ent%d", i), URL: e.srv.URL})
			}
			cat := testCatalog(t, svcs...)
			canary := refusedURL(t)
			if tt.canaryUp {
				canary = okServer(t)
			}
			canaries := []string{canary, refusedURL(t)}
			if tt.canaryUp {
				canaries = []string{refusedURL(t), canary} // one canary answering is enough
			}
			if tt.noCanary {
				canaries = nil
			}
			c := newClock()
			path := filepath.Join(t.TempDir(), "s.db")
			st := openStore(t, path, c)
			defer st.Close()
			r := newRunner(t, cat, st, c, canaries, nil)
			round(t, r, c)
			round(t, r, c)
			// Two services of three fail (more than half); the third is fine.
			ents[0].set("502")
			ents[1].set("502")
			var reps []RoundReport
			for range 3 {
				reps = append(reps, round(t, r, c))
			}
			if reps[0].Voided != tt.wantVoided || reps[2].Voided != tt.wantVoided {
				t.Fatalf("voided %v, want %v (failed %d, canaries failed %d)", reps[0].Voided, tt.wantVoided, reps[0].Failed, reps[0].CanariesFailed)
			}
			got, err := storagetest.One(st.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "ent0" })
			if err != nil {
				t.Fatal(err)
			}
			if isDown := got.State == status.Down; isDown != tt.wantDownAfterTwoBadRounds {
				t.Fatalf("ent0 is %s after three bad rounds, want down: %v", got.State, tt.wantDownAfterTwoBadRounds)
			}
			last, err := st.LastRound(context.Background())
			if err != nil || last.Voided != tt.wantVoided {
				t.Fatalf("LastRound %+v, %v; want voided %v for the status page", last, err, tt.wantVoided)
			}
			if n := len(events(t, path)); tt.wantVoided && n != 0 || !tt.wantVoided && n != 2 {
				t.Fatalf("%d events, want %d", n, map[bool]int{true: 0, false: 2}[tt.wantVoided])
			}
		})
	}
}

func TestVoided(t *testing.T) {
	tests := []struct {
		services, failed, canaries, canariesFailed int
		want                                       bool
	}{
		{10, 6, 2, 2, true},
		{10, 5, 2, 2, false}, // half is not most
		{10, 10, 2, 1, false},
		{10, 10, 0, 0, false},
		{1, 1, 1, 1, true},
	}
	for _, tt := range tests {
		if got := voided(tt.services, tt.failed, tt.canaries, tt.canariesFailed); got != tt.want {
			t.Errorf("voided(%d services, %d failed, %d canaries, %d failed) = %v, want %v",
				tt.services, tt.failed, tt.canaries, tt.canariesFailed, got, tt.want)
		}
	}
}
