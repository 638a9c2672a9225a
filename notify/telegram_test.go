package notify

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// tgSender is the real client with the one method notify wants beyond it:
// posting to a channel by its @name. It shows what telegram.Client needs for
// académie channels (see ChannelSender).
type tgSender struct{ *telegram.Client }

func (s tgSender) SendToChannel(ctx context.Context, channel, text string, params map[string]string) (int64, error) {
	p := map[string]string{"parse_mode": "HTML", "link_preview_options": `{"is_disabled":true}`}
	maps.Copy(p, params)
	p["chat_id"], p["text"] = channel, text
	raw, err := s.Call(ctx, "sendMessage", p)
	if err != nil {
		return 0, err
	}
	var m struct {
		MessageID int64 `json:"message_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, err
	}
	return m.MessageID, nil
}

// newClient connects the real client to the fake server.
func newClient(t testing.TB, srv *telegramtest.Server, paid bool) tgSender {
	t.Helper()
	c, err := newBotClient(srv.URL(), srv.Token(), paid)
	if err != nil {
		t.Fatalf("bot client: %v", err)
	}
	return tgSender{c}
}

func newBotClient(api, token string, paid bool) (*telegram.Client, error) {
	return telegram.NewClient(context.Background(), telegram.ClientOptions{
		Token: token, APIURL: api, PaidBroadcast: paid, RequestTimeout: 10 * time.Second,
	})
}

// TestTelegramFailures runs one outage through the real client against the
// fake Bot API with a blocked user, a deleted account, a group that became
// a supergroup, two 502 answers and a dropped connection; everyone who can
// be reached is reached once.
func TestTelegramFailures(t *testing.T) {
	ctx := context.Background()
	s, cat := openStore(t), testCatalog(t)
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"), parent(3, "alpha"), parent(4, "alpha"),
		person{id: -100, role: "enseignant", outage: true, recovery: true, academies: []string{"alpha"}})
	srv.Block(2)
	srv.Forget(3)
	srv.Migrate(-100, -1009)
	srv.FailNext(2, http.StatusBadGateway)
	srv.DropNext(1) // the third send loses its connection: a network error
	opt := fastOptions(s, cat, newClient(t, srv, false))
	opt.Quiet = func(time.Time, *time.Location) bool { return true }
	d, _ := start(t, opt)
	rows := announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)

	for chat, want := range map[int64]int{1: 1, 2: 0, 3: 0, 4: 1, -100: 0, -1009: 1} {
		if got := len(srv.SentTo(chat)); got != want {
			t.Errorf("chat %d received %d messages, want %d", chat, got, want)
		}
	}
	posts := 0
	for _, m := range srv.Sent() {
		if m.ChatUsername == "@ent_alpha" {
			posts++
		}
		if !m.DisableNotification {
			t.Errorf("message to %d sent with a sound during quiet hours", m.ChatID)
		}
		if !m.LinkPreviewDisabled || m.ParseMode != "HTML" {
			t.Errorf("message to %d: preview disabled %v, parse mode %q", m.ChatID, m.LinkPreviewDisabled, m.ParseMode)
		}
	}
	if posts != 1 {
		t.Errorf("%d posts to @ent_alpha, want 1", posts)
	}
	st := statesByChat(rows)
	for chat, want := range map[int64]string{1: "sent", 2: "undeliverable", 3: "undeliverable", 4: "sent", -1009: "sent"} {
		if st[chat] != want {
			t.Errorf("row of chat %d is %q, want %q", chat, st[chat], want)
		}
	}
	for _, id := range []int64{2, 3} {
		if c, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Chat, error) { return tx.Chat(ctx, id) }); err != nil || c.Active {
			t.Errorf("chat %d still active (err %v)", id, err)
		}
	}
	if got := d.Stats(); got.Retried != 3 || got.Migrated != 1 || got.Undeliverable != 2 {
		t.Errorf("stats %+v, want 3 retried, 1 migrated, 2 undeliverable", got)
	}
}

// TestTelegram429PausesAndIsNotAnAttempt: after a 429 with retry_after 1,
// no send request at all reaches Telegram for a second, and the refused
// message is delivered without its attempt being counted.
func TestTelegram429PausesAndIsNotAnAttempt(t *testing.T) {
	s, cat := openStore(t), testCatalog(t)
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	addPeople(t, s, parents(10, "gamma")...)
	srv.FailNext(1, http.StatusTooManyRequests)
	opt := fastOptions(s, cat, newClient(t, srv, false))
	opt.Workers = 1
	d, _ := start(t, opt)
	rows := announce(t, s, d, status.KindOutage, "ent-ecoles", "up", "down", april6)
	reqs := srv.RequestsFor("sendMessage")
	if len(reqs) != 11 || reqs[0].Status != http.StatusTooManyRequests {
		t.Fatalf("%d send requests, first answered %d; want 11, the first a 429", len(reqs), reqs[0].Status)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
		t.Errorf("next send %v after the 429, want ≥ retry_after (1 s)", gap)
	}
	for _, r := range rows {
		if r.State != "sent" || r.Attempts != 1 {
			t.Errorf("row %+v, want sent at the first counted attempt", r)
		}
	}
}

// TestTelegramRefusesBrokenHTML: a notice whose HTML Telegram cannot parse
// kills its event; nothing is retried.
func TestTelegramRefusesBrokenHTML(t *testing.T) {
	s, cat := openStore(t), testCatalog(t)
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"), parent(3, "beta"))
	d, _ := start(t, fastOptions(s, cat, newClient(t, srv, false)))
	id := insertEvent(t, s, storage.NewEvent{DedupKey: "broken", Kind: status.KindAnnouncement,
		Priority: storage.PriorityNotice, Audience: status.AudienceAll(), Payload: `{"text":"<b>Rentrée <i>lundi</b>"}`})
	d.Wake()
	wantDead(t, s, id, "parse") // Telegram's reason
	if n := len(srv.RequestsFor("sendMessage")); n > 3 {
		t.Errorf("%d send requests for 3 recipients: a parse error must not be retried", n)
	}
}
