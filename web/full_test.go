package web

import (
	"hash/fnv"
	"net/http"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
)

// fullScenario is the default catalog on 6 April 2021: the ENTs that fell
// that morning are down (quota pages, timeouts, white pages), the CNED
// times out, Occitanie crawls, and over the 90 days every service failed
// or crawled one morning in ten at the 8:00 rush, so that the bars are
// busier than real ones.
func fullScenario(now time.Time) scenario {
	morning := time.Date(2021, 4, 6, 7, 30, 0, 0, now.Location())
	return func(id string, t time.Time) probe {
		up := probe{State: status.Up, Reason: "ok", Status: 200, Latency: 250*time.Millisecond + time.Duration(t.Minute()%9)*60*time.Millisecond}
		if !t.Before(morning) {
			switch id {
			case "monlycee", "cned-lycee":
				return probe{State: status.Down, Reason: "waiting_room", Status: 200, Latency: 800 * time.Millisecond}
			case "monbureaunumerique", "cned-college":
				return probe{State: status.Down, Reason: "timeout", Latency: 10 * time.Second}
			case "elyco":
				return probe{State: status.Down, Reason: "blank_page", Status: 200, Latency: 400 * time.Millisecond}
			case "enthdf":
				return probe{State: status.Down, Reason: "http_status", Status: 502, Latency: 300 * time.Millisecond}
			case "mon-ent-occitanie", "ecollege78":
				return probe{State: status.Degraded, Reason: "slow", Status: 200, Latency: 8 * time.Second}
			}
		}
		if t.Hour() != 8 {
			return up
		}
		h := fnv.New32a()
		h.Write([]byte(id + t.Format(time.DateOnly)))
		switch h.Sum32() % 20 {
		case 0:
			return probe{State: status.Down, Reason: "http_status", Status: 503, Latency: 200 * time.Millisecond}
		case 1:
			return probe{State: status.Degraded, Reason: "slow", Status: 200, Latency: 6 * time.Second}
		}
		return up
	}
}

// fullServer is the default catalog over 90 days of the full scenario,
// with ENT Auvergne-Rhône-Alpes in maintenance.
func fullServer(t testing.TB) (*Server, time.Time) {
	t.Helper()
	now := storyNow(t)
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	st := pageStore(t, cat, now, fullScenario(now), now.Add(2*time.Hour))
	srv := New(Options{Logger: testLogger(t), Store: st, Catalog: cat, Now: func() time.Time { return now }, Location: now.Location(),
		BotUsername: "SentinelleENTBot", PublicURL: "https://sentinelle.example.fr", MaxRoundAge: 3 * time.Minute,
		StartedAt: now.Add(-time.Hour)})
	return srv, now
}

// TestIndexSizeFullCatalog keeps the overview under 100 KB for the whole
// default catalog with 90 busy days: it must load on a phone on a
// saturated morning.
func TestIndexSizeFullCatalog(t *testing.T) {
	t.Parallel()
	srv, _ := fullServer(t)
	res, body := get(t, srv.Handler(), "/")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", res.StatusCode)
	}
	const limit = 100 * 1024
	t.Logf("/ weighs %d bytes for the default catalog", len(body))
	if len(body) >= limit {
		t.Errorf("/ weighs %d bytes, want under %d", len(body), limit)
	}
	for _, want := range []string{`id="versailles"`, `id="wallis-et-futuna"`, "Services nationaux", "MonLycée.net"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/ lacks %q", want)
		}
	}
	res, body = get(t, srv.Handler(), "/academie/versailles")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("academie status = %d, want 200", res.StatusCode)
	}
	t.Logf("/academie/versailles weighs %d bytes", len(body))
	if len(body) >= 2*limit {
		t.Errorf("/academie/versailles weighs %d bytes, want under %d", len(body), 2*limit)
	}
}

// BenchmarkIndexUncached measures what one read of the overview costs the
// database and the templates for the default catalog with 90 days of data:
// the price of a request when the 10-second cache is cold.
func BenchmarkIndexUncached(b *testing.B) { benchUncached(b, "/") }

// benchUncached serves target over the full scenario without the cache,
// again and again.
func benchUncached(b *testing.B, target string) {
	srv, now := fullServer(b)
	srv = New(Options{Store: srv.store, Catalog: srv.cat, Now: func() time.Time { return now }, Location: now.Location(), CacheTTL: -1})
	h := srv.Handler()
	for b.Loop() {
		if res, _ := get(b, h, target); res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// BenchmarkIndexCached is the same request served from the cache: what a
// rush of parents costs once the overview is built.
func BenchmarkIndexCached(b *testing.B) {
	srv, _ := fullServer(b)
	h := srv.Handler()
	for b.Loop() {
		if res, _ := get(b, h, "/"); res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
