package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// checkTelegram fails unless text is HTML Telegram accepts, within its
// length limit.
func checkTelegram(t testing.TB, what, text string) {
	t.Helper()
	visible, err := telegramtest.ParseHTML(text)
	if err != nil {
		t.Fatalf("%s: Telegram would refuse the HTML: %v\n%s", what, err, text)
	}
	if n := utf8.RuneCountInString(visible); n > maxMessage || strings.TrimSpace(visible) == "" {
		t.Fatalf("%s: %d visible characters, want 1..%d", what, n, maxMessage)
	}
	if n := visibleLen(text); n != utf8.RuneCountInString(visible) {
		t.Fatalf("%s: visibleLen = %d, Telegram counts %d", what, n, utf8.RuneCountInString(visible))
	}
}

func testRenderer(t testing.TB) *Renderer {
	t.Helper()
	cat := defaultCatalog(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	return NewRenderer(RendererOptions{Catalog: cat, Location: paris, PublicURL: "https://sentinelle.example.fr",
		Now: func() time.Time { return testNow.Add(10 * time.Minute) }})
}

func stateEvent(kind status.Kind, service string, from, to status.State, reason status.Reason, since, downSince time.Time, latencyMS int64) storage.Event {
	payload := fmt.Sprintf(`{"since_ms":%d,"latency_ms":%d`, since.UnixMilli(), latencyMS)
	if !downSince.IsZero() {
		payload += fmt.Sprintf(`,"down_since_ms":%d`, downSince.UnixMilli())
	}
	return storage.Event{ID: 1, Kind: kind, ServiceID: service, FromState: from, ToState: to, Reason: reason,
		Audience: status.AudienceService(service), Payload: payload + "}", At: since}
}

func TestRenderGolden(t *testing.T) {
	r := testRenderer(t)
	at := testNow.Add(-13 * time.Minute) // 07:32 in Paris
	college := storage.Recipient{ChatID: 1, Kind: "private", Role: "parent", Levels: status.College.Bit(),
		Academies: []string{"versailles"}}
	withPlanB := college
	withPlanB.Classes = []storage.ClassRef{{ID: 1, Code: "ABCD2345", Name: "6e B", Academie: "versailles",
		PlanB: "Exercices 4 à 7 p. 112 <manuel> & fiche jointe."}}
	lycee := storage.Recipient{ChatID: 2, Levels: status.Lycee.Bit(), Academies: []string{"creteil", "paris", "versailles"}}
	long := withPlanB
	long.Classes = nil
	for i := range 5 {
		long.Classes = append(long.Classes, storage.ClassRef{ID: int64(i), Name: fmt.Sprintf("Classe %d", i),
			PlanB: strings.Repeat("Lire le chapitre & faire <tout> ", 35)})
	}
	cases := []struct {
		name string
		ev   storage.Event
		to   storage.Recipient
	}{
		{"outage, waiting room, with plan B", stateEvent("outage", "enc92", "up", "down", "waiting_room", at, time.Time{}, 0), withPlanB},
		{"outage of a shared ENT, three académies, lycée", stateEvent("outage", "monlycee", "up", "down", "timeout", at, time.Time{}, 0), lycee},
		{"outage of Lumni itself (national)", stateEvent("outage", "lumni", "up", "down", "http_status", at, time.Time{}, 0), college},
		{"outage since yesterday, no levels given", stateEvent("outage", "enc92", "unknown", "down", "connection", at.Add(-20*time.Hour), time.Time{}, 0),
			storage.Recipient{ChatID: 3, Academies: []string{"versailles"}}},
		{"outage posted to a channel", stateEvent("outage", "ent-aura", "up", "down", "tls", at, time.Time{}, 0),
			storage.Recipient{Channel: "@ent_lyon", Kind: "channel", Academies: []string{"lyon"}}},
		{"outage, five long plan Bs", stateEvent("outage", "enc92", "up", "down", "blank_page", at, time.Time{}, 0), long},
		{"degraded", stateEvent("degraded", "enc92", "up", "degraded", "slow", at, time.Time{}, 12400), college},
		{"down to degraded", stateEvent("degraded", "enc92", "down", "degraded", "slow", at.Add(2*time.Hour), at, 8000), college},
		{"recovery after 2 h 30", stateEvent("recovery", "enc92", "down", "up", "ok", at.Add(150*time.Minute), at, 0), college},
		{"recovery of slowness", stateEvent("recovery", "enc92", "degraded", "up", "ok", at.Add(45*time.Minute), at, 0), college},
		{"recovery after a day and more", stateEvent("recovery", "educonnect", "down", "up", "ok", at.Add(27*time.Hour), at, 0), college},
	}
	for _, reason := range []status.Reason{"body_mismatch", "redirect_loop", "something_new"} {
		cases = append(cases, struct {
			name string
			ev   storage.Event
			to   storage.Recipient
		}{"outage, reason " + string(reason), stateEvent("outage", "enc92", "up", "down", reason, at, time.Time{}, 0), college})
	}
	var b strings.Builder
	for _, c := range cases {
		msg, err := r.Render(context.Background(), c.ev, c.to)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkTelegram(t, c.name, msg.Text)
		fmt.Fprintf(&b, "=== %s\n%s\n\n", c.name, msg.Text)
	}
	golden(t, "render", b.String())
}

func TestRenderLeavesOutWhatIsDown(t *testing.T) {
	r := testRenderer(t)
	at := testNow
	to := storage.Recipient{ChatID: 1, Levels: status.College.Bit(), Academies: []string{"versailles"}}
	msg, err := r.Render(context.Background(), stateEvent("outage", "lumni", "up", "down", "timeout", at, time.Time{}, 0), to)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Text, "lumni.fr") {
		t.Errorf("Lumni is the service down, yet recommended:\n%s", msg.Text)
	}
	if !strings.Contains(msg.Text, "portail.apps.education.fr") {
		t.Errorf("the next alternatives did not replace Lumni:\n%s", msg.Text)
	}
	msg, _ = r.Render(context.Background(), stateEvent("outage", "enc92", "up", "down", "timeout", at, time.Time{}, 0), to)
	if !strings.HasPrefix(msg.Text[strings.Index(msg.Text, "•"):], "• <a href=\"https://www.lumni.fr/college\">") {
		t.Errorf("Lumni's level page is not first while Lumni is up:\n%s", msg.Text)
	}
}

// TestRenderPlain: the message sent again after Telegram refused the full
// one keeps the outage and drops the alternatives; the dispatcher finds the
// method through notify.PlainRenderer.
func TestRenderPlain(t *testing.T) {
	r := testRenderer(t)
	to := storage.Recipient{ChatID: 1, Levels: status.College.Bit(), Academies: []string{"versailles"}}
	ev := stateEvent("outage", "enc92", "up", "down", "timeout", testNow, time.Time{}, 0)
	full, err := r.Render(context.Background(), ev, to)
	if err != nil || !strings.Contains(full.Text, "lumni.fr") {
		t.Fatalf("the full message lacks its alternatives (%v):\n%s", err, full.Text)
	}
	plain, err := r.RenderPlain(context.Background(), ev, to)
	if err != nil {
		t.Fatal(err)
	}
	checkTelegram(t, "plain outage", plain.Text)
	if strings.Contains(plain.Text, "lumni.fr") || !strings.Contains(plain.Text, "ENC 92") {
		t.Errorf("the plain message should name the ENT and nothing to use instead:\n%s", plain.Text)
	}
}

func TestRenderPassesStoredMessages(t *testing.T) {
	r := testRenderer(t)
	for _, kind := range []status.Kind{status.KindReply, status.KindClassNotice, status.KindAnnouncement} {
		ev := storage.Event{Kind: kind, Payload: `{"text":"Bonjour <b>x</b>","params":{"reply_markup":"{}"}}`}
		msg, err := r.Render(context.Background(), ev, storage.Recipient{ChatID: 1})
		if err != nil || msg.Text != "Bonjour <b>x</b>" || msg.Params["reply_markup"] != "{}" {
			t.Errorf("%s: %+v, %v", kind, msg, err)
		}
	}
	if _, err := r.Render(context.Background(), storage.Event{Kind: "weather"}, storage.Recipient{}); err == nil {
		t.Error("an unknown kind rendered without error")
	}
}

func TestFormats(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for d, want := range map[time.Duration]string{
		150 * time.Minute: "2 h 30", 2 * time.Hour: "2 h", 45 * time.Minute: "45 min", 20 * time.Second: "moins d'une minute",
		27*time.Hour + 4*time.Minute: "1 jour 3 h", 61 * time.Minute: "1 h 01", 72 * time.Hour: "3 jours",
	} {
		if got := spaced(duration(d)); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
	if got := spaced(since(testNow, testNow, paris)); got != "7 h 45" {
		t.Errorf("since today = %q", got)
	}
	if got := spaced(since(testNow.Add(-24*time.Hour), testNow, paris)); got != "le lundi 5 avril à 7 h 45" {
		t.Errorf("since yesterday = %q", got)
	}
	for n, want := range map[int]string{0: "0", 999: "999", 3612: "3\u202f612", 1234567: "1\u202f234\u202f567", -4096: "-4\u202f096"} {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
	if got := plural(0, "membre", "membres"); got != "0 membre" {
		t.Errorf("plural(0) = %q", got)
	}
}
