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
// With a slot per probe the round lasts about one CHECK_TIMEOUT; it fails
// if a round takes 1.2 × CHECK_TIMEOUT or more. The concurrency=32
// sub-benchmark shows what the default CHECK_CONCURRENCY costs in that case:
// the hanging probes queue in ceil(100/32) = 4 waves.
//
//	/usr/bin/time -v go test -run XXX -bench Round300 -benchtime 3x ./checker
func BenchmarkRound300(b *testing.B) {
	const timeout = time.Second
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
	for _, conc := range []int{300 + 1, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			c := newClock()
			st, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), c.Now)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			r, err := New(Options{Catalog: cat, Store: st, Now: c.Now, Probe: ProbeOptions{Timeout: timeout},
				Concurrency: conc, CanaryURLs: []string{ok.URL}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var slowest time.Duration
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
				if conc > 100 && took >= timeout*12/10 {
					b.Fatalf("round took %v, want under 1.2 × CHECK_TIMEOUT = %v", took, timeout*12/10)
				}
				slowest = max(slowest, took)
				c.Add(time.Minute)
			}
			b.ReportMetric(float64(slowest.Milliseconds()), "slowest-round-ms")
		})
	}
}
