package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"sentinelle/internal/logtest"
	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// TestCrashMidFanOut builds the real binary, lets it start announcing an
// outage to 2,000 parents, kills it with SIGKILL in the middle, starts it
// again and counts what the fake Bot API received: nobody is missed, and
// duplicates stay within the batch that was in flight.
func TestCrashMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary: skipped with -short")
	}
	const recipients, rate = 2000, 400
	batch := rate / 5 // notify's default batch: a fifth of a second of sending
	dir := t.TempDir()
	f := newFanOut(t, dir, recipients, rate)
	tg, ent, dbPath := f.tg, f.ent, f.dbPath
	start := func() (*exec.Cmd, *logtest.Buffer) {
		cmd := exec.Command(f.bin)
		cmd.Dir, cmd.Env = dir, f.env
		logs := &logtest.Buffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, logs
	}

	first, logs := start()
	failOnceSeenUp(t, dbPath, ent)
	waitUntil(t, "≈ 700 messages before the kill", 60*time.Second, func() bool { return len(tg.Sent()) >= 700 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := len(tg.Sent())
	if atKill >= recipients {
		t.Fatalf("the fan-out was over (%d sent) before the kill: the test proves nothing", atKill)
	}

	second, logs2 := start()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	}()
	got := map[int64]int{}
	waitUntil(t, "every parent to be told", 60*time.Second, func() bool {
		clear(got)
		for _, m := range tg.Sent() {
			got[m.ChatID]++
		}
		return len(got) >= recipients
	})
	time.Sleep(time.Second) // anything still to come would be a duplicate
	clear(got)
	total := 0
	for _, m := range tg.Sent() {
		got[m.ChatID]++
		total++
	}
	dups := total - len(got)
	t.Logf("killed after %d messages; %d messages in all to %d chats; %d duplicates (bound %d)", atKill, total, len(got), dups, batch)
	for id := int64(1); id <= recipients; id++ {
		if got[id] == 0 {
			t.Fatalf("parent %d was never told; first run:\n%s\nsecond run:\n%s", id, logs.String(), logs2.String())
		}
	}
	if dups > batch {
		t.Fatalf("%d duplicates, want at most one batch (%d)", dups, batch)
	}
}

// fanOut is what the fan-out tests run the built binary in dir against:
// a fake Bot API with Telegram's flood limits, ENT Alpha, and a database
// of parents subscribed to alpha.
type fanOut struct {
	bin, dbPath string
	tg          *telegramtest.Server
	ent         *switchableENT
	// env runs the binary against them, an outage confirmed in one round
	// a second, sending as paid broadcasts at the given rate.
	env []string
}

func newFanOut(t *testing.T, dir string, parents, rate int) *fanOut {
	t.Helper()
	f := &fanOut{bin: filepath.Join(dir, "sentinelle"), dbPath: filepath.Join(dir, "s.db")}
	buildBinary(t, f.bin)
	f.tg = telegramtest.NewServer(t, telegramtest.WithLimits(telegramtest.Limits{Global: 1000, PerChat: 1, PerGroup: 20}),
		telegramtest.WithPollWait(200*time.Millisecond))
	f.ent = newSwitchableENT(t)
	catalogFile := writeAlphaCatalog(t, dir, f.ent.srv.URL)
	seedParents(t, f.dbPath, parents)
	f.env = writeEnv(os.Environ(), "TELEGRAM_BOT_TOKEN", f.tg.Token(), "TELEGRAM_API_URL", f.tg.URL(),
		"DATABASE_PATH", f.dbPath, "CATALOG_FILE", catalogFile, "HTTP_ADDR", "127.0.0.1:0",
		"CHECK_SCHEDULE", "@every 1s", "CHECK_TIMEOUT", "2s", "CANARY_URLS", "", "QUIET_HOURS", "", "DOWN_AFTER", "1",
		"TELEGRAM_PAID_BROADCAST", "true", "TELEGRAM_RATE_LIMIT", strconv.Itoa(rate))
	return f
}

// alphaAcademy is the académie of the test catalogs, alpha, whose one ENT
// is ent-alpha.
const alphaAcademy = `academies:
  - slug: alpha
    code: "01"
    name: "Alpha"
    region: "Région Une"
    zone: "A"
    services: [ent-alpha]
`

// writeAlphaCatalog writes a catalog of one académie, alpha, whose one ENT
// answers at url, and returns its path.
func writeAlphaCatalog(t *testing.T, dir, url string) string {
	t.Helper()
	path := filepath.Join(dir, "catalog.yaml")
	writeFile(t, path, fmt.Sprintf(`services:
  - id: ent-alpha
    name: "ENT Alpha"
    url: %q
    levels: [college, lycee]
`, url)+alphaAcademy)
	return path
}

// failOnceSeenUp waits until the service has seen ENT Alpha up, then makes
// it answer 502: a portal never seen up is a catalog problem and announces
// nothing, so an outage needs the portal to have worked first.
func failOnceSeenUp(t *testing.T, dbPath string, ent *switchableENT) {
	t.Helper()
	db := openDB(t, dbPath)
	waitUntil(t, "ENT Alpha seen up", 30*time.Second, func() bool {
		var seen string
		err := db.QueryRow(`SELECT seen_url FROM service_states WHERE service_id = 'ent-alpha'`).Scan(&seen)
		return err == nil && seen != ""
	})
	ent.mode.Store("502")
}

// seedParents creates the database and subscribes n parents to alpha.
func seedParents(t *testing.T, path string, n int) {
	t.Helper()
	st, err := storage.Open(context.Background(), path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seedParentsIn(t, st, n)
}

// seedParentsIn subscribes parents 1..n to alpha in st.
func seedParentsIn(t *testing.T, st *storage.Store, n int) {
	t.Helper()
	ctx := context.Background()
	err := st.Update(ctx, func(tx *storage.Tx) error {
		for id := int64(1); id <= int64(n); id++ {
			c := storage.NewChat(id)
			c.Role = "parent"
			if err := tx.CreateOrUpdateChat(ctx, c); err != nil {
				return err
			}
			if err := tx.Subscribe(ctx, id, "alpha"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
