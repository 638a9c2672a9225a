package web

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // French times whatever the machine running the tests has

	"sentinelle/catalog"
	"sentinelle/checker"
	"sentinelle/status"
	"sentinelle/storage"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// parisLoc is where every test shows its times.
func parisLoc(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// storyNow is the morning of 6 April 2021, 09:40 in Paris: the first day of
// school at home, ENTs saturated since 7:30.
func storyNow(t testing.TB) time.Time {
	return time.Date(2021, 4, 6, 9, 40, 0, 0, parisLoc(t))
}

// openStore opens a real database under t.TempDir with a fixed clock.
func openStore(t testing.TB, now time.Time) *storage.Store {
	t.Helper()
	st, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "sentinelle.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// immediate is a judge without thresholds: the state is what the probe
// saw. The checker's thresholds are its own business; the page shows what
// storage holds.
func immediate(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
	next := prev
	if r.State != prev.State {
		next.State, next.Since = r.State, r.At
	}
	next.Reason = r.Reason
	return next
}

// probe is what a fake service answers at a time.
type probe struct {
	State   status.State
	Reason  status.Reason
	Latency time.Duration
	Status  int
}

// scenario says what each service answered at a time.
type scenario func(serviceID string, at time.Time) probe

// storyVantage names the one instance that feed's rounds come from.
const storyVantage = "paris-1"

// feed records one round at each time, every service probed per the
// scenario. maxGap must cover the step between rounds, so that the time
// counts in the uptime.
func feed(t testing.TB, st *storage.Store, services []string, times []time.Time, maxGap time.Duration, sc scenario) {
	t.Helper()
	ctx := context.Background()
	for _, at := range times {
		in := roundOf(storyVantage, services, at, sc)
		in.MaxGap = maxGap
		if _, err := checker.Record(ctx, st, in, immediate); err != nil {
			t.Fatalf("record round at %s: %v", at, err)
		}
	}
}

// roundOf is vantage v's round at at, every service probed per sc.
func roundOf(v string, services []string, at time.Time, sc scenario) checker.RoundInput {
	in := checker.RoundInput{Round: storage.Round{Vantage: v, StartedAt: at, FinishedAt: at.Add(20 * time.Second), Services: len(services)}}
	for _, id := range services {
		p := sc(id, at)
		if p.State != status.Up {
			in.Round.Failed++
		}
		in.Results = append(in.Results, storage.CheckResult{ServiceID: id, State: p.State, Reason: p.Reason,
			HTTPStatus: p.Status, Latency: p.Latency})
	}
	return in
}

// every returns the times from from (included) to to (excluded), step
// apart.
func every(from, to time.Time, step time.Duration) []time.Time {
	var out []time.Time
	for at := from; at.Before(to); at = at.Add(step) {
		out = append(out, at)
	}
	return out
}

// history feeds 90 days of rounds: two a day, at 8:00 (the morning rush)
// and 10:00, until the last 24 hours, then one every 10 minutes, and a
// last one a minute before now, so that the checker looks alive. The gap
// allowed covers the night, so the days are counted whole.
func history(t testing.TB, st *storage.Store, services []string, now time.Time, sc scenario) {
	t.Helper()
	day := now.Add(-24 * time.Hour)
	var times []time.Time
	for d := firstDay(now, historyDays+1); d.Before(day); d = d.AddDate(0, 0, 1) {
		for _, h := range []int{8, 10} {
			if at := d.Add(time.Duration(h) * time.Hour); at.Before(day) {
				times = append(times, at)
			}
		}
	}
	feed(t, st, services, times, 23*time.Hour, sc)
	times = append(every(day, now.Add(-time.Minute), 10*time.Minute), now.Add(-time.Minute))
	feed(t, st, services, times, 23*time.Hour, sc)
}

// pageStore opens the store the status pages are read from: the history
// of sc for every service of cat, and ENT Auvergne-Rhône-Alpes (ent-aura)
// in maintenance until maintenanceEnd, so that the pages show one.
func pageStore(t testing.TB, cat *catalog.Catalog, now time.Time, sc scenario, maintenanceEnd time.Time) *storage.Store {
	t.Helper()
	st := openStore(t, now)
	ids := make([]string, 0, len(cat.Services))
	for _, s := range cat.Services {
		ids = append(ids, s.ID)
	}
	history(t, st, ids, now, sc)
	if err := st.Update(context.Background(), func(tx *storage.Tx) error {
		return tx.SetMaintenance(context.Background(), "ent-aura", maintenanceEnd)
	}); err != nil {
		t.Fatal(err)
	}
	return st
}

// between reports whether at is in [from, to).
func between(at, from, to time.Time) bool { return !at.Before(from) && at.Before(to) }

// get serves one request through the handler and returns the response and
// its body.
func get(t testing.TB, h http.Handler, target string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// wantStatusHeader reports a response whose status or header name is not
// the wanted one.
func wantStatusHeader(t *testing.T, res *http.Response, status int, name, want string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("status = %d, want %d", res.StatusCode, status)
	}
	if got := res.Header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

// golden compares got with testdata/name.golden, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./web -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update after checking the change):\n%s", name, path, firstDiff(got, want))
	}
}

// firstDiff shows the first line where got and want part.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + strconv.Itoa(i+1) + "\n got: " + string(clip(gl)) + "\nwant: " + string(clip(wl))
		}
	}
	return ""
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return b[:300]
	}
	return b
}

// mustCatalog parses a test catalog.
func mustCatalog(t testing.TB, yaml string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testLogger logs through t.Log, so that a failing test shows what the
// server logged.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testClock is a clock the test moves by hand, read safely by the
// handlers' goroutines.
type testClock struct {
	start   time.Time
	elapsed atomic.Int64
}

func (c *testClock) Now() time.Time { return c.start.Add(time.Duration(c.elapsed.Load())) }

// Set puts the clock at d after its start.
func (c *testClock) Set(d time.Duration) { c.elapsed.Store(int64(d)) }
