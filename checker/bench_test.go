package checker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// BenchmarkRound300 runs whole rounds (probes, judgement, one transaction in
// a real SQLite file) over 300 services: 200 answer at once, 100 accept the
// connection and never answer, like the saturated ENTs of 6 April 2021.
//
//   - default: CHECK_TIMEOUT=10s and CHECK_CONCURRENCY unset (a slot per
//     service and canary), the production setting. Every result must come
//     within 1.05 × CHECK_TIMEOUT of the round's start; it fails otherwise.
//   - concurrency=301: the same with CHECK_TIMEOUT=1s, to run quickly; it
//     fails if a round takes 1.2 × CHECK_TIMEOUT or more.
//   - concurrency=32: what an explicit cap costs in that case: the hanging
//     probes queue in ⌈100/32⌉ = 4 waves of CHECK_TIMEOUT.
//
// Metrics: last-result-ms, from the round's start to its last result (the
// figure a family waits for); slowest-probe-ms, the longest single probe;
// slowest-round-ms, the whole RunOnce with its recording.
//
//	go test -run XXX -bench '^BenchmarkRound300$' -benchtime 3x ./checker
func BenchmarkRound300(b *testing.B) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, loginPage)
	}))
	b.Cleanup(ok.Close)
	hang := hangingListener(b)
	var svcs []catalog.Service
	for i := range 300 {
		u := fmt.Sprintf("%s/ent/%d", ok.URL, i)
		if i%3 == 2 {
			u = fmt.Sprintf("%s/ent/%d", hang, i)
		}
		svcs = append(svcs, catalog.Service{ID: fmt.Sprintf("ent-%d", i), URL: u})
	}
	cat := testCatalog(b, svcs...)
	for _, bc := range []struct {
		name        string
		timeout     time.Duration
		concurrency int     // 0: the default
		limit       float64 // × timeout that a result may take at most; 0: none
		ofRound     bool    // the limit is on the whole round, recording included
	}{
		{"default", 10 * time.Second, 0, 1.05, false},
		{"concurrency=301", time.Second, 301, 1.2, true},
		{"concurrency=32", time.Second, 32, 0, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newClock()
			st, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), c.Now)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			r, err := New(Options{Catalog: cat, Store: st, Now: c.Now, Probe: ProbeOptions{Timeout: bc.timeout},
				Concurrency: bc.concurrency, CanaryURLs: []string{ok.URL}})
			if err != nil {
				b.Fatal(err)
			}
			limit := time.Duration(bc.limit * float64(bc.timeout))
			b.ReportAllocs()
			var lastResult, slowestProbe, slowestRound time.Duration
			for b.Loop() {
				start := time.Now()
				rep, err := r.RunOnce(context.Background())
				took := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Failed != 100 || rep.Voided {
					b.Fatalf("round saw %d failures (voided %v), want the 100 hanging services", rep.Failed, rep.Voided)
				}
				probe := slowest(rep.Results)
				switch {
				case limit > 0 && bc.ofRound && took >= limit:
					b.Fatalf("round took %v, want under %.2f × CHECK_TIMEOUT = %v", took, bc.limit, limit)
				case limit > 0 && !bc.ofRound && max(rep.Duration, probe) > limit:
					b.Fatalf("last result after %v (slowest probe %v), want within %.2f × CHECK_TIMEOUT = %v",
						rep.Duration, probe, bc.limit, limit)
				}
				lastResult, slowestProbe, slowestRound = max(lastResult, rep.Duration), max(slowestProbe, probe), max(slowestRound, took)
				c.Add(time.Minute)
			}
			b.ReportMetric(float64(lastResult.Milliseconds()), "last-result-ms")
			b.ReportMetric(float64(slowestProbe.Milliseconds()), "slowest-probe-ms")
			b.ReportMetric(float64(slowestRound.Milliseconds()), "slowest-round-ms")
		})
	}
}

// slowest returns the longest latency of results.
func slowest(results []Result) time.Duration {
	var d time.Duration
	for _, r := range results {
		d = max(d, r.Latency)
	}
	return d
}
