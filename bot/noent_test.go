package bot

import (
	"strings"
	"testing"
)

// TestNoLocalENTSentence: a parent of an écolier in an académie where no
// école ENT is watched is told, when subscribing and in /etat, that only
// the national services will be heard of; a collège parent of the same
// académie (whose collège ENT is watched) is told nothing of the kind.
func TestNoLocalENTSentence(t *testing.T) {
	const sentence = "Aucun ENT des écoles n'est suivi pour l'académie d'Amiens : vous recevrez les alertes des services nationaux."
	h := newHarness(t)
	h.say(parentChat, parentUser, "/profil parent primaire")
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/abonner amiens")), "Abonnement enregistré", sentence)
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/etat")), sentence)

	h.say(parentChat, parentUser, "/profil parent collège")
	for _, cmd := range []string{"/abonner amiens", "/etat"} {
		if m := lastOf(t, h.say(parentChat, parentUser, cmd)); strings.Contains(spaced(m.Visible), "Aucun ENT") {
			t.Errorf("%s to a collège parent of Amiens says there is no ENT:\n%s", cmd, m.Visible)
		}
	}
}

// TestNoLocalENTSentenceOnboarding: the onboarding's « C'est prêt » says
// it too.
func TestNoLocalENTSentenceOnboarding(t *testing.T) {
	h := newHarness(t)
	cur := h.onboard(parentChat, parentUser,
		"r:parent",
		"l:primaire",
		"l:ok",
		"g:"+regionIndex(h, "Hauts-de-France"),
		"a:amiens")
	wantText(t, cur, "C'est prêt", "Aucun ENT des écoles n'est suivi pour l'académie d'Amiens : vous recevrez les alertes des services nationaux.")
}
