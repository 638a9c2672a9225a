package telegram

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/telegram/telegramtest"
)

var (
	famille = telegramtest.Chat{ID: 301, Type: "private"}
	parent  = telegramtest.User{ID: 301, FirstName: "Inès", LanguageCode: "fr"}
)

// poller runs Poll in the background and collects what it hands over.
type poller struct {
	mu      sync.Mutex
	batches [][]int
	done    chan error
	cancel  context.CancelFunc
}

func startPoll(t *testing.T, c *Client, offset int, fail func(batch int) error) *poller {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller{done: make(chan error, 1), cancel: cancel}
	go func() {
		p.done <- c.Poll(ctx, offset, func(_ context.Context, ups []tgbotapi.Update) error {
			ids := make([]int, len(ups))
			for i, u := range ups {
				ids[i] = u.UpdateID
			}
			p.mu.Lock()
			p.batches = append(p.batches, ids)
			n := len(p.batches)
			p.mu.Unlock()
			if fail != nil {
				return fail(n)
			}
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	return p
}

func (p *poller) seen() [][]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]int(nil), p.batches...)
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func flatten(batches [][]int) []int {
	var out []int
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

func TestPollDeliversInOrderAndConfirms(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	first := srv.SendText(famille, parent, "/start acad_lyon")
	p := startPoll(t, c, 0, nil)
	var want []int
	want = append(want, first)
	for _, text := range []string{"/statut", "/aide", "merci"} {
		want = append(want, srv.SendText(famille, parent, text))
	}
	eventually(t, "4 updates", func() bool { return len(flatten(p.seen())) >= 4 })
	if got := flatten(p.seen()); len(got) != 4 || got[0] != want[0] || got[3] != want[3] ||
		got[1] <= got[0] || got[2] <= got[1] || got[3] <= got[2] {
		t.Fatalf("delivered %v, want %v in order, each once", got, want)
	}
	// The last batch is confirmed by the next poll.
	eventually(t, "confirmation", func() bool { return srv.Pending() == 0 })
	p.cancel()
	if err := <-p.done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Poll returned %v, want context.Canceled", err)
	}
	p.done <- nil // for the cleanup
	if n := len(srv.RequestsFor("deleteWebhook")); n != 1 {
		t.Fatalf("deleteWebhook called %d times, want once at start", n)
	}
	for _, r := range srv.RequestsFor("getUpdates") {
		if r.Params.Get("limit") != "100" || r.Params.Get("timeout") != "1" ||
			r.Params.Get("allowed_updates") != `["message","callback_query","my_chat_member"]` {
			t.Fatalf("getUpdates params = %v", r.Params)
		}
	}
}

func TestPollStartsFromStoredOffset(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	old := srv.SendText(famille, parent, "/start")
	fresh := srv.SendText(famille, parent, "/statut")
	p := startPoll(t, c, old+1, nil)
	eventually(t, "the fresh update", func() bool { return len(p.seen()) > 0 })
	if got := flatten(p.seen()); len(got) != 1 || got[0] != fresh {
		t.Fatalf("delivered %v, want only %d (%d was handled before the restart)", got, fresh, old)
	}
}

func TestPollRedeliversAfterHandlerError(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, logs := newTestClient(t, srv)
	id := srv.SendText(famille, parent, "/abonner")
	p := startPoll(t, c, 0, func(n int) error {
		if n <= 2 {
			return errors.New("database is locked")
		}
		return nil
	})
	eventually(t, "three attempts", func() bool { return len(p.seen()) >= 3 })
	for i, b := range p.seen()[:3] {
		if len(b) != 1 || b[0] != id {
			t.Fatalf("attempt %d got %v, want the same update %d", i+1, b, id)
		}
	}
	eventually(t, "confirmation after success", func() bool { return srv.Pending() == 0 })
	if !strings.Contains(logs.String(), "the same updates will be fetched again") {
		t.Fatalf("handler failure not logged:\n%s", logs)
	}
}

func TestPollConflictIsSaidClearly(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a, logsA := newTestClient(t, srv)
	b, logsB := newTestClient(t, srv)
	startPoll(t, a, 0, nil)
	startPoll(t, b, 0, nil)
	const said = "another instance is polling with this token"
	eventually(t, "a conflict logged", func() bool {
		return strings.Contains(logsA.String(), said) || strings.Contains(logsB.String(), said)
	})
	if n := len(srv.RequestsFor("getUpdates")); n > 2000 {
		t.Fatalf("%d getUpdates: the pollers are not backing off", n)
	}
}

func TestPollStopsWhenTokenRevoked(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, logs := newTestClient(t, srv)
	srv.FailMethod("getUpdates", 1, 401)
	err := c.Poll(context.Background(), 0, func(context.Context, []tgbotapi.Update) error { return nil })
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassUnauthorized {
		t.Fatalf("Poll = %v, want an unauthorized *Error", err)
	}
	if !strings.Contains(logs.String(), "polling stops") {
		t.Fatalf("revoked token not logged:\n%s", logs)
	}
}

func TestPollBacksOffOnErrors(t *testing.T) {
	srv := telegramtest.NewServer(t)
	c, _ := newTestClient(t, srv)
	c.backoff = backoff{min: time.Second, max: 4 * time.Second}
	var mu sync.Mutex
	var delays []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		delays = append(delays, d)
		mu.Unlock()
		return ctx.Err() == nil
	}
	srv.FailMethod("getUpdates", 4, 502)
	srv.FailMethod("getUpdates", 1, 429)
	id := srv.SendText(famille, parent, "/statut")
	p := startPoll(t, c, 0, nil)
	eventually(t, "the update after the errors", func() bool { return len(p.seen()) > 0 })
	if got := flatten(p.seen()); got[0] != id {
		t.Fatalf("delivered %v, want %d", got, id)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delays) != 5 {
		t.Fatalf("slept %d times (%v), want 5", len(delays), delays)
	}
	bounds := [][2]time.Duration{{500 * time.Millisecond, time.Second}, {time.Second, 2 * time.Second},
		{2 * time.Second, 4 * time.Second}, {2 * time.Second, 4 * time.Second}, {2 * time.Second, 4 * time.Second}}
	for i, d := range delays {
		if d < bounds[i][0] || d > bounds[i][1] {
			t.Errorf("delay %d = %v, want within %v", i+1, d, bounds[i])
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: time.Second, max: 30 * time.Second}
	wantMax := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range wantMax {
		w *= time.Second
		if d := b.next(); d < w/2 || d > w {
			t.Fatalf("attempt %d: %v, want within [%v, %v]", i+1, d, w/2, w)
		}
	}
	b.reset()
	if d := b.next(); d > time.Second {
		t.Fatalf("after reset: %v, want ≤ 1s", d)
	}
}

func TestSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		if !sleep(context.Background(), 30*time.Second) || time.Since(start) != 30*time.Second {
			t.Fatalf("sleep(30s) returned after %v", time.Since(start))
		}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Second, cancel)
		start = time.Now()
		if sleep(ctx, time.Hour) || time.Since(start) != time.Second {
			t.Fatalf("cancelled sleep returned after %v", time.Since(start))
		}
	})
}
