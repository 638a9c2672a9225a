package web

import (
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

// TestAcademyPageInItsTime: La Réunion's page shows its times in La
// Réunion's time and names it; the overview keeps Paris time.
func TestAcademyPageInItsTime(t *testing.T) {
	const yaml = `
services:
  - {id: ent-reunion, name: "ENT Réunion", url: "https://ent.reunion.example.fr", levels: [primaire]}
academies:
  - {slug: la-reunion, code: "28", name: La Réunion, region: La Réunion, services: [ent-reunion], overseas: true, timezone: "Indian/Reunion"}
`
	now := storyNow(t) // 9 h 40 in Paris, 11 h 40 in La Réunion
	cat := mustCatalog(t, yaml)
	st := openStore(t, now)
	downAt := time.Date(2021, 4, 6, 5, 30, 0, 0, now.Location()) // 7 h 30 in La Réunion
	history(t, st, []string{"ent-reunion"}, now, func(id string, at time.Time) probe {
		if !at.Before(downAt) {
			return probe{State: status.Down, Reason: "connection"}
		}
		return probe{State: status.Up, Reason: "ok", Status: 200, Latency: 300 * time.Millisecond}
	})
	srv := New(Options{Logger: testLogger(t), Store: st, Catalog: cat, Now: func() time.Time { return now }, Location: now.Location()})
	h := srv.Handler()

	_, body := get(t, h, "/academie/la-reunion")
	page := strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(string(body))
	for _, want := range []string{"11 h 39, heure de La Réunion", "Sur cette page, heure de La Réunion.", "<td>mardi 6 avril à 7 h 30</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("La Réunion's page lacks %q", want)
		}
	}
	for _, bad := range []string{"Heures de Paris", "heure de Paris", "à 5 h 30", "9 h 39"} {
		if strings.Contains(page, bad) {
			t.Errorf("La Réunion's page says %q", bad)
		}
	}
	_, body = get(t, h, "/")
	overview := strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(string(body))
	if !strings.Contains(overview, "Heures de Paris") || strings.Contains(overview, "heure de La Réunion") {
		t.Errorf("the overview must stay in Paris time and say so")
	}
}
