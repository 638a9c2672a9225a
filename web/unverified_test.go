package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/status"
	"sentinelle/storage"
)

// unverifiedCatalog has one portal never seen up (its catalog address is
// wrong) beside a working one, and an entry still to be confirmed.
const unverifiedCatalog = `
services:
  - {id: ent-ok, name: ENT Nord, url: "https://ent-nord.example.fr", levels: [college]}
  - {id: ent-faux, name: ENT Faux, url: "https://ent-faux.example.fr", levels: [lycee], unsure: true, note: "adresse lue dans une lettre"}
academies:
  - {slug: lille, code: "09", name: Lille, region: Hauts-de-France, zone: C, services: [ent-ok]}
  - {slug: amiens, code: "20", name: Amiens, region: Hauts-de-France, zone: B, services: [ent-faux]}
`

// neverSeen judges as the checker does a service never seen up: unknown
// and unverified while its probes fail.
func neverSeen(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
	if r.ServiceID == "ent-faux" {
		prev.State, prev.Unverified = status.Unknown, true
		return prev
	}
	return immediate(prev, r)
}

// A portal never seen up is « non vérifié » on the pages, unverified in
// /api/status and counted in /metrics; nowhere is it a « panne ». An
// unsure entry is « à confirmer ».
func TestUnverifiedShown(t *testing.T) {
	t.Parallel()
	now := storyNow(t)
	cat := mustCatalog(t, unverifiedCatalog)
	st := openStore(t, now)
	for _, at := range []time.Time{now.Add(-2 * time.Minute), now.Add(-time.Minute)} {
		in := checker.RoundInput{Round: storage.Round{StartedAt: at, FinishedAt: at, Services: 2, Failed: 1},
			Results: []storage.CheckResult{{ServiceID: "ent-ok", State: status.Up, Reason: "ok", HTTPStatus: 200},
				{ServiceID: "ent-faux", State: status.Down, Reason: "connection"}}}
		if _, err := checker.Record(context.Background(), st, in, neverSeen); err != nil {
			t.Fatal(err)
		}
	}
	srv := New(Options{Logger: testLogger(t), Store: st, Catalog: cat, Now: func() time.Time { return now }, Location: now.Location(),
		MaxRoundAge: 3 * time.Minute, StartedAt: now.Add(-time.Hour), Metrics: NewMetrics()})
	h := srv.Handler()
	for _, target := range []string{"/", "/academie/amiens"} {
		_, body := get(t, h, target)
		page, _, _ := strings.Cut(string(body), `class="legend"`)
		for _, want := range []string{`<span class="st n">non vérifié</span>`, "à confirmer"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks %q", target, want)
			}
		}
		if strings.Contains(page, `class="st d"`) || strings.Contains(page, "en panne") {
			t.Errorf("%s calls the portal never seen up a panne:\n%s", target, page)
		}
	}
	// Amiens, whose only ENT was never seen up, is neither green nor red:
	// nobody knows how it is doing.
	_, amiens := get(t, h, "/academie/amiens")
	if !strings.Contains(string(amiens), `<section class="banner neutral">`) {
		t.Errorf("/academie/amiens: banner not neutral:\n%s", amiens)
	}
	_, body := get(t, h, "/api/status")
	if s := string(body); !strings.Contains(s, `"id":"ent-faux","name":"ENT Faux","state":"unverified","reason":"connection"`) ||
		!strings.Contains(s, `"unsure":true`) || !strings.Contains(s, `"id":"ent-ok","name":"ENT Nord","state":"up"`) {
		t.Errorf("/api/status: %s", s)
	}
	_, body = get(t, h, "/metrics")
	wantMetrics(t, string(body), `sentinelle_services_unverified 1`,
		`sentinelle_service_state{service="ent-faux",state="unverified"} 1`,
		`sentinelle_service_state{service="ent-faux",state="unknown"} 0`)
}
