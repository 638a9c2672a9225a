package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/status"
	"sentinelle/storage"
)

// TestHeaders checks the security and cache headers of every route.
func TestHeaders(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	h := srv.Handler()
	tests := []struct {
		target, cache string
		status        int
	}{
		{"/", "public, max-age=30", 200},
		{"/academie/versailles", "public, max-age=30", 200},
		{"/academie/inconnue", "public, max-age=30", 404},
		{"/api/status", "public, max-age=30", 200},
		{"/api/incidents", "public, max-age=30", 200},
		{"/api/incidents?limit=0", "no-store", 400},
		{"/feed.atom", "public, max-age=30", 200},
		{"/healthz", "no-store", 200},
		{"/readyz", "no-store", 200},
		{"/metrics", "no-store", 200},
		{"/nulle-part", "public, max-age=30", 404},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			res, _ := get(t, h, tt.target)
			wantStatusHeader(t, res, tt.status, "Cache-Control", tt.cache)
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'none'", "style-src 'sha256-", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
				t.Errorf("Content-Security-Policy %q allows more than it should", csp)
			}
			if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
		})
	}
}

// TestStyleHash checks that the policy's hash is that of the style sheet
// the page inlines: otherwise browsers would show the page unstyled.
func TestStyleHash(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	res, body := get(t, srv.Handler(), "/")
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindSubmatch(body)
	if m == nil {
		t.Fatal("no <style> in /")
	}
	sum := sha256.Sum256(m[1])
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
		t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
	}
	if strings.Contains(string(body), "<script") || strings.Contains(string(body), " style=") {
		t.Error("/ contains a script or a style attribute, which the policy blocks")
	}
}

// TestAcademyRedirect sends a name, a code or an alias to the canonical
// page, and suggests the closest académie on a typo.
func TestAcademyRedirect(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	h := srv.Handler()
	for target, want := range map[string]string{
		"/academie/25": "/academie/versailles", "/academie/Versailles": "/academie/versailles",
		"/academie/cr%C3%A9teil": "/academie/creteil",
	} {
		res, _ := get(t, h, target)
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != want {
			t.Errorf("GET %s = %d to %q, want 301 to %q", target, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	res, body := get(t, h, "/academie/renes")
	if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `Vouliez-vous dire <a href="/academie/rennes">Rennes</a>`) {
		t.Errorf("GET /academie/renes = %d without the suggestion of Rennes", res.StatusCode)
	}
	res, _ = get(t, h, "/academie/"+strings.Repeat("x", 500))
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET of a 500-byte slug = %d, want 404", res.StatusCode)
	}
}

// TestWithoutBot says the bot is not configured instead of a dead link.
func TestWithoutBot(t *testing.T) {
	now := storyNow(t)
	st := openStore(t, now)
	srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return now }, Location: now.Location()})
	_, body := get(t, srv.Handler(), "/academie/versailles")
	if !strings.Contains(string(body), "Le bot Telegram n'est pas configuré") || strings.Contains(string(body), "t.me/") {
		t.Error("/academie/versailles without a bot should say so and give no t.me link")
	}
	if !strings.Contains(string(body), "Aucune vérification terminée") {
		t.Error("a fresh database should say no check has finished yet")
	}
}

// TestCheckerBanners shows "vérification suspendue" when the vantage guard
// voided the last round (of every live vantage: another vantage that saw
// the services keeps the states current), and a warning when the last
// round is too old; the API says checker_online false in both cases, and
// /metrics sentinelle_last_round_voided 1 when suspended.
func TestCheckerBanners(t *testing.T) {
	tests := []struct {
		name      string
		voided    bool
		lyon      string // another vantage's latest round, at the same time: "", "up" or "voided"
		roundAge  time.Duration
		banner    string
		online    bool
		readyCode int
	}{
		{"fresh", false, "", time.Minute, "", true, 200},
		{"voided", true, "", time.Minute, "Vérification suspendue.", false, 200},
		{"voided here, seen from lyon", true, "up", time.Minute, "", true, 200},
		{"voided here and at lyon", true, "voided", time.Minute, "Vérification suspendue.", false, 200},
		{"voided at lyon only", false, "voided", time.Minute, "", true, 200},
		{"stale", false, "", 10 * time.Minute, "Vérifications interrompues.", false, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := storyNow(t)
			st := openStore(t, now)
			feed(t, st, []string{"monlycee"}, []time.Time{now.Add(-tt.roundAge - time.Minute)}, 0, func(string, time.Time) probe {
				return probe{State: status.Up, Reason: "ok", Status: 200, Latency: time.Second}
			})
			if tt.voided {
				in := checker.RoundInput{Round: storage.Round{Vantage: storyVantage, StartedAt: now.Add(-tt.roundAge), FinishedAt: now.Add(-tt.roundAge), Voided: true},
					Results: []storage.CheckResult{{ServiceID: "monlycee", State: status.Down, Reason: "connection"}}}
				if _, err := checker.Record(t.Context(), st, in, nil); err != nil {
					t.Fatal(err)
				}
			}
			if tt.lyon != "" {
				in := checker.RoundInput{Round: storage.Round{Vantage: "lyon-2", StartedAt: now.Add(-tt.roundAge - time.Second),
					FinishedAt: now.Add(-tt.roundAge - time.Second), Voided: tt.lyon == "voided"},
					Results: []storage.CheckResult{{ServiceID: "monlycee", State: status.Up, Reason: "ok"}}}
				if _, err := checker.WriteRound(t.Context(), st, in); err != nil {
					t.Fatal(err)
				}
			}
			m := NewMetrics()
			srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return now },
				Location: now.Location(), MaxRoundAge: 3 * time.Minute, StartedAt: now.Add(-time.Hour), Metrics: m})
			_, body := get(t, srv.Handler(), "/")
			for _, b := range []string{"Vérification suspendue.", "Vérifications interrompues.", "Mises à jour interrompues."} {
				if got := strings.Contains(string(body), b); got != (b == tt.banner) {
					t.Errorf("banner %q shown = %v, want %v", b, got, !got)
				}
			}
			_, body = get(t, srv.Handler(), "/api/status")
			var status struct {
				CheckerOnline bool `json:"checker_online"`
			}
			if err := json.Unmarshal(body, &status); err != nil {
				t.Fatal(err)
			}
			if status.CheckerOnline != tt.online {
				t.Errorf("checker_online = %v, want %v", status.CheckerOnline, tt.online)
			}
			if res, _ := get(t, srv.Handler(), "/readyz"); res.StatusCode != tt.readyCode {
				t.Errorf("/readyz = %d, want %d", res.StatusCode, tt.readyCode)
			}
			suspended := "0"
			if tt.banner == "Vérification suspendue." {
				suspended = "1"
			}
			wantMetrics(t, scrape(t, m), "\nsentinelle_last_round_voided "+suspended+"\n")
		})
	}
}

// TestReadyz covers the start of the service, a database gone and the
// role: the first line and the status code say whether the instance is
// ready, the second whether it leads; a follower is as ready as a leader.
func TestReadyz(t *testing.T) {
	now := storyNow(t)
	leads := func() (int64, bool) { return 4, true }
	follows := func() (int64, bool) { return 0, false }
	tests := []struct {
		name     string
		started  time.Duration // before now
		close    bool
		leading  func() (int64, bool)
		wantCode int
		wantText string
	}{
		{"just started, no round yet", time.Minute, false, nil, 200, "ok\nleader\n"},
		{"no round long after start", time.Hour, false, nil, 503, "aucune vérification terminée depuis le démarrage, il y a 1\u00a0h (limite 3\u00a0min)\nleader\n"},
		{"database closed", time.Minute, true, nil, 503, "base de données non inscriptible\nleader\n"},
		{"leader", time.Minute, false, leads, 200, "ok\nleader\n"},
		{"follower", time.Minute, false, follows, 200, "ok\nfollower\n"},
		{"follower, database closed", time.Minute, true, follows, 503, "base de données non inscriptible\nfollower\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, now)
			srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return now },
				MaxRoundAge: 3 * time.Minute, StartedAt: now.Add(-tt.started), Leading: tt.leading})
			if tt.close {
				st.Close()
			}
			res, body := get(t, srv.Handler(), "/readyz")
			if res.StatusCode != tt.wantCode || string(body) != tt.wantText {
				t.Errorf("/readyz = %d %q, want %d %q", res.StatusCode, body, tt.wantCode, tt.wantText)
			}
		})
	}
}

// TestWithoutStore keeps the liveness probe up and refuses the rest.
func TestWithoutStore(t *testing.T) {
	h := New(Options{}).Handler()
	for target, want := range map[string]int{"/healthz": 200, "/": 503, "/api/status": 503, "/readyz": 503, "/metrics": 404} {
		if res, _ := get(t, h, target); res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", target, res.StatusCode, want)
		}
	}
}

// TestCache reuses the overview within the cache period and reads the
// database again after it.
func TestCache(t *testing.T) {
	now := storyNow(t)
	clock := now
	st := openStore(t, now)
	up := func(string, time.Time) probe { return probe{State: status.Up, Reason: "ok", Status: 200} }
	down := func(string, time.Time) probe { return probe{State: status.Down, Reason: "timeout"} }
	feed(t, st, []string{"toutatice"}, []time.Time{now.Add(-2 * time.Minute)}, 0, up)
	srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return clock },
		CacheTTL: 10 * time.Second})
	state := func() status.State {
		_, body := get(t, srv.Handler(), "/api/status")
		var s apiStatus
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		for _, a := range s.Academies {
			if a.Slug == "rennes" {
				return a.State
			}
		}
		return ""
	}
	if got := state(); got != status.Up {
		t.Fatalf("rennes = %q, want up", got)
	}
	feed(t, st, []string{"toutatice"}, []time.Time{now.Add(-time.Minute)}, 0, down)
	clock = now.Add(5 * time.Second)
	if got := state(); got != status.Up {
		t.Errorf("within the cache period rennes = %q, want the cached up", got)
	}
	clock = now.Add(11 * time.Second)
	if got := state(); got != status.Down {
		t.Errorf("after the cache period rennes = %q, want down", got)
	}
}

// TestConcurrentRequests serves pages, API and QR codes from many
// goroutines at once (run with -race), with a cache that expires at every
// request so that builds overlap.
func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	_, st, cat, now := storyServer(t)
	var tick atomic.Int64
	srv := New(Options{Store: st, Catalog: cat, Location: now.Location(), BotUsername: "SentinelleENTBot", CacheTTL: time.Millisecond,
		Now: func() time.Time { return now.Add(time.Duration(tick.Add(1)) * time.Millisecond) }, Metrics: NewMetrics()})
	targets := []string{"/", "/academie/versailles", "/academie/creteil", "/api/status", "/api/incidents", "/feed.atom", "/metrics"}
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := targets[i%len(targets)]
			if res, _ := get(t, srv.Handler(), target); res.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d", target, res.StatusCode)
			}
		}()
	}
	wg.Wait()
}
