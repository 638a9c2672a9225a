package bot

import (
	"context"
	"testing"
	"time"

	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

func TestAnnonceToAnAcademyAndAll(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/abonner versailles")
	h.say(pupilChat, pupilUser, "/abonner lille")
	h.sayEach(adminChat, adminUser, "/annonce", "/annonce atlantide Bonjour", "/annonce versailles")
	p := lastOf(t, h.say(adminChat, adminUser, "/annonce Versailles Les ENT d'Île-de-France sont <saturés> : patience & Lumni."))
	sent := h.press(adminChat, adminUser, p.MessageID, "ok:"+confirmID(t, p))
	if len(sent) != 1 || sent[0].ChatID != parentChat.ID {
		t.Fatalf("the académie's announcement went to %d chats", len(sent))
	}
	wantText(t, sent[0], "Annonce de Sentinelle", "<saturés> : patience & Lumni.")
	p = lastOf(t, h.say(adminChat, adminUser, "/announce toutes Maintenance ce soir."))
	if sent := h.press(adminChat, adminUser, p.MessageID, "ok:"+confirmID(t, p)); len(sent) != 2 {
		t.Fatalf("the announcement to all went to %d chats, want 2", len(sent))
	}
	if err := h.bot.reportNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.settle(len(h.srv.Sent()))
	h.golden("annonce")
}

func TestStatsMaintenanceVerifier(t *testing.T) {
	h := newHarness(t)
	h.say(parentChat, parentUser, "/profil parent college")
	h.say(parentChat, parentUser, "/abonner versailles paris")
	teacherWithClass(t, h)
	setStates(t, h, map[string]string{"enc92": "down:timeout"})
	h.pump.drain()
	m := lastOf(t, h.say(adminChat, adminUser, "/stats"))
	wantText(t, m, "Chats actifs : 3", "Abonnements : 4", "Classes ouvertes : 1 (2 membres)", "ENC 92")
	h.sayEach(adminChat, adminUser,
		"/maintenance",
		"/maintenance ent-mars 2h",
		"/maintenance enc92 demain",
		"/maintenance enc92 1h30")
	st, err := storagetest.One(h.store.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "enc92" })
	if err != nil || !st.MaintenanceUntil.Equal(h.clock().Add(90*time.Minute)) {
		t.Fatalf("maintenance = %v, %v", st.MaintenanceUntil, err)
	}
	h.say(adminChat, adminUser, "/maintenance enc92 fin")
	if st, _ := storagetest.One(h.store.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "enc92" }); !st.MaintenanceUntil.IsZero() {
		t.Fatalf("maintenance not ended: %v", st.MaintenanceUntil)
	}
	h.say(adminChat, adminUser, "/verifier")
	h.bot.jobs.Wait()
	h.settle(len(h.srv.Sent()))
	if h.checks != 1 {
		t.Fatalf("CheckNow ran %d times", h.checks)
	}
	h.golden("admin")
}

func TestAdminCommandsOnlyInPrivate(t *testing.T) {
	h := newHarness(t)
	h.srv.SetChatMemberStatus(groupChat.ID, adminUser.ID, "creator")
	// In a group, an unknown command may be another bot's: no answer, for
	// admin commands as for unknown ones.
	for _, cmd := range []string{"/stats", "/meteo", "/annonce toutes x"} {
		if sent := h.say(groupChat, adminUser, cmd); len(sent) != 0 {
			t.Errorf("%s in a group answered %q", cmd, sent[0].Visible)
		}
	}
	if _, err := storagetest.Do(h.store.Update, context.Background(), func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(context.Background(), groupChat.ID) }); err == nil {
		t.Error("a group that only typed unknown commands was stored")
	}
}

func TestParseFrenchDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"45min": 45 * time.Minute, "2h": 2 * time.Hour, "1h30": 90 * time.Minute, "3j": 72 * time.Hour,
		"90m": 90 * time.Minute, "1h30m": 90 * time.Minute, "2 h 30": 150 * time.Minute,
	} {
		if got, ok := parseFrenchDuration(in); !ok || got != want {
			t.Errorf("parseFrenchDuration(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "demain", "8j", "30s", "-2h", "h"} {
		if got, ok := parseFrenchDuration(in); ok {
			t.Errorf("parseFrenchDuration(%q) = %v, want refused", in, got)
		}
	}
}
