package bot

import (
	"context"
	"strings"
	"testing"

	"sentinelle/checker"
	"sentinelle/status"
	"sentinelle/storage"
)

// A service never seen up is listed by /stats (not among the services
// down) and « non vérifié » in /etat; an unsure entry is « à confirmer ».
func TestUnverifiedInStatsAndEtat(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/abonner versailles")
	at := h.clock()
	judge := func(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
		prev.State, prev.Unverified = status.Unknown, true // as the checker judges a portal never seen up
		return prev
	}
	if _, err := checker.Record(context.Background(), h.store, checker.RoundInput{
		Round:   storage.Round{StartedAt: at, FinishedAt: at, Services: 1},
		Results: []storage.CheckResult{{ServiceID: "enc92", At: at, State: "down", Reason: "connection"}}}, judge); err != nil {
		t.Fatal(err)
	}
	h.pump.drain()
	m := lastOf(t, h.say(adminChat, adminUser, "/stats"))
	wantText(t, m, "Services en panne : aucun", "Services non vérifiés (jamais vus fonctionner à leur adresse, catalogue à contrôler) : ENC 92")
	m = lastOf(t, h.say(parentChat, parentUser, "/etat"))
	wantText(t, m, "ENC 92 (Hauts-de-Seine) (à confirmer) : non vérifié", "Apps Éducation (Classe virtuelle) (à confirmer) :")
	if strings.Contains(m.Visible, "en panne") {
		t.Errorf("/etat calls a portal never seen up en panne:\n%s", m.Visible)
	}
}
