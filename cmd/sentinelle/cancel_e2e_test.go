package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/telegram/telegramtest"
)

// TestRecoveryCancelsQueuedOutage runs the service with 300 parents and a
// slow send rate, so that the ENT is back while most outage messages are
// still queued: those are never sent, those who heard of the outage get
// exactly one recovery message, and the others get nothing at all.
func TestRecoveryCancelsQueuedOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the service for about 10 s: skipped with -short")
	}
	const parents = 300
	tg := telegramtest.NewServer(t, telegramtest.WithPollWait(200*time.Millisecond))
	ent := newSwitchableENT(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "s.db")
	seedParents(t, dbPath, parents)
	_, cancel, done, logs := startService(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(),
		"HTTP_ADDR": "127.0.0.1:0", "DATABASE_PATH": dbPath, "CATALOG_FILE": writeAlphaCatalog(t, dir, ent.srv.URL),
		"CHECK_SCHEDULE": "@every 1s", "CHECK_TIMEOUT": "2s", "CANARY_URLS": "", "QUIET_HOURS": "",
		"DOWN_AFTER": "1", "UP_AFTER": "2", "TELEGRAM_RATE_LIMIT": "20",
	})
	defer cancel()

	// A portal never seen up is not announced: fail once the service saw it.
	failOnceSeenUp(t, dbPath, ent)
	waitFor(t, "the first outage messages", func() bool { return len(tg.Sent()) >= 10 }, logs)
	ent.mode.Store("ok")
	waitFor(t, "the recovery to be sent to those who heard the outage", func() bool {
		return countContaining(tg.Sent(), " rétabli ") > 0 && countContaining(tg.Sent(), " rétabli ") == countContaining(tg.Sent(), "Panne")
	}, logs)
	time.Sleep(3 * time.Second) // nothing more may come: no late outage, no extra recovery

	outage, recovery := map[int64]int{}, map[int64]int{}
	for _, m := range tg.Sent() {
		switch {
		case strings.Contains(m.Visible, "Panne"):
			outage[m.ChatID]++
		case strings.Contains(spaced(m.Visible), " rétabli "):
			recovery[m.ChatID]++
		default:
			t.Errorf("unexpected message to %d: %q", m.ChatID, m.Visible)
		}
	}
	t.Logf("%d of %d parents heard the outage before the ENT was back; %d recovery messages", len(outage), parents, len(recovery))
	if len(outage) == 0 || len(outage) >= parents {
		t.Fatalf("%d parents got the outage: the test needs the recovery to come while some are still queued", len(outage))
	}
	for id := int64(1); id <= parents; id++ {
		switch {
		case outage[id] > 1 || recovery[id] > 1:
			t.Errorf("parent %d got %d outage and %d recovery messages, want at most one each", id, outage[id], recovery[id])
		case outage[id] == 1 && recovery[id] != 1:
			t.Errorf("parent %d heard the outage but not the recovery", id)
		case outage[id] == 0 && recovery[id] != 0:
			t.Errorf("parent %d got a recovery for an outage they never heard of", id)
		}
	}
	if n := tg.Count429(); n != 0 {
		t.Errorf("%d × 429", n)
	}
	stopService(t, cancel, done, 20*time.Second, logs)
}
