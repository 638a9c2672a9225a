package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestRenderInTheAcademysTime: a message's times are those of the
// académie the event concerns, for a national service the subscriber's
// first académie: « Depuis 7 h 32 » in La Réunion, not Paris's 5 h 32.
func TestRenderInTheAcademysTime(t *testing.T) {
	reunion, err := time.LoadLocation("Indian/Reunion")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 10, 7, 32, 0, 0, reunion)
	r := testRenderer(t)
	r.now = func() time.Time { return at.Add(10 * time.Minute) }
	parent := storage.Recipient{ChatID: 1, Kind: "private", Role: "parent", Levels: status.Primaire.Bit(),
		Academies: []string{"la-reunion", "paris"}}
	metro := storage.Recipient{ChatID: 2, Kind: "private", Role: "parent", Levels: status.Primaire.Bit(),
		Academies: []string{"paris", "la-reunion"}}
	cases := []struct {
		name string
		ev   storage.Event
		to   storage.Recipient
		want string
	}{
		{"Réunion ENT", stateEvent("outage", "ent1d-reunion", "up", "down", "timeout", at, time.Time{}, 0), parent, "Depuis 7 h 32"},
		{"national service, first académie La Réunion", stateEvent("outage", "lumni", "up", "down", "timeout", at, time.Time{}, 0), parent, "Depuis 7 h 32"},
		{"national service, first académie Paris", stateEvent("outage", "lumni", "up", "down", "timeout", at, time.Time{}, 0), metro, "Depuis 4 h 32"},
		{"recovery in La Réunion", stateEvent("recovery", "ent1d-reunion", "down", "up", "", at, at.Add(-time.Hour), 0), parent, "rétabli</b> à 7 h 32"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := r.Render(context.Background(), tc.ev, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(msg.Text, "\u202f", " ")
			got = strings.ReplaceAll(got, "\u00a0", " ")
			if !strings.Contains(got, tc.want) {
				t.Errorf("text lacks %q:\n%s", tc.want, msg.Text)
			}
		})
	}
}

// TestEtatInTheAcademysTime: /etat of a Réunion subscriber is dated in La
// Réunion's time, as their alerts are.
func TestEtatInTheAcademysTime(t *testing.T) {
	h := newHarness(t) // testNow: 7 h 45 in Paris, 9 h 45 in La Réunion
	h.say(parentChat, parentUser, "/profil parent primaire")
	h.say(parentChat, parentUser, "/abonner la reunion")
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/etat")), "État des services · 9 h 45")
}
