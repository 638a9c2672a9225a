package web

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"sentinelle/status"
)

// TestIncidentsAndFeedCached: /api/incidents (per query) and /feed.atom
// are read from the database at most once per cache period, like
// /api/status.
func TestIncidentsAndFeedCached(t *testing.T) {
	clock := &testClock{start: storyNow(t)}
	now := clock.start
	st := openStore(t, now)
	up := func(string, time.Time) probe { return probe{State: status.Up, Reason: "ok", Status: 200} }
	down := func(string, time.Time) probe { return probe{State: status.Down, Reason: "timeout"} }
	feed(t, st, []string{"toutatice"}, []time.Time{now.Add(-2 * time.Minute)}, 0, up)
	srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), CacheTTL: 10 * time.Second, Now: clock.Now})
	targets := []string{"/api/incidents", "/api/incidents?academie=rennes", "/api/incidents?limit=5", "/feed.atom"}
	read := func() map[string][]byte {
		t.Helper()
		out := map[string][]byte{}
		for _, target := range targets {
			res, body := get(t, srv.Handler(), target)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d %s", target, res.StatusCode, body)
			}
			out[target] = body
		}
		return out
	}
	first := read()
	feed(t, st, []string{"toutatice"}, []time.Time{now.Add(-time.Minute)}, 0, down) // opens an incident

	clock.Set(5 * time.Second)
	for target, body := range read() {
		if !bytes.Equal(body, first[target]) {
			t.Errorf("GET %s within the cache period read the database again:\n%s\nwant\n%s", target, body, first[target])
		}
	}
	clock.Set(11 * time.Second)
	for target, body := range read() {
		if bytes.Equal(body, first[target]) || !bytes.Contains(bytes.ToLower(body), []byte("toutatice")) {
			t.Errorf("GET %s after the cache period does not show the new incident:\n%s", target, body)
		}
	}
}

// TestQueryCacheBounded: a client that sends ever new queries cannot make
// the cache grow without bound, nor push the overview out of it.
func TestQueryCacheBounded(t *testing.T) {
	srv, _, _, _ := storyServer(t)
	h := srv.Handler()
	get(t, h, "/api/status")
	for i := range 3 * maxQueryEntries {
		target := fmt.Sprintf("/api/incidents?since=2021-03-01T00:%02d:%02dZ", i/60, i%60)
		if res, body := get(t, h, target); res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s", target, res.StatusCode, body)
		}
	}
	if n := srv.queries.len(); n > maxQueryEntries {
		t.Errorf("%d queries cached, want at most %d", n, maxQueryEntries)
	}
	if _, ok := srv.cache.entries["overview"]; !ok {
		t.Error("the flood of queries pushed the overview out of the cache")
	}
}

// TestTTLCacheEvictsOldest: at capacity, expired entries go first, then
// the one that expires soonest.
func TestTTLCacheEvictsOldest(t *testing.T) {
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	c := newTTLCache(10*time.Second, 3)
	put := func(at time.Duration, key string) {
		t.Helper()
		if _, err := c.get(t0.Add(at), key, func() (any, error) { return key, nil }); err != nil {
			t.Fatal(err)
		}
	}
	put(0, "a")
	put(time.Second, "b")
	put(2*time.Second, "c")
	put(3*time.Second, "d") // full, nothing expired: a, the oldest, goes
	if _, ok := c.entries["a"]; ok || c.len() != 3 {
		t.Errorf("entries %v, want b, c, d", c.entries)
	}
	put(12*time.Second, "e") // b and c expired
	if _, ok := c.entries["d"]; !ok || c.len() != 2 {
		t.Errorf("entries %v, want d, e", c.entries)
	}
}
