package bot

import (
	"context"
	"errors"
	"testing"

	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

func TestMesDonneesListsEverything(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	h.say(teacherChat, teacherUser, "/planb ABCD2345 Fiche 3 p. 12")
	m := lastOf(t, h.say(teacherChat, teacherUser, "/mesdonnees"))
	wantText(t, m, "Identifiant de cette discussion : 103 (privé)", "Inscrit le mardi 6 avril 2021", "enseignant", "Versailles",
		"Classe créée : 6e B (ABCD2345, 2 membres), plan B : « Fiche 3 p. 12 »", "Mme Dupont")
	m = lastOf(t, h.say(pupilChat, pupilUser, "/mydata"))
	wantText(t, m, "Classe rejointe : 6e B (ABCD2345)")
	h.golden("mesdonnees")
}

func TestOublierErasesAtOnce(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	p := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 Bonjour"))
	h.press(teacherChat, teacherUser, p.MessageID, "ok:"+confirmID(t, p))
	q := lastOf(t, h.say(teacherChat, teacherUser, "/oublier"))
	h.press(teacherChat, teacherUser, q.MessageID, "no:"+confirmID(t, q))
	if _, err := storagetest.Do(h.store.Update, context.Background(), func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(context.Background(), teacherChat.ID) }); err != nil {
		t.Fatalf("« Annuler » erased the chat: %v", err)
	}
	q = lastOf(t, h.say(teacherChat, teacherUser, "/forget"))
	h.press(teacherChat, teacherUser, q.MessageID, "ok:"+confirmID(t, q))
	ctx := context.Background()
	if _, err := storagetest.Do(h.store.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, teacherChat.ID) }); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("chat kept after « Supprimer »: %v", err)
	}
	if _, err := storagetest.Do(h.store.Update, ctx, func(tx *storage.Tx) (storage.Class, error) { return tx.ClassByCode(ctx, "ABCD2345") }); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("the teacher's class was kept: %v", err)
	}
	replies, err := repliesTo(ctx, h.store, h.dbPath, teacherChat.ID)
	if err != nil || len(replies) != 0 {
		t.Fatalf("%d replies kept (%v)", len(replies), err)
	}
	if _, err := storagetest.Do(h.store.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, pupilChat.ID) }); err != nil {
		t.Fatalf("a member was erased too: %v", err)
	}
	m := lastOf(t, h.say(pupilChat, pupilUser, "/mesdonnees"))
	if contains := m.Visible; contains == "" {
		t.Fatal("no answer")
	}
	wantText(t, m, "Académies suivies : Versailles")
	h.golden("oublier")
}
