package bot

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// TestPerUserLimitAcrossChats: one person is held to 30 updates a minute
// whatever the number of chats they write from; others are not.
func TestPerUserLimitAcrossChats(t *testing.T) {
	h := newHarness(t)
	groups := make([]telegramtest.Chat, 3)
	for i := range groups {
		groups[i] = telegramtest.Chat{ID: int64(-300 - i), Type: "group", Title: fmt.Sprintf("Groupe %d", i)}
		h.srv.SetChatMemberStatus(groups[i].ID, groupAdmin.ID, "administrator")
	}
	answered := 0
	for i := range userCommandsPerMinute {
		if len(h.say(groups[i%3], groupAdmin, "/etat")) == 1 {
			answered++
		}
	}
	if answered != userCommandsPerMinute {
		t.Fatalf("%d of %d commands answered within the limit", answered, userCommandsPerMinute)
	}
	m := lastOf(t, h.say(groups[0], groupAdmin, "/etat"))
	if spaced(m.Text) != msgSlowDown {
		t.Fatalf("over the per-person limit: %q, want the slow-down answer", m.Text)
	}
	for _, g := range groups {
		if sent := h.say(g, groupAdmin, "/etat"); len(sent) != 0 {
			t.Fatalf("after the warning, %d replies in group %d", len(sent), g.ID)
		}
	}
	if sent := h.say(groupChat, groupMember, "/etat"); len(sent) != 1 {
		t.Fatalf("another person was silenced too: %d replies", len(sent))
	}
	h.advance(time.Minute)
	if sent := h.say(groups[2], groupAdmin, "/etat"); len(sent) != 1 {
		t.Fatalf("a minute later, %d replies, want 1", len(sent))
	}
}

// TestPreviewStoredOnceRaw: a notice's preview shows the whole text once,
// and the database holds it once, escaped once (JSON), not HTML- then
// JSON-escaped and copied into the question too; « Envoyer » still sends
// it whole.
func TestPreviewStoredOnceRaw(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	text := strings.Repeat(`"`, maxNoticeRunes)
	preview := lastOf(t, h.say(teacherChat, teacherUser, "/diffuser ABCD2345 "+text))
	wantText(t, preview, "Aperçu", text)
	stored := queryInt(t, h, `SELECT MAX(length(payload)) FROM events WHERE kind = 'reply'`)
	if limit := 2*len(text) + 1000; stored > limit {
		t.Errorf("the preview reply is stored in %d bytes for a %d-byte notice, want at most %d", stored, len(text), limit)
	}
	if n := queryInt(t, h, `SELECT COALESCE(SUM(length(text)), 0) FROM confirmations`); n != 0 {
		t.Errorf("the question keeps %d bytes of text besides the preview", n)
	}
	sent := h.press(teacherChat, teacherUser, preview.MessageID, "ok:q1")
	if len(sent) != 2 {
		t.Fatalf("« Envoyer » reached %d chats, want the 2 members", len(sent))
	}
	for _, m := range sent {
		wantText(t, m, "Classe 6e B · Mme Dupont", text)
	}
}

// TestPlanBReplyIsAnExcerpt: the answer to /planb repeats the start of the
// plan B only; /planb CODE shows it whole.
func TestPlanBReplyIsAnExcerpt(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	planB := strings.Repeat("Lumni & <CNED> ", maxPlanBRunes/15)
	m := lastOf(t, h.say(teacherChat, teacherUser, "/planb ABCD2345 "+planB))
	wantText(t, m, "enregistré", "Lumni & <CNED>", "…")
	stored := queryInt(t, h, `SELECT length(payload) FROM events WHERE kind = 'reply' ORDER BY id DESC LIMIT 1`)
	if stored > 1000 {
		t.Errorf("the /planb reply is stored in %d bytes, want at most 1,000 (an excerpt)", stored)
	}
	m = lastOf(t, h.say(teacherChat, teacherUser, "/planb ABCD2345"))
	wantText(t, m, strings.TrimSpace(planB))
}

// TestForgetUnnamesTheTeacher: after a teacher's /oublier, the replies
// kept for the members who joined their class no longer hold their name.
func TestForgetUnnamesTheTeacher(t *testing.T) {
	h := newHarness(t)
	teacherWithClass(t, h)
	named := `SELECT COUNT(*) FROM events WHERE instr(payload, 'Dupont') > 0`
	if n := queryInt(t, h, named); n == 0 {
		t.Fatal("no stored reply names the teacher: the test proves nothing")
	}
	ask := lastOf(t, h.say(teacherChat, teacherUser, "/oublier"))
	h.press(teacherChat, teacherUser, ask.MessageID, "ok:q1")
	if n := queryInt(t, h, named); n != 0 {
		t.Fatalf("%d stored events still name the teacher after their /oublier", n)
	}
	replies, err := repliesTo(context.Background(), h.store, h.dbPath, parentChat.ID)
	if err != nil {
		t.Fatal(err)
	}
	var joined string
	for _, r := range replies {
		if m, _ := r.ReplyMessage(); strings.Contains(m.Text, "Vous avez rejoint") {
			joined = m.Text
		}
	}
	if !strings.Contains(spaced(joined), "<b>6e B</b>, académie : Versailles") {
		t.Fatalf("the member's reply was not rewritten as expected:\n%s", joined)
	}
}

// TestOneUserInTenGroupsForADay: a teacher administering ten groups sends
// commands at the limit for a simulated day, choosing the ones whose
// replies cost the most (previews of 3,500 quotation marks, plan Bs of
// 1,000); the database stays under maxDayGrowth and stops growing once
// replies are purged.
func TestOneUserInTenGroupsForADay(t *testing.T) {
	if testing.Short() {
		t.Skip("a simulated day of commands: skipped with -short")
	}
	t.Parallel() // a minute of SQLite work: the other tests mostly wait on the network
	const maxDayGrowth = 48 << 20
	var handled atomic.Int64
	// In memory when the machine has /dev/shm: the sizes are the same, and
	// a day of commits does not wait for the disk.
	h := newHarnessIn(t, memDir(t), func(o *Options) {
		o.OnCommand = func(string, time.Duration) { handled.Add(1) } // answered, « doucement » included
	})
	ctx := context.Background()
	groups := make([]int64, 10)
	codes := make([]string, 10)
	h.bot.newCode = uniqueCodes()
	for i := range groups {
		g := telegramtest.Chat{ID: int64(-1000 - i), Type: "group", Title: fmt.Sprintf("Profs %d", i)}
		groups[i] = g.ID
		h.srv.SetChatMemberStatus(g.ID, groupAdmin.ID, "administrator")
		h.say(g, groupAdmin, "/profil enseignant college")
		h.say(g, groupAdmin, "/abonner versailles")
		sent := h.classe(g, groupAdmin, fmt.Sprintf("/classe Classe %d", i), "enc92")
		if len(sent) != 2 {
			t.Fatalf("group %d: /classe sent %d messages", i, len(sent))
		}
		codes[i] = strings.TrimPrefix(sent[0].Text[strings.Index(sent[0].Text, "start=c_"):], "start=c_")[:classCodeLen]
		h.say(parentChat, parentUser, "/rejoindre "+codes[i])
		h.advance(time.Minute)
	}
	notice := strings.Repeat(`"`, maxNoticeRunes)
	planB := strings.Repeat(`"`, maxPlanBRunes)
	last, err := h.store.LastUpdateID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := int(last) + 1
	size := func() int64 {
		t.Helper()
		var total int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(h.dbPath + suffix); err == nil {
				total += fi.Size()
			}
		}
		return total
	}
	start := size()
	var at4h int64
	handledBefore := int(handled.Load())
	for minute := range 24 * 60 {
		// 40 commands a minute, over the limit: 30 pass, one is warned.
		batch := make([]tgbotapi.Update, 0, 40)
		for k := range 40 {
			g := groups[(minute*40+k)%10]
			code := codes[(minute*40+k)%10]
			text := "/diffuser " + code + " " + notice
			if k%2 == 1 {
				text = "/planb " + code + " " + planB
			}
			u := fakeUpdate(id, g, groupAdmin.ID, text)
			batch = append(batch, u[0])
			id++
		}
		if err := h.bot.handleBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
		if minute%10 == 9 { // sent every 10 minutes, not within seconds: a worse case for the size
			h.pump.settleOnly(ctx)
			now := h.clock()
			if _, err := h.store.PurgeReplies(ctx, now.Add(-storage.ReplyRetention), 100000); err != nil {
				t.Fatal(err)
			}
			if _, err := h.store.PurgeConfirmations(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		if minute == 4*60 {
			at4h = size()
		}
		h.advance(time.Minute)
	}
	end := size()
	accepted := int(handled.Load()) - handledBefore
	t.Logf("%d replies written in the day; database %d → %d bytes (%d after 4 h)", accepted, start, end, at4h)
	if want := 24 * 60 * (userCommandsPerMinute + 1); accepted < want*9/10 {
		t.Fatalf("only %d replies written, want about %d: the test did not run at the limit", accepted, want)
	}
	if end-start > maxDayGrowth {
		t.Errorf("the database grew by %d bytes in a day, want at most %d", end-start, maxDayGrowth)
	}
	if end > at4h+at4h/10 {
		t.Errorf("the database kept growing after 4 h: %d bytes then, %d at the end of the day", at4h, end)
	}
}

// memDir is a temporary directory in memory (/dev/shm) when there is one,
// else on disk.
func memDir(t *testing.T) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "sentinelle-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}
