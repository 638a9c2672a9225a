package notify

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// panickyRenderer panics on every message to chat 2, and on the first
// message to chat 3, with the bot's token in the panic's text.
type panickyRenderer struct {
	base testRenderer
	mu   sync.Mutex
	seen map[int64]int
}

const leakyToken = "123456789:AAFakeSecretTokenForTests_xyz"

func (r *panickyRenderer) Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	r.mu.Lock()
	r.seen[to.ChatID]++
	n := r.seen[to.ChatID]
	r.mu.Unlock()
	if to.ChatID == 2 || (to.ChatID == 3 && n == 1) {
		panic("cannot render: GET https://api.telegram.org/bot" + leakyToken + "/getMe failed")
	}
	return r.base.Render(ctx, ev, to)
}

// TestRenderPanicFailsThatDeliveryOnly: a renderer that panics on one
// recipient's message does not stop the dispatcher: the others are sent,
// a panic that does not come back costs one retry, one that always comes
// back makes that delivery dead after 3 attempts; each panic is logged
// without the token and told to OnPanic.
func TestRenderPanicFailsThatDeliveryOnly(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "gamma"), parent(2, "gamma"), parent(3, "gamma"))
	var logs bytes.Buffer // slog's handler serializes its writes; read once Run returned
	var mu sync.Mutex
	panics := map[string]int{}
	opt := fastOptions(s, cat, f)
	opt.Renderer = &panickyRenderer{base: testRenderer{cat}, seen: map[int64]int{}}
	opt.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opt.OnPanic = func(where string) {
		mu.Lock()
		panics[where]++
		mu.Unlock()
	}
	d, stop := start(t, opt)
	rows := announce(t, s, d, status.KindOutage, "ent-ecoles", "up", "down", april6)
	stop()

	got := map[int64]storagetest.Delivery{}
	for _, r := range rows {
		got[r.ChatID] = r
	}
	for chat, want := range map[int64]struct {
		state    string
		attempts int
	}{1: {"sent", 1}, 2: {"dead", 3}, 3: {"sent", 2}} {
		if r := got[chat]; r.State != want.state || r.Attempts != want.attempts {
			t.Errorf("chat %d: %s after %d attempts, want %s after %d", chat, r.State, r.Attempts, want.state, want.attempts)
		}
	}
	if sent := f.chats(); len(sent) != 2 || sent[0] != 1 || sent[1] != 3 {
		t.Errorf("sent to %v, want chats 1 and 3", sent)
	}
	mu.Lock()
	if panics["render"] != 4 || len(panics) != 1 {
		t.Errorf("OnPanic told %v, want render 4 times (3 for chat 2, 1 for chat 3)", panics)
	}
	mu.Unlock()
	out := logs.String()
	if strings.Contains(out, "AAFakeSecretTokenForTests") {
		t.Error("the token is in the logs")
	}
	if !strings.Contains(out, "renderer panicked") {
		t.Errorf("no log line about the panic in %q", out)
	}
	if st := d.Stats(); st.Dead != 1 {
		t.Errorf("stats count %d dead, want 1", st.Dead)
	}
}
