package bot

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"sentinelle/status"
	"sentinelle/storage"
)

// regionIndex is the callback index of a région académique.
func regionIndex(h *harness, name string) string {
	i := slices.Index(h.cat.Regions(), name)
	if i < 0 {
		h.t.Fatalf("no region %q", name)
	}
	return strconv.Itoa(i)
}

func chatOf(t *testing.T, h *harness, id int64) storage.Chat {
	t.Helper()
	return readTx(t, h, (*storage.Tx).Chat, id)
}

func subsOf(t *testing.T, h *harness, id int64) []string {
	t.Helper()
	return followingOf(t, h, id).Academies
}

// followingOf reads what a chat follows (nothing for an unknown chat).
func followingOf(t *testing.T, h *harness, id int64) storage.Following {
	t.Helper()
	return readTx(t, h, func(tx *storage.Tx, ctx context.Context, id int64) (storage.Following, error) {
		_, f, err := tx.ChatFollowing(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return storage.Following{}, nil
		}
		return f, err
	}, id)
}

func TestOnboardingParentThreeSteps(t *testing.T) {
	h := newHarness(t)
	m := lastOf(t, h.say(parentChat, parentUser, "/start"))
	wantText(t, m, "Bonjour", "Étape 1 sur 3")
	h.pressEach(parentChat, parentUser, m.MessageID,
		"r:parent",
		"l:ok", // no level yet: refused
		"l:college",
		"l:lycee",
		"l:ok",
		"g:"+regionIndex(h, "Île-de-France"),
		"a:versailles")
	cur, _ := h.srv.Current(parentChat.ID, m.MessageID)
	wantText(t, cur, "Dans quel département ?") // one collège ENT per département
	h.press(parentChat, parentUser, m.MessageID, "n:versailles:92")
	cur, _ = h.srv.Current(parentChat.ID, m.MessageID)
	wantText(t, cur, "C'est prêt", "Versailles (Hauts-de-Seine)", "parent · collège, lycée")
	c := chatOf(t, h, parentChat.ID)
	if c.Role != "parent" || c.Levels != status.College.Bit()|status.Lycee.Bit() || !c.AlertOutage || !c.AlertRecovery || c.AlertDegraded {
		t.Errorf("chat = %+v", c)
	}
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"versailles"}) {
		t.Errorf("subscriptions = %v", got)
	}
	h.golden("onboarding_parent")
}

func TestOnboardingPupilOneLevelAndAlertDefaults(t *testing.T) {
	h := newHarness(t)
	h.onboard(pupilChat, pupilUser,
		"r:eleve",
		"l:lycee",
		"g:"+regionIndex(h, "Hauts-de-France"),
		"g:", // back to the régions
		"g:"+regionIndex(h, "Hauts-de-France"),
		"a:lille")
	c := chatOf(t, h, pupilChat.ID)
	if c.Role != "eleve" || c.Levels != status.Lycee.Bit() || c.AlertOutage || !c.AlertRecovery {
		t.Errorf("a pupil hears recoveries only by default; chat = %+v", c)
	}
	h.golden("onboarding_pupil")
}

func TestDeepLinkAcademy(t *testing.T) {
	h := newHarness(t)
	m := lastOf(t, h.say(parentChat, parentUser, "/start a_aix-marseille"))
	wantText(t, m, "Abonnement enregistré : Aix-Marseille", "dites-moi qui vous êtes")
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"aix-marseille"}) {
		t.Fatalf("subscriptions = %v", got)
	}
	h.press(parentChat, parentUser, m.MessageID, "r:enseignant")
	h.press(parentChat, parentUser, m.MessageID, "l:college")
	cur, _ := h.srv.Current(parentChat.ID, m.MessageID)
	wantText(t, cur, "C'est prêt", "Aix-Marseille", "enseignant · collège")
	h.say(parentChat, parentUser, "/start a_atlantide")
	h.say(parentChat, parentUser, "/start a_aix-marseille")
	h.golden("deeplink_academy")
}

func TestStaleAndForgedButtons(t *testing.T) {
	h := newHarness(t)
	m := lastOf(t, h.say(parentChat, parentUser, "/start"))
	for _, data := range []string{"r:roi", "l:universite", "g:999", "g:x", "a:atlantide", "u:atlantide",
		"al:meteo", "zz:1", "ok:nope", "k:nope:paris"} {
		h.press(parentChat, parentUser, m.MessageID, data)
	}
	c := chatOf(t, h, parentChat.ID)
	if c.Role != "" || c.Levels != 0 {
		t.Errorf("a forged button changed the chat: %+v", c)
	}
	h.golden("stale_buttons")
}
