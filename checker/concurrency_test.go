package checker

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
)

// hangingTransport is a portal that never answers, without a network: each
// request waits for its context to end. It counts the requests waiting at
// once.
type hangingTransport struct {
	mu               sync.Mutex
	inFlight, atMost int
}

func (h *hangingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.inFlight++
	h.atMost = max(h.atMost, h.inFlight)
	h.mu.Unlock()
	<-req.Context().Done()
	h.mu.Lock()
	h.inFlight--
	h.mu.Unlock()
	return nil, req.Context().Err()
}

func (h *hangingTransport) peak() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.atMost
}

func hangingServices(n int) []catalog.Service {
	svcs := make([]catalog.Service, n)
	for i := range svcs {
		svcs[i] = catalog.Service{ID: fmt.Sprintf("ent-%d", i), URL: fmt.Sprintf("http://ent-%d.invalid/", i)}
	}
	return svcs
}

// TestRoundAtDefaultConcurrencyLastsOneTimeout: with no CHECK_CONCURRENCY,
// every service and canary has its slot, so a round where a third of the
// portals hang lasts one timeout, not ⌈hanging/slots⌉ of them. The clock
// is synctest's: the assertion is exact and takes no real time.
func TestRoundAtDefaultConcurrencyLastsOneTimeout(t *testing.T) {
	const timeout = 10 * time.Second
	cat := testCatalog(t, hangingServices(90)...)
	canaries := []string{"http://canary-1.invalid/", "http://canary-2.invalid/"}
	synctest.Test(t, func(t *testing.T) {
		rt := &hangingTransport{}
		r, err := New(Options{Catalog: cat, Store: fakeStore{}, CanaryURLs: canaries,
			Probe: ProbeOptions{Timeout: timeout, Transport: rt}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rep, err := r.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took != timeout {
			t.Errorf("round took %v, want one timeout (%v)", took, timeout)
		}
		if got, want := rt.peak(), 90+len(canaries); got != want {
			t.Errorf("%d probes at once, want %d (every service and canary)", got, want)
		}
		if rep.Failed != 90 {
			t.Errorf("%d failed, want 90", rep.Failed)
		}
	})
}

// TestCheckAllDefaultConcurrency: `sentinelle check` passes
// CHECK_CONCURRENCY as it is, 0 when unset, which means one slot per
// service; an explicit value still caps the probes at once.
func TestCheckAllDefaultConcurrency(t *testing.T) {
	const timeout = 10 * time.Second
	svcs := hangingServices(30)
	cat := testCatalog(t, svcs...)
	for _, tt := range []struct{ concurrency, want int }{{0, 30}, {-1, 30}, {7, 7}} {
		t.Run(fmt.Sprintf("concurrency=%d", tt.concurrency), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rt := &hangingTransport{}
				p := NewProbe(ProbeOptions{Timeout: timeout, Transport: rt})
				start := time.Now()
				res := p.CheckAll(context.Background(), cat, svcs, tt.concurrency)
				if got := rt.peak(); got != tt.want {
					t.Errorf("%d probes at once, want %d", got, tt.want)
				}
				waves := (len(svcs) + tt.want - 1) / tt.want
				if took, want := time.Since(start), time.Duration(waves)*timeout; took != want {
					t.Errorf("took %v, want %d × timeout = %v", took, waves, want)
				}
				if res[len(res)-1].Reason != status.ReasonTimeout {
					t.Errorf("last result %s/%s, want down/timeout", res[len(res)-1].State, res[len(res)-1].Reason)
				}
			})
		})
	}
}
