package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/telegram/telegramtest"
)

// teacherWithClass makes the teacher follow Versailles and open "6e B"
// (code ABCD2345), joined by the parent and the pupil.
func teacherWithClass(t *testing.T, h *harness) {
	t.Helper()
	h.say(teacherChat, teacherUser, "/profil enseignant college")
	h.say(teacherChat, teacherUser, "/abonner versailles")
	sent := h.classe(teacherChat, teacherUser, "/classe 6e B", "enc92")
	if len(sent) != 2 || sent[1].Method != "sendPhoto" {
		t.Fatalf("/classe sent %d messages, want the text and the QR code", len(sent))
	}
	h.say(parentChat, parentUser, "/start c_ABCD2345")
	h.say(pupilChat, pupilUser, "/rejoindre abcd-2345")
}

func TestClassCreateJoinBroadcastReport(t *testing.T) {
	h := newHarness(t)
	h.sayEach(teacherChat, teacherUser,
		"/classe 6e B", // not a teacher yet
		"/profil enseignant college",
		"/classe 6e B", // no académie yet
		"/abonner versailles",
		"/classe")
	sent := h.classe(teacherChat, teacherUser, "/classe 6e B <Sciences & Vie>", "enc92")
	wantText(t, sent[0], "Code : ABCD2345", "https://t.me/sentinelle_bot?start=c_ABCD2345")
	qr, err := qrPNG(joinLink("sentinelle_bot", "ABCD2345"))
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, qr)

	h.say(parentChat, parentUser, "/start c_ABCD2345")
	if got := subsOf(t, h, parentChat.ID); !slices.Equal(got, []string{"versailles"}) {
		t.Errorf("joining by link did not follow the class's académie: %v", got)
	}
	h.say(pupilChat, pupilUser, "/join abcd 2345")
	h.say(pupilChat, pupilUser, "/rejoindre ABCD2345")
	h.say(teacherChat, teacherUser, "/rejoindre ABCD2345")
	h.say(teacherChat, teacherUser, "/classes")

	h.sayEach(teacherChat, teacherUser,
		"/diffuser",
		"/diffuser ZZZZ9999 Bonjour",
		"/diffuser ABCD2345 "+strings.Repeat("é", 3612))
	preview := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 Pas de cours demain.\nRevoyez le chapitre 3 <important> & merci."))
	wantText(t, preview, "Aperçu", "2 membres", "<important> & merci")
	h.press(parentChat, parentUser, preview.MessageID, "ok:q1") // somebody else's button: nothing
	sent = h.press(teacherChat, teacherUser, preview.MessageID, "ok:q1")
	if len(sent) != 2 {
		t.Fatalf("the notice reached %d chats, want the 2 members", len(sent))
	}
	for _, m := range sent {
		wantText(t, m, "Classe 6e B <Sciences & Vie> · Mme Dupont", "Pas de cours demain.\nRevoyez")
	}
	h.press(teacherChat, teacherUser, preview.MessageID, "ok:q1") // twice: nothing more
	if err := h.bot.reportNotices(context.Background()); err != nil {
		t.Fatal(err)
	}
	report := lastOf(t, h.settle(len(h.srv.Sent())))
	wantText(t, report, "reçu par 2 membres sur 2")

	cancel := lastOf(t, h.say(teacherChat, teacherUser, "/broadcast ABCD2345 Finalement non"))
	h.press(teacherChat, teacherUser, cancel.MessageID, "no:q2")
	h.golden("classes")
}

func TestBroadcastQuotaAndExpiry(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	for i := range broadcastsPerDay {
		h.advance(time.Minute) // under the command limit
		p := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 Message "+string(rune('A'+i))))
		h.press(teacherChat, teacherUser, p.MessageID, "ok:"+confirmID(t, p))
	}
	m := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 Un de trop"))
	wantText(t, m, "déjà envoyé 10 messages")
	h.advance(25 * time.Hour)
	p := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 Le lendemain"))
	h.advance(2 * time.Hour)
	h.press(teacherChat, teacherUser, p.MessageID, "ok:"+confirmID(t, p))
	cur, _ := h.srv.Current(teacherChat.ID, p.MessageID)
	wantText(t, cur, "expiré")
}

// confirmID reads the id of the « Envoyer » button of a preview.
func confirmID(t *testing.T, m telegramtest.Message) string {
	t.Helper()
	_, after, ok := strings.Cut(m.ReplyMarkup, `"callback_data":"ok:`)
	if !ok {
		t.Fatalf("message %d has no « Envoyer » button: %s", m.MessageID, m.ReplyMarkup)
	}
	id, _, _ := strings.Cut(after, `"`)
	return id
}

func TestPlanBComesWithTheOutage(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	h.note("plan B")
	h.sayEach(teacherChat, teacherUser,
		"/planb",
		"/planb ABCD2345",
		"/planb ABCD2345 "+strings.Repeat("x", maxPlanBRunes+1),
		"/planb ABCD2345 Exercices 4 à 7 p. 112 <manuel> & fiche jointe.")
	h.say(pupilChat, pupilUser, "/planb ABCD2345 Rien à faire !") // not the owner
	h.say(teacherChat, teacherUser, "/planb ABCD2345")
	h.say(pupilChat, pupilUser, "/profil eleve college")
	h.say(parentChat, parentUser, "/profil parent college")
	h.note("ENC 92 falls at 07:45")
	before := len(h.srv.Sent())
	setStates(t, h, map[string]string{"enc92": "down:waiting_room"})
	sent := h.settle(before)
	got := map[int64]string{}
	for _, m := range sent {
		got[m.ChatID] = m.Visible
	}
	for _, id := range []int64{parentChat.ID, teacherChat.ID} {
		if !strings.Contains(spaced(got[id]), "Panne : ENC 92") {
			t.Errorf("chat %d did not hear the outage: %q", id, got[id])
		}
	}
	// A pupil (recoveries only) gets the plan B alone, headed with the class.
	if m := spaced(got[pupilChat.ID]); !strings.HasPrefix(m, "📌 Classe 6e B · plan B\n") || strings.Contains(m, "Panne :") ||
		!strings.Contains(m, "Exercices 4 à 7 p. 112 <manuel> & fiche jointe.") {
		t.Errorf("the pupil's message is not the plan B alone:\n%s", got[pupilChat.ID])
	}
	if !strings.Contains(got[parentChat.ID], "Plan B · 6e B\nExercices 4 à 7 p. 112 <manuel> & fiche jointe.") {
		t.Errorf("the member's outage message lacks the plan B:\n%s", got[parentChat.ID])
	}
	if strings.Contains(got[teacherChat.ID], "Plan B") {
		t.Errorf("the teacher got her own plan B")
	}
	h.note("back at 10:15")
	h.advance(150 * time.Minute)
	before = len(h.srv.Sent())
	setStates(t, h, map[string]string{"enc92": "up"})
	for _, m := range h.settle(before) {
		wantText(t, m, "ENC 92 (Hauts-de-Seine) rétabli à 10 h 15, après 2 h 30 de panne.")
	}
	h.golden("planb")
}

func TestCloseLeaveAndCodesOfOthers(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	h.sayEach(pupilChat, pupilUser,
		"/fermer ABCD2345", // not the owner: same answer as an unknown code
		"/diffuser ABCD2345 Coucou",
		"/quitter",
		"/quitter ABCD2345",
		"/leave ABCD2345",
		"/quitter ZZZZ9999")
	h.sayEach(teacherChat, teacherUser,
		"/planb ABCD2345 Fiche 3",
		"/fermer",
		"/fermer abcd2345",
		"/fermer ABCD2345",
		"/classes")
	h.say(pupilChat, pupilUser, "/rejoindre ABCD2345") // closed: same answer as a wrong code
	if c := classOf(t, h, "ABCD2345"); c.ClosedAt.IsZero() || c.PlanB != "" {
		t.Fatalf("closed class = %+v", c)
	}
	h.golden("fermer")
}

func TestClassInOneOfSeveralAcademies(t *testing.T) {
	h := newHarness(t)
	h.say(teacherChat, teacherUser, "/profil enseignant lycee")
	h.say(teacherChat, teacherUser, "/abonner paris versailles")
	q := lastOf(t, h.say(teacherChat, teacherUser, "/classe 1re 3"))
	h.press(teacherChat, teacherUser, q.MessageID, "k:"+strings.TrimPrefix(keyData(t, q, 0), "k:")[:2]+":lille")
	sent := h.press(teacherChat, teacherUser, q.MessageID, keyData(t, q, 1))
	if len(sent) != 1 || sent[0].Method != "sendPhoto" {
		t.Fatalf("after choosing the académie: %d sends, want the QR code", len(sent))
	}
	cur, _ := h.srv.Current(teacherChat.ID, q.MessageID)
	wantText(t, cur, "Classe 1re 3 créée (académie : Versailles, ENT : MonLycée.net)")
	q = lastOf(t, h.say(teacherChat, teacherUser, "/classe 1re 4"))
	h.press(teacherChat, teacherUser, q.MessageID, keyData(t, q, 2)) // Annuler
	h.golden("classe_academie")
}

// keyData is the callback data of the row-th button row's first button.
func keyData(t *testing.T, m telegramtest.Message, row int) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(keyboardText(m.ReplyMarkup)), "\n")
	if row >= len(lines) {
		t.Fatalf("message %d has %d button rows", m.MessageID, len(lines))
	}
	_, data, _ := strings.Cut(lines[row], "→ ")
	data, _, _ = strings.Cut(data, "]")
	return data
}

func TestJoinGuessingIsLimited(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	for i := range joinFailures {
		h.say(groupMember2Chat, groupMember, "/rejoindre ZZZZ999"+string(rune('2'+i)))
	}
	m := lastOf(t, h.say(groupMember2Chat, groupMember, "/rejoindre ABCD2345"))
	wantText(t, m, "Trop d'essais")
	h.advance(joinWindow)
	m = lastOf(t, h.say(groupMember2Chat, groupMember, "/rejoindre ABCD2345"))
	wantText(t, m, "Vous avez rejoint")
}
