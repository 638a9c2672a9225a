package web

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// vantagesServer is the morning of the story seen from three instances
// sharing one database: MonLycée.net serves its quota page to paris-1 (the
// leader, which judges) and times out from lyon-2 from 9:00, while nice-3
// sees it up; Toutatice is up everywhere. A round every 10 minutes for two
// hours, and a last one a minute before now. The vote (down needs two of
// three) opens MonLycée.net's incident at 9:00.
func vantagesServer(t *testing.T) *Server {
	t.Helper()
	now := storyNow(t)
	outage := now.Add(-40 * time.Minute)
	st := openStore(t, now)
	services := []string{"monlycee", "toutatice"}
	seen := map[string]probe{
		"paris-1": {State: status.Down, Reason: "waiting_room", Status: 200, Latency: 900 * time.Millisecond},
		"lyon-2":  {State: status.Down, Reason: "timeout", Latency: 10 * time.Second},
	}
	scenarioOf := func(v string, latency time.Duration) scenario {
		return func(id string, at time.Time) probe {
			if p, ok := seen[v]; ok && id == "monlycee" && !at.Before(outage) {
				return p
			}
			return probe{State: status.Up, Reason: "ok", Status: 200, Latency: latency}
		}
	}
	for _, at := range append(every(now.Add(-2*time.Hour), now, 10*time.Minute), now.Add(-time.Minute)) {
		for i, v := range []string{"lyon-2", "nice-3"} {
			if _, err := checker.WriteRound(t.Context(), st, roundOf(v, services, at, scenarioOf(v, time.Duration(500+200*i)*time.Millisecond))); err != nil {
				t.Fatal(err)
			}
		}
		in := roundOf("paris-1", services, at, scenarioOf("paris-1", 300*time.Millisecond))
		in.VoteSince, in.MaxGap = at.Add(-20*time.Minute), time.Hour
		if _, err := checker.Record(t.Context(), st, in, immediate); err != nil {
			t.Fatal(err)
		}
	}
	return New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return now }, Location: now.Location(),
		MaxRoundAge: 3 * time.Minute, StartedAt: now.Add(-3 * time.Hour), CacheTTL: -1})
}

// TestAPIStatusVantages: each service lists what every vantage saw in its
// latest round, by name, beside the judged state.
func TestAPIStatusVantages(t *testing.T) {
	_, body := get(t, vantagesServer(t).Handler(), "/api/status")
	var got apiStatus
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	byID := map[string]apiServiceS{}
	for _, a := range got.Academies {
		for _, s := range a.Services {
			byID[s.ID] = s
		}
	}
	at := "2021-04-06T07:39:00Z"
	want := map[string][]apiVantage{
		"monlycee": {
			{Vantage: "lyon-2", State: status.Down, Reason: "timeout", ReasonText: "ne répond pas", LatencyMS: 10000, At: &at},
			{Vantage: "nice-3", State: status.Up, OK: true, HTTPStatus: 200, LatencyMS: 700, At: &at},
			{Vantage: "paris-1", State: status.Down, Reason: "waiting_room", ReasonText: "file d'attente (trop de connexions)", HTTPStatus: 200, LatencyMS: 900, At: &at},
		},
		"toutatice": {
			{Vantage: "lyon-2", State: status.Up, OK: true, HTTPStatus: 200, LatencyMS: 500, At: &at},
			{Vantage: "nice-3", State: status.Up, OK: true, HTTPStatus: 200, LatencyMS: 700, At: &at},
			{Vantage: "paris-1", State: status.Up, OK: true, HTTPStatus: 200, LatencyMS: 300, At: &at},
		},
		"ecollege78": {}, // never probed
	}
	for id, w := range want {
		s := byID[id]
		if show(s.Vantages) != show(w) {
			t.Errorf("%s: vantages\n got %s\nwant %s", id, show(s.Vantages), show(w))
		}
	}
	if m := byID["monlycee"]; m.State != status.Down || m.Reason != "waiting_room" {
		t.Errorf("monlycee judged %s/%s, want down/waiting_room (the vote: two of three)", m.State, m.Reason)
	}
}

// show writes a JSON value for a test's message.
func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAPIIncidentVantages: an incident lists, for each vantage, how many
// of its rounds saw the service down during it, when, and why last.
func TestAPIIncidentVantages(t *testing.T) {
	_, body := get(t, vantagesServer(t).Handler(), "/api/incidents")
	var got apiIncidents
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Incidents) != 1 || got.Incidents[0].ServiceID != "monlycee" {
		t.Fatalf("incidents %s, want monlycee's alone", body)
	}
	first, last := "2021-04-06T07:00:00Z", "2021-04-06T07:39:00Z"
	want := []apiIncidentVantage{
		{Vantage: "lyon-2", Rounds: 5, Failed: 5, FirstFailureAt: &first, LastFailureAt: &last, LastReason: "timeout", LastReasonText: "ne répond pas"},
		{Vantage: "nice-3", Rounds: 5},
		{Vantage: "paris-1", Rounds: 5, Failed: 5, FirstFailureAt: &first, LastFailureAt: &last, LastReason: "waiting_room",
			LastReasonText: "file d'attente (trop de connexions)"},
	}
	if g := got.Incidents[0].Vantages; show(g) != show(want) {
		t.Errorf("vantages\n got %s\nwant %s", show(g), show(want))
	}
}

// TestAcademyPageVantages: with several vantages, a service says what
// each saw last, an incident which saw it down, and each vantage has its
// own 24-hour chart (a failure seen from one is not counted for another).
func TestAcademyPageVantages(t *testing.T) {
	_, body := get(t, vantagesServer(t).Handler(), "/academie/versailles")
	page := string(body)
	for _, want := range []string{ // as the template writes them, before typesetting
		"Vu depuis lyon-2 : panne, ne répond pas ; depuis nice-3 : fonctionne ; depuis paris-1 : panne, file d&#39;attente (trop de connexions).",
		"Vu en panne depuis lyon-2 (5 contrôles sur 5) ; vu en ligne depuis nice-3 ; vu en panne depuis paris-1 (5 contrôles sur 5).",
		"Temps de réponse sur 24&nbsp;h, depuis nice-3 : médiane 700\u00a0ms, maximum 700\u00a0ms, aucun échec sur 13 essais.",
		"Temps de réponse sur 24&nbsp;h, depuis paris-1 : médiane 300\u00a0ms, maximum 300\u00a0ms, 5 échecs sur 13 essais.",
	} {
		if !strings.Contains(page, french.TypesetHTML(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="lat"`); n != 4 {
		t.Errorf("%d latency charts, want 4: three vantages for MonLycée.net, one empty for eCollège 78", n)
	}
}

// TestChartsOf: one chart per vantage; rows written before vantages
// existed join the one vantage there is, and are left out beside several.
func TestChartsOf(t *testing.T) {
	now := storyNow(t)
	r := func(v string, ms int) storage.CheckResult {
		return storage.CheckResult{Vantage: v, ServiceID: "s", State: status.Up, At: now.Add(-time.Hour), Latency: time.Duration(ms) * time.Millisecond}
	}
	for _, tt := range []struct {
		name    string
		results []storage.CheckResult
		want    string
	}{
		{"none", nil, "[:0]"},
		{"before vantages", []storage.CheckResult{r("", 100), r("", 200)}, "[:2]"},
		{"one vantage and older rows", []storage.CheckResult{r("", 100), r("paris", 200)}, "[:2]"},
		{"two vantages, older rows left out", []storage.CheckResult{r("", 100), r("paris", 200), r("lyon", 300), r("paris", 400)}, "[lyon:1 paris:2]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range chartsOf(tt.results, now, 0) {
				got = append(got, fmt.Sprintf("%s:%d", c.Vantage, c.Stats.Checks))
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("charts %v, want %s", got, tt.want)
			}
		})
	}
}

// TestBrowserVantages takes Versailles's page with three vantages at a
// phone's width in a real chromium (screenshot under $SCREENSHOT_DIR or a
// temporary directory): the sentences about vantages are there, and
// nothing went to the console.
func TestBrowserVantages(t *testing.T) {
	bin := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ts := httptest.NewServer(vantagesServer(t).Handler())
	t.Cleanup(ts.Close)
	file := filepath.Join(screenshotDir(t), "versailles-vantages-phone.png")
	dom, stderr := runChromium(t, bin, ts.URL+"/academie/versailles", "--hide-scrollbars", "--dump-dom",
		"--screenshot="+file, "--window-size=390,2600") // tall: the whole section of services
	if p := consoleProblems(stderr); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
	}
	for _, want := range []string{"Vu depuis lyon-2", "vu en ligne depuis nice-3", "depuis paris-1"} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	t.Logf("screenshot %s", file)
}

// BenchmarkIncidentsUncached measures /api/incidents (100 incidents of the
// default catalog over 90 busy days, with what each vantage saw during
// each) when the cache is cold.
func BenchmarkIncidentsUncached(b *testing.B) { benchUncached(b, "/api/incidents?since=2021-01-01") }
