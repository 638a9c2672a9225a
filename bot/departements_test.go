package bot

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/telegram/telegramtest"
)

// narrowingOf reads the départements each académie of a chat is narrowed to.
func narrowingOf(t *testing.T, h *harness, id int64) map[string][]string {
	t.Helper()
	return followingOf(t, h, id).Departements
}

func wantFollowing(t *testing.T, h *harness, id int64, subs []string, narrowing map[string][]string) {
	t.Helper()
	if got := subsOf(t, h, id); !slices.Equal(got, subs) {
		t.Errorf("subscriptions %v, want %v", got, subs)
	}
	if got := narrowingOf(t, h, id); !maps.EqualFunc(got, narrowing, slices.Equal) {
		t.Errorf("narrowing %v, want %v", got, narrowing)
	}
}

func TestAbonnerDepartements(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/profil parent collège")
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/abonner Hauts-de-Seine")), "Abonnement enregistré : Hauts-de-Seine (académie de Versailles)")
	h.say(parentChat, parentUser, "/abonner yvelines, hauts de seine")
	wantFollowing(t, h, parentChat.ID, []string{"versailles"}, map[string][]string{"versailles": {"78", "92"}})
	m := lastOf(t, h.say(parentChat, parentUser, "/abonner 24"))
	wantText(t, m, "« 24 » est le numéro de l'académie de Créteil", "Dordogne")
	m = lastOf(t, h.say(parentChat, parentUser, "/abonner versailles, Bouches-du-Rhône"))
	wantText(t, m, "Bouches-du-Rhône (13) est un département de l'académie d'Aix-Marseille, pas de Versailles")
	wantFollowing(t, h, parentChat.ID, []string{"creteil", "versailles"}, map[string][]string{"versailles": {"78", "92"}})
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/abonner hauts de sene")), "Hauts-de-Seine")
	h.sayEach(parentChat, parentUser,
		"/abonner 974 2a",
		"/desabonner 92",
		"/desabonner Yvelines, Corse-du-Sud, Essonne")
	wantFollowing(t, h, parentChat.ID, []string{"creteil", "la-reunion"}, map[string][]string{"la-reunion": {"974"}})
	h.say(parentChat, parentUser, "/abonner versailles")
	h.say(parentChat, parentUser, "/desabonner 92")
	wantFollowing(t, h, parentChat.ID, []string{"creteil", "la-reunion", "versailles"},
		map[string][]string{"la-reunion": {"974"}, "versailles": {"78", "91", "95"}})
	h.say(parentChat, parentUser, "/abonner versailles")
	h.say(parentChat, parentUser, "/abonner versailles 92")
	wantFollowing(t, h, parentChat.ID, []string{"creteil", "la-reunion", "versailles"},
		map[string][]string{"la-reunion": {"974"}, "versailles": {"92"}})
	m = lastOf(t, h.say(parentChat, parentUser, "/etat"))
	wantText(t, m, "Versailles (Hauts-de-Seine)", "ENC 92")
	for _, other := range []string{"Yvelines", "Essonne", "Val d'Oise"} {
		if strings.Contains(m.Visible, other) {
			t.Errorf("/etat of a Hauts-de-Seine parent shows %s:\n%s", other, m.Visible)
		}
	}
	wantText(t, lastOf(t, h.say(parentChat, parentUser, "/mesdonnees")), "Versailles (Hauts-de-Seine)", "La Réunion (La Réunion)")
	h.golden("departements")
}

// TestNarrowedAudience is issue 13's: a Yvelines parent, a Hauts-de-Seine
// parent and a whole-Versailles parent. The Hauts-de-Seine collège ENT
// fails: exactly the second and third hear it; the région's lycée ENT
// fails: all three hear it.
func TestNarrowedAudience(t *testing.T) {
	h := newHarness(t)
	people := []struct {
		chat telegramtest.Chat
		user telegramtest.User
		subs string
	}{
		{telegramtest.Chat{ID: 301}, telegramtest.User{ID: 301, FirstName: "Yvelines", LanguageCode: "fr"}, "/abonner Yvelines"},
		{telegramtest.Chat{ID: 302}, telegramtest.User{ID: 302, FirstName: "Hauts-de-Seine", LanguageCode: "fr"}, "/abonner 92"},
		{telegramtest.Chat{ID: 303}, telegramtest.User{ID: 303, FirstName: "Versailles", LanguageCode: "fr"}, "/abonner versailles"},
	}
	for _, p := range people {
		h.say(p.chat, p.user, "/profil parent collège lycée")
		h.say(p.chat, p.user, p.subs)
	}
	hear := func(states map[string]string) []int64 {
		before := len(h.srv.Sent())
		setStates(t, h, states)
		var chats []int64
		for _, m := range h.settle(before) {
			chats = append(chats, m.ChatID)
		}
		slices.Sort(chats)
		return chats
	}
	if got, want := hear(map[string]string{"enc92": "down:timeout"}), []int64{302, 303}; !slices.Equal(got, want) {
		t.Errorf("ENC 92's outage reached %v, want %v", got, want)
	}
	h.advance(time.Hour)
	if got, want := hear(map[string]string{"monlycee": "down:timeout"}), []int64{301, 302, 303}; !slices.Equal(got, want) {
		t.Errorf("MonLycée.net's outage reached %v, want %v", got, want)
	}
	h.advance(time.Hour)
	if got, want := hear(map[string]string{"enc92": "up"}), []int64{302, 303}; !slices.Equal(got, want) {
		t.Errorf("ENC 92's recovery reached %v, want %v", got, want)
	}
	if !strings.Contains(h.log.String(), "Panne") {
		t.Error("no outage message in the transcript")
	}
}

func TestDepartementDeepLink(t *testing.T) {
	h := newHarness(t)
	m := lastOf(t, h.say(parentChat, parentUser, "/start d_2A"))
	wantText(t, m, "Abonnement enregistré : Corse-du-Sud (académie de Corse)", "qui vous êtes")
	h.say(parentChat, parentUser, "/start d_92")
	wantFollowing(t, h, parentChat.ID, []string{"corse", "versailles"}, map[string][]string{"corse": {"2A"}, "versailles": {"92"}})
	bad := lastOf(t, h.say(groupMember2Chat, groupMember, "/start d_99"))
	badA := lastOf(t, h.say(groupMember2Chat, groupMember, "/start a_atlantide"))
	if bad.Text != badA.Text {
		t.Errorf("a bad d_ link is answered %q, a bad a_ link %q", bad.Text, badA.Text)
	}
	h.say(parentChat, parentUser, "/start a_versailles")
	wantFollowing(t, h, parentChat.ID, []string{"corse", "versailles"}, map[string][]string{"corse": {"2A"}})
	if subs := subsOf(t, h, groupMember2Chat.ID); len(subs) != 0 {
		t.Errorf("bad links subscribed to %v", subs)
	}
	h.golden("deeplink_departement")
}

// TestOnboardingAsksDepartement: after an académie whose collège ENTs
// differ by département, a parent of a collégien is asked which one; a
// lycéen's parent in the same académie is not (one lycée ENT).
func TestOnboardingAsksDepartement(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/profil parent collège")
	m := lastOf(t, h.say(parentChat, parentUser, "/abonner"))
	h.press(parentChat, parentUser, m.MessageID, "g:"+regionIndex(h, "Île-de-France"))
	h.press(parentChat, parentUser, m.MessageID, "a:versailles")
	if cur, _ := h.srv.Current(parentChat.ID, m.MessageID); !strings.Contains(cur.Text, "Dans quel département") {
		t.Fatalf("no département question after Versailles:\n%s", cur.Text)
	}
	h.press(parentChat, parentUser, m.MessageID, "n:versailles:13") // forged: not Versailles's
	wantFollowing(t, h, parentChat.ID, []string{"versailles"}, map[string][]string{})
	h.press(parentChat, parentUser, m.MessageID, "n:versailles:78")
	wantFollowing(t, h, parentChat.ID, []string{"versailles"}, map[string][]string{"versailles": {"78"}})
	m = lastOf(t, h.say(parentChat, parentUser, "/abonner"))
	h.pressEach(parentChat, parentUser, m.MessageID,
		"g:"+regionIndex(h, "Île-de-France"),
		"a:versailles",
		"n:versailles:*")
	wantFollowing(t, h, parentChat.ID, []string{"versailles"}, map[string][]string{})

	h.say(pupilChat, pupilUser, "/profil eleve lycée")
	m = lastOf(t, h.say(pupilChat, pupilUser, "/abonner"))
	h.press(pupilChat, pupilUser, m.MessageID, "g:"+regionIndex(h, "Île-de-France"))
	h.press(pupilChat, pupilUser, m.MessageID, "a:versailles")
	if cur, _ := h.srv.Current(pupilChat.ID, m.MessageID); strings.Contains(cur.Text, "Dans quel département") {
		t.Errorf("a lycéen was asked the département (one lycée ENT for the académie)")
	}
	h.golden("onboarding_departement")
}
