package bot

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// classe sends a /classe command and, when it asks which ENT the class
// uses, presses service's button; it returns the question as edited (the
// class created) and what the press sent (the QR code). The question's id
// is given back, so that the test's later questions stay q1, q2…
func (h *harness) classe(chat telegramtest.Chat, user telegramtest.User, text, service string) []telegramtest.Message {
	h.t.Helper()
	h.mu.Lock()
	ids := h.ids
	h.mu.Unlock()
	sent := h.say(chat, user, text)
	if len(sent) != 1 {
		return sent
	}
	m := regexp.MustCompile(`"callback_data":"(e:[^"]*:` + regexp.QuoteMeta(service) + `)"`).FindStringSubmatch(sent[0].ReplyMarkup)
	if m == nil {
		return sent
	}
	out := h.press(chat, user, sent[0].MessageID, m[1])
	h.mu.Lock()
	h.ids = ids
	h.mu.Unlock()
	cur, _ := h.srv.Current(chat.ID, sent[0].MessageID)
	return append([]telegramtest.Message{cur}, out...)
}

// TestClassAsksItsENT: a collège teacher of Versailles is asked which of
// the four collège ENTs the class uses (the lycée one is not offered); a
// forged or stale choice leaves the question standing; the class is bound
// to the ENT pressed and /classes shows it.
func TestClassAsksItsENT(t *testing.T) {
	h := newHarness(t)
	h.say(teacherChat, teacherUser, "/profil enseignant college")
	h.say(teacherChat, teacherUser, "/abonner versailles")
	q := lastOf(t, h.say(teacherChat, teacherUser, "/classe 6e B"))
	wantText(t, q, "Quel ENT utilisent les élèves de la classe 6e B ?")
	var offered []string
	for _, line := range strings.Split(strings.TrimSpace(keyboardText(q.ReplyMarkup)), "\n") {
		_, data, _ := strings.Cut(line, "→ ")
		offered = append(offered, strings.TrimSuffix(data, "]"))
	}
	want := []string{"e:q1:ecollege78", "e:q1:moncollege91", "e:q1:enc92", "e:q1:moncollege95", "no:q1"}
	if !slices.Equal(offered, want) {
		t.Fatalf("buttons %v, want %v", offered, want)
	}
	for _, forged := range []string{"e:q1:monlycee", "e:q1:lumni", "e:q1:", "k:q1:versailles"} {
		if sent := h.press(teacherChat, teacherUser, q.MessageID, forged); len(sent) != 0 {
			t.Errorf("%s created a class", forged)
		}
	}
	if sent := h.press(teacherChat, teacherUser, q.MessageID, "e:q1:enc92"); len(sent) != 1 || sent[0].Method != "sendPhoto" {
		t.Fatalf("choosing the ENT sent %d messages, want the QR code", len(sent))
	}
	cur, _ := h.srv.Current(teacherChat.ID, q.MessageID)
	wantText(t, cur, "Classe 6e B créée (académie : Versailles, ENT : ENC 92 (Hauts-de-Seine))", "Code : ABCD2345")
	if got := classOf(t, h, "ABCD2345").ServiceID; got != "enc92" {
		t.Errorf("class bound to %q, want enc92", got)
	}
	m := lastOf(t, h.say(teacherChat, teacherUser, "/classes"))
	wantText(t, m, "ENT : ENC 92 (Hauts-de-Seine)")
	if m.ReplyMarkup != "" {
		t.Errorf("/classes of a bound class has buttons: %s", m.ReplyMarkup)
	}
	h.golden("classe_ent")
}

// TestOldClassPicksItsENT: a class made before classes were bound (no
// ENT) says so in /classes, with a button that asks the ENT and binds it;
// only its manager may; « Annuler » leaves it unbound.
func TestOldClassPicksItsENT(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	id := classOf(t, h, "ABCD2345").ID
	ctx := context.Background()
	if err := h.store.Update(ctx, func(tx *storage.Tx) error { return tx.SetClassService(ctx, id, "") }); err != nil {
		t.Fatal(err)
	}
	m := lastOf(t, h.say(teacherChat, teacherUser, "/classes"))
	wantText(t, m, "ENT non choisi : son plan B part avec la panne de n'importe quel ENT de l'académie")
	data := keyData(t, m, 0)
	if want := "ce:" + strconv.FormatInt(id, 10); data != want {
		t.Fatalf("/classes button %q, want %q", data, want)
	}
	if sent := h.press(parentChat, parentUser, m.MessageID, data); len(sent) != 0 {
		t.Fatalf("a parent's press on the button asked %d questions", len(sent))
	}
	h.press(teacherChat, teacherUser, m.MessageID, "ce:999")
	q := lastOf(t, h.press(teacherChat, teacherUser, m.MessageID, data))
	h.press(teacherChat, teacherUser, q.MessageID, keyData(t, q, 4)) // Annuler
	if got := classOf(t, h, "ABCD2345").ServiceID; got != "" {
		t.Fatalf("« Annuler » bound the class to %q", got)
	}
	q = lastOf(t, h.press(teacherChat, teacherUser, m.MessageID, data))
	h.press(teacherChat, teacherUser, q.MessageID, keyData(t, q, 0))
	if got := classOf(t, h, "ABCD2345").ServiceID; got != "ecollege78" {
		t.Fatalf("class bound to %q, want ecollege78", got)
	}
	h.say(teacherChat, teacherUser, "/classes")
	h.golden("classe_ent_old")
}

// TestClassServiceDataFits: the ENT buttons' callback data stay within
// Telegram's 64 bytes for every service of the default catalog.
func TestClassServiceDataFits(t *testing.T) {
	cat := defaultCatalog(t)
	id, err := newConfirmationID()
	if err != nil {
		t.Fatal(err)
	}
	_, kb := classServiceQuestion("6e B", id, cat.Services)
	for _, row := range kb {
		for _, b := range row {
			if len(b.Data) > 64 {
				t.Errorf("callback data %q is %d bytes, over 64", b.Data, len(b.Data))
			}
		}
	}
}
