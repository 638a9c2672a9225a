package notify

import (
	"context"
	"strings"
	"testing"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram/telegramtest"
)

// breakingRenderer writes what a renderer with a bug would: a class's plan
// B copied without escaping, and for chat 2 a tag left open whatever the
// message holds.
type breakingRenderer struct{ base testRenderer }

func (r breakingRenderer) Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	msg, err := r.base.Render(ctx, ev, storage.Recipient{ChatID: to.ChatID, Academies: to.Academies})
	for _, c := range to.Classes {
		if c.PlanB != "" {
			msg.Text += "\n\n📌 Plan B : " + c.PlanB
		}
	}
	if to.ChatID == 2 {
		msg.Text += " <b"
	}
	return msg, err
}

// TestParseErrorFailsThatDeliveryOnly: Telegram refuses the outage message
// of a pupil whose class's plan B broke the HTML, and every message to
// chat 2. The pupil gets the message again without the plan B; chat 2's
// delivery alone is dead, counted; the others are sent and the event
// lives on.
func TestParseErrorFailsThatDeliveryOnly(t *testing.T) {
	ctx := context.Background()
	s, cat := openStore(t), testCatalog(t)
	srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"), parent(3, "alpha"), parent(10, "alpha"))
	class, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Class, error) {
		return tx.CreateClass(ctx, storage.NewClass{Code: "4B", Name: "4e B", Academie: "alpha", OwnerChatID: 10,
			PlanB: "Exercices 3 < 5 du manuel"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *storage.Tx) error { return tx.JoinClass(ctx, class.ID, 1) }); err != nil {
		t.Fatal(err)
	}
	opt := fastOptions(s, cat, newClient(t, srv, false))
	opt.Renderer = breakingRenderer{base: testRenderer{cat}}
	d, _ := start(t, opt)
	ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	rows := statesByChat(waitSettled(t, s, ev))

	want := map[int64]string{1: "sent", 2: "dead", 3: "sent", 10: "sent"}
	for chat, state := range want {
		if rows[chat] != state {
			t.Errorf("chat %d: row %q, want %q (rows %v)", chat, rows[chat], state, rows)
		}
	}
	if e, _ := s.Event(ctx, ev); e.State == "dead" {
		t.Errorf("event dead (%s): one refused message killed it for everyone", e.DeadReason)
	}
	if got := srv.SentTo(1); len(got) != 1 || strings.Contains(got[0].Text, "Plan B") {
		t.Errorf("chat 1 received %+v, want the outage once, without the plan B that broke it", got)
	}
	if st := d.Stats(); st.Dead != 1 {
		t.Errorf("stats count %d dead, want 1", st.Dead)
	}
	tries := 0
	for _, r := range srv.Requests() {
		if r.Params.Get("chat_id") == "2" {
			tries++
		}
	}
	if tries != 2 {
		t.Errorf("%d sends to chat 2, want 2: once in full, once plain", tries)
	}
}
