package bot

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram/telegramtest"
)

// teacherGroup makes groupChat a teachers' group that follows Versailles,
// with one class "6e B" (code ABCD2345) created by its admin and joined by
// the parent.
func teacherGroup(t *testing.T, h *harness) storage.Class {
	t.Helper()
	h.srv.SetChatMemberStatus(groupChat.ID, groupAdmin.ID, "administrator")
	h.srv.SetChatMemberStatus(groupChat.ID, groupMember.ID, "member")
	h.say(groupChat, groupAdmin, "/profil enseignant college")
	h.say(groupChat, groupAdmin, "/abonner versailles")
	sent := h.classe(groupChat, groupAdmin, "/classe 6e B", "enc92")
	if len(sent) != 2 {
		t.Fatalf("the group admin's /classe sent %d messages, want 2", len(sent))
	}
	h.say(parentChat, parentUser, "/rejoindre ABCD2345")
	return classOf(t, h, "ABCD2345")
}

func classOf(t *testing.T, h *harness, code string) storage.Class {
	t.Helper()
	return readTx(t, h, (*storage.Tx).ClassByCode, code)
}

// TestGroupMemberCannotTakeOverClasses: in a teachers' group, a member who
// is not an admin can neither create, list, close, write to, nor set the
// plan B of the group's classes; an admin can.
func TestGroupMemberCannotTakeOverClasses(t *testing.T) {
	h := newHarness(t)
	before := teacherGroup(t, h)
	if before.OwnerUserID != groupAdmin.ID {
		t.Errorf("the class's owner is user %d, want the admin who created it (%d)", before.OwnerUserID, groupAdmin.ID)
	}
	for _, cmd := range []string{
		"/planb ABCD2345 Allez sur http://example.com/piege",
		"/fermer ABCD2345",
		"/classe 6e C",
		"/diffuser ABCD2345 Cliquez ici http://example.com/piege",
		"/classes",
	} {
		m := lastOf(t, h.say(groupChat, groupMember, cmd))
		if m.Text != msgGroupAdminsOnly {
			t.Errorf("%s by a plain member: got %q, want the group-admins answer", cmd, m.Text)
		}
	}
	after := classOf(t, h, "ABCD2345")
	if after.PlanB != "" || !after.ClosedAt.IsZero() {
		t.Fatalf("a plain member changed the class: %+v", after)
	}
	if n := queryInt(t, h, `SELECT COUNT(*) FROM classes WHERE owner_chat_id = ?`, groupChat.ID); n != 1 {
		t.Fatalf("the group has %d classes after a member's /classe, want 1", n)
	}
	if n := queryInt(t, h, `SELECT COUNT(*) FROM events WHERE kind = 'class_notice'`); n != 0 {
		t.Fatalf("%d notices written", n)
	}

	m := lastOf(t, h.say(groupChat, groupAdmin, "/planb ABCD2345 Travaillez sur Lumni."))
	wantText(t, m, "Plan B de la classe 6e B enregistré")
	if got := classOf(t, h, "ABCD2345").PlanB; got != "Travaillez sur Lumni." {
		t.Fatalf("the admin's plan B was not saved: %q", got)
	}
	preview := lastOf(t, h.say(groupChat, groupAdmin, "/diffuser ABCD2345 Pas de cours demain."))
	// A plain member presses the admin's « Envoyer »: nothing is sent.
	if sent := h.press(groupChat, groupMember, preview.MessageID, "ok:q1"); len(sent) != 0 {
		t.Fatalf("a member's press sent %d messages", len(sent))
	}
	if sent := h.press(groupChat, groupAdmin, preview.MessageID, "ok:q1"); len(sent) != 1 {
		t.Fatalf("the admin's « Envoyer » reached %d chats, want the 1 member", len(sent))
	}
	m = lastOf(t, h.say(groupChat, groupAdmin, "/fermer ABCD2345"))
	wantText(t, m, "fermée")
	if classOf(t, h, "ABCD2345").ClosedAt.IsZero() {
		t.Fatal("the admin could not close the class")
	}
}

// TestPrivateClassOnlyItsOwner: a class made in a private chat is managed
// from that chat only; another teacher gets the not-your-class answer.
func TestPrivateClassOnlyItsOwner(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	if c := classOf(t, h, "ABCD2345"); c.OwnerUserID != teacherUser.ID {
		t.Fatalf("owner user %d, want %d", c.OwnerUserID, teacherUser.ID)
	}
	other := telegramtest.User{ID: 104, FirstName: "M. Martin"}
	otherChat := telegramtest.Chat{ID: 104}
	h.say(otherChat, other, "/profil enseignant college")
	for _, cmd := range []string{"/planb ABCD2345 Piège", "/fermer ABCD2345", "/diffuser ABCD2345 Piège"} {
		m := lastOf(t, h.say(otherChat, other, cmd))
		if spaced(m.Text) != notYourClassText("ABCD2345") {
			t.Errorf("%s by another teacher: got %q", cmd, m.Text)
		}
	}
	if c := classOf(t, h, "ABCD2345"); c.PlanB != "" || !c.ClosedAt.IsZero() {
		t.Fatalf("another teacher changed the class: %+v", c)
	}
}

// TestAnonymousAdminConfirms: a preview asked by an admin posting as the
// group (GroupAnonymousBot) can be confirmed by any current admin, and by
// nobody else.
func TestAnonymousAdminConfirms(t *testing.T) {
	h := newHarness(t)
	teacherGroup(t, h)
	anon := telegramtest.User{ID: anonymousAdminID, FirstName: "Group"}
	preview := lastOf(t, h.say(groupChat, anon, "/diffuser ABCD2345 Pas de cours demain."))
	wantText(t, preview, "Aperçu")
	if sent := h.press(groupChat, groupMember, preview.MessageID, "ok:q1"); len(sent) != 0 {
		t.Fatalf("a plain member confirmed an anonymous admin's notice: %d sent", len(sent))
	}
	if sent := h.press(groupChat, groupAdmin, preview.MessageID, "ok:q1"); len(sent) != 1 {
		t.Fatalf("an admin's « Envoyer » on an anonymous admin's preview reached %d chats, want 1", len(sent))
	}
	// The same for « Supprimer ».
	ask := lastOf(t, h.say(groupChat, anon, "/oublier"))
	h.press(groupChat, groupAdmin, ask.MessageID, "ok:q2")
	if _, err := storagetest.Do(h.store.Update, context.Background(), func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(context.Background(), groupChat.ID) }); err == nil {
		t.Fatal("an admin's « Supprimer » on an anonymous admin's question did not erase the group")
	}
}

// TestClassCapAndRoleAtThePress: the 30-class cap and the teacher role are
// checked again when the académie button creates the class.
func TestClassCapAndRoleAtThePress(t *testing.T) {
	h := newHarness(t)
	h.say(teacherChat, teacherUser, "/profil enseignant lycee") // one ENT in Versailles: no ENT question
	h.say(teacherChat, teacherUser, "/abonner versailles creteil")
	var asks []telegramtest.Message
	for i := range maxOpenClasses + 5 {
		h.advance(4e9) // 4 s: under the command limit
		asks = append(asks, lastOf(t, h.say(teacherChat, teacherUser, fmt.Sprintf("/classe Classe %d", i))))
	}
	h.bot.newCode = uniqueCodes()
	for i, q := range asks {
		h.advance(4e9)
		h.press(teacherChat, teacherUser, q.MessageID, fmt.Sprintf("k:q%d:versailles", i+1))
	}
	open := `SELECT COUNT(*) FROM classes WHERE owner_chat_id = ? AND closed_at = 0`
	if n := queryInt(t, h, open, teacherChat.ID); n != maxOpenClasses {
		t.Fatalf("%d open classes after %d presses, want the cap %d", n, len(asks), maxOpenClasses)
	}

	// A question asked as a teacher, answered after becoming a parent.
	h.say(teacherChat, teacherUser, "/fermer QRST2223")
	q := lastOf(t, h.say(teacherChat, teacherUser, "/classe Dernière"))
	h.say(teacherChat, teacherUser, "/profil parent college")
	h.press(teacherChat, teacherUser, q.MessageID, fmt.Sprintf("k:q%d:versailles", len(asks)+1))
	cur, _ := h.srv.Current(teacherChat.ID, q.MessageID)
	if spaced(cur.Text) != msgTeachersOnly {
		t.Errorf("the press after leaving the teacher role shows %q, want %q", cur.Text, msgTeachersOnly)
	}
	if n := queryInt(t, h, open, teacherChat.ID); n != maxOpenClasses-1 {
		t.Fatalf("a parent created a class: %d open", n)
	}
}

// uniqueCodes draws distinct valid codes: QRST2223, QRST2224…
func uniqueCodes() func() (string, error) {
	n := 0
	return func() (string, error) {
		n++
		const digits = "23456789"
		code := []byte("QRST2222")
		for i, k := 7, n; k > 0; i, k = i-1, k/8 {
			code[i] = digits[k%8]
		}
		return string(code), nil
	}
}

// queryInt reads one number from the bot's database, read-only.
func queryInt(t *testing.T, h *harness, query string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+h.dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
