package notify

import (
	"fmt"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/telegram/telegramtest"
)

// TestPacingSurvivesLatency sends through the real client to a fake
// Telegram whose requests take a random time to arrive (and their answers
// to come back), as on a loaded machine or a slow network: a request
// handed over first may reach Telegram late, and the next one, handed over
// on time, early. The limits hold as Telegram counts them, at arrival: no
// 429.
func TestPacingSurvivesLatency(t *testing.T) {
	t.Run("one chat's messages", func(t *testing.T) {
		// 10 chats, 3 replies each: every second reply may follow the
		// first by no less than a second as the fake sees them.
		const chats, each = 10, 3
		s, cat := openStore(t), testCatalog(t)
		srv := telegramtest.NewServer(t, telegramtest.WithLimits(telegramtest.Limits{PerChat: 1}),
			telegramtest.WithLatency(400*time.Millisecond, 50*time.Millisecond))
		addPeople(t, s, parents(chats, "gamma")...)
		opt := fastOptions(s, cat, newClient(t, srv, false))
		opt.PrivateInterval, opt.GroupInterval = time.Second, time.Second
		d, _ := start(t, opt)
		for i := range each {
			for c := range chats {
				reply(t, s, fmt.Sprintf("reply:%d:%d", c+1, i), int64(c+1), fmt.Sprintf("réponse %d", i))
			}
		}
		d.Wake()
		srv.WaitSent(t, chats*each, time.Minute)
		no429s(t, srv)
	})
	t.Run("the global rate", func(t *testing.T) {
		// 300 parents at 100/s: any second as the fake counts holds at
		// most 100, however the requests were delayed on their way.
		const n, limit = 300, 100
		s, cat := openStore(t), testCatalog(t)
		srv := telegramtest.NewServer(t, telegramtest.WithLimits(telegramtest.Limits{Global: limit}),
			telegramtest.WithLatency(500*time.Millisecond, 20*time.Millisecond))
		addPeople(t, s, crowd(n)...)
		opt := fastOptions(s, cat, newClient(t, srv, false))
		opt.RateLimit = limit
		opt.BatchSize, opt.Workers = limit, limit // enough in flight for the rate despite the latency
		d, _ := start(t, opt)
		serviceEvent(t, s, status.KindOutage, "ent-ecoles", "up", "down", april6)
		d.Wake()
		srv.WaitSent(t, n, time.Minute)
		no429s(t, srv)
		if got := srv.Busiest(time.Second); got > limit {
			t.Errorf("%d messages reached the fake within one second, over the rate limit of %d", got, limit)
		}
	})
}

// no429s fails the test if the fake answered 429, saying to which
// chat and how long after the previous accepted send to it.
func no429s(t *testing.T, srv *telegramtest.Server) {
	t.Helper()
	n := srv.Count429()
	if n == 0 {
		return
	}
	last := map[string]time.Time{}
	for _, q := range srv.Requests() {
		chat := q.Params.Get("chat_id")
		switch q.Status {
		case 429:
			gap := "its first"
			if prev, ok := last[chat]; ok {
				gap = q.At.Sub(prev).Round(time.Millisecond).String() + " after the last accepted one"
			}
			t.Logf("429 to chat %s: %s", chat, gap)
		case 200:
			last[chat] = q.At
		}
	}
	t.Errorf("the fake Telegram answered 429 %d times, want none", n)
}
