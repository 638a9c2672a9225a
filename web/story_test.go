package web

import (
	"net/http"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// storyCatalog is a small catalog for the golden files, so that an edit of
// the default catalog does not rewrite them.
const storyCatalog = `
waiting_room_markers: ["logique de quota"]
services:
  - {id: cned-college, name: "CNED Ma classe à la maison (collège)", url: "https://college.cned.fr", levels: [college], national: true}
  - {id: educonnect, name: EduConnect, url: "https://educonnect.education.gouv.fr", levels: [primaire, college, lycee], national: true}
  - {id: monlycee, name: MonLycée.net, url: "https://ent.iledefrance.fr", levels: [lycee]}
  - {id: ecollege78, name: "eCollège 78 (Yvelines)", url: "https://ent.ecollege78.fr", levels: [college], unsure: true, note: "adresse à confirmer"}
  - {id: toutatice, name: Toutatice, url: "https://www.toutatice.fr/portail", levels: [primaire, college, lycee]}
  - {id: ent-aura, name: ENT Auvergne-Rhône-Alpes, url: "https://cas.ent.auvergnerhonealpes.fr/login", levels: [college, lycee]}
academies:
  - {slug: versailles, code: "25", name: Versailles, region: Île-de-France, zone: C, services: [monlycee, ecollege78]}
  - {slug: creteil, code: "24", name: Créteil, region: Île-de-France, zone: C, services: [monlycee]}
  - {slug: rennes, code: "14", name: Rennes, region: Bretagne, zone: B, services: [toutatice]}
  - {slug: lyon, code: "10", name: Lyon, region: Auvergne-Rhône-Alpes, zone: A, services: [ent-aura]}
  - {slug: wallis-et-futuna, code: "42", name: Wallis-et-Futuna, region: Wallis-et-Futuna, services: [], overseas: true, vice_rectorat: true, timezone: "Pacific/Wallis"}
`

// storyScenario is the morning of 6 April 2021 and the weeks before:
// MonLycée.net serves its quota page from 7:30, the CNED answers 502 from
// 8:00, eCollège 78 crawls from 8:50, EduConnect was unreachable for an
// hour the day before, and MonLycée.net timed out one March morning.
func storyScenario(now time.Time) scenario {
	loc := now.Location()
	at := func(day, h, m int) time.Time { return time.Date(2021, time.Month(4), day, h, m, 0, 0, loc) }
	march15 := time.Date(2021, 3, 15, 0, 0, 0, 0, loc)
	return func(id string, t time.Time) probe {
		up := probe{State: status.Up, Reason: "ok", Status: 200, Latency: 300*time.Millisecond + time.Duration(t.Minute()%7)*40*time.Millisecond}
		switch id {
		case "monlycee":
			if !t.Before(at(6, 7, 30)) {
				return probe{State: status.Down, Reason: "waiting_room", Status: 200, Latency: 900 * time.Millisecond}
			}
			if between(t, march15, march15.Add(13*time.Hour)) {
				return probe{State: status.Down, Reason: "timeout", Latency: 10 * time.Second}
			}
		case "cned-college":
			if !t.Before(at(6, 8, 0)) {
				return probe{State: status.Down, Reason: "http_status", Status: 502, Latency: 1200 * time.Millisecond}
			}
		case "ecollege78":
			if !t.Before(at(6, 8, 50)) {
				return probe{State: status.Degraded, Reason: "slow", Status: 200, Latency: 7400 * time.Millisecond}
			}
		case "educonnect":
			if between(t, at(5, 14, 0), at(5, 15, 0)) {
				return probe{State: status.Down, Reason: "connection"}
			}
		}
		return up
	}
}

// storyServer builds the server over the story's database.
func storyServer(t testing.TB) (*Server, *storage.Store, *catalog.Catalog, time.Time) {
	t.Helper()
	now := storyNow(t)
	cat := mustCatalog(t, storyCatalog)
	st := pageStore(t, cat, now, storyScenario(now), time.Date(2021, 4, 6, 12, 0, 0, 0, now.Location()))
	srv := New(Options{Logger: testLogger(t), Store: st, Catalog: cat, Now: func() time.Time { return now }, Location: now.Location(),
		BotUsername: "@SentinelleENTBot", PublicURL: "https://sentinelle.example.fr", MaxRoundAge: 3 * time.Minute,
		StartedAt: now.Add(-time.Hour), Metrics: NewMetrics()})
	return srv, st, cat, now
}

// TestGolden renders every public route over the story and compares it
// with its golden file.
func TestGolden(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	h := srv.Handler()
	tests := []struct {
		name, target string
		status       int
		contentType  string
	}{
		{"index.html", "/", http.StatusOK, "text/html; charset=utf-8"},
		{"academie_versailles.html", "/academie/versailles", http.StatusOK, "text/html; charset=utf-8"},
		{"academie_wallis.html", "/academie/wallis-et-futuna", http.StatusOK, "text/html; charset=utf-8"},
		{"notfound_academie.html", "/academie/versaille", http.StatusNotFound, "text/html; charset=utf-8"},
		{"notfound.html", "/nulle-part", http.StatusNotFound, "text/html; charset=utf-8"},
		{"status.json", "/api/status", http.StatusOK, "application/json; charset=utf-8"},
		{"incidents.json", "/api/incidents?since=2021-03-01", http.StatusOK, "application/json; charset=utf-8"},
		{"incidents_versailles.json", "/api/incidents?academie=versailles&since=2021-04-06T07:00:00%2B02:00", http.StatusOK, "application/json; charset=utf-8"},
		{"feed.atom", "/feed.atom", http.StatusOK, "application/atom+xml; charset=utf-8"},
		{"error_unknown_parameter.json", "/api/incidents?academy=versailles", http.StatusBadRequest, "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, tt.target)
			wantStatusHeader(t, res, tt.status, "Content-Type", tt.contentType)
			golden(t, tt.name, body)
		})
	}
}
