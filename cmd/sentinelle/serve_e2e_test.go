package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/internal/logtest"
	"sentinelle/telegram/telegramtest"
)

// switchableENT is a fake portal whose answer a test changes: "ok" (a
// login page), "quota" (the 2021 quota page with HTTP 200) or "502".
type switchableENT struct {
	srv  *httptest.Server
	mode atomic.Value
}

func newSwitchableENT(t *testing.T) *switchableENT {
	e := &switchableENT{}
	e.mode.Store("ok")
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch e.mode.Load().(string) {
		case "quota":
			fmt.Fprint(w, `<html><body><p>À situation exceptionnelle, mesures exceptionnelles... Quand le nombre d'utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour.</p></body></html>`)
		case "502":
			http.Error(w, "Bad Gateway", http.StatusBadGateway)
		default:
			fmt.Fprint(w, `<html><body><form method="post"><label>Identifiant</label><input name="username"><input type="password" name="password"><button>Se connecter</button></form></body></html>`)
		}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// startService runs the real service (run with no subcommand) and returns
// its HTTP address, a cancel function and the channel of its exit code.
func startService(t *testing.T, env map[string]string) (string, context.CancelFunc, <-chan int, *logtest.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var logs logtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"sentinelle"}, envOf(env), io.Discard, &logs) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := addrPattern.FindStringSubmatch(logs.String()); m != nil {
			return m[1], cancel, done, &logs
		}
		select {
		case code := <-done:
			t.Fatalf("service exited with %d: %s", code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("no listening address logged: %s", logs.String())
	return "", nil, nil, nil
}

// stopService cancels a service started like startService and fails
// unless it exits with 0 within limit.
func stopService(t *testing.T, cancel context.CancelFunc, done <-chan int, limit time.Duration, logs *logtest.Buffer) {
	t.Helper()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after cancel: %s", code, logs.String())
		}
	case <-time.After(limit):
		t.Fatalf("service did not stop within %v of cancellation", limit)
	}
}

// TestServeEndToEnd wires everything as a deployment would: a parent
// subscribes through the fake Bot API, the ENT shows its quota page, the
// parent gets one outage message and the status API shows the outage; the
// ENT comes back and the parent gets one recovery message.
func TestServeEndToEnd(t *testing.T) {
	tg := telegramtest.NewServer(t, telegramtest.WithPollWait(200*time.Millisecond))
	ent := newSwitchableENT(t)
	lumni := newSwitchableENT(t)
	dir := t.TempDir()
	catalogFile := filepath.Join(dir, "catalog.yaml")
	yaml := fmt.Sprintf(`waiting_room_markers:
  - "patienter pour y accéder à votre tour"
alternatives:
  lycee:
    - name: "Lumni lycée"
      url: "https://www.lumni.fr/lycee"
      service: lumni
services:
  - id: ent-alpha
    name: "ENT Alpha"
    url: %q
    levels: [college, lycee]
  - id: lumni
    name: "Lumni"
    url: %q
    levels: [primaire, college, lycee]
    national: true
`, ent.srv.URL, lumni.srv.URL) + alphaAcademy
	writeFile(t, catalogFile, yaml)
	addr, cancel, done, logs := startService(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(),
		"HTTP_ADDR": "127.0.0.1:0", "DATABASE_PATH": filepath.Join(dir, "s.db"), "CATALOG_FILE": catalogFile,
		"CHECK_SCHEDULE": "@every 1s", "CHECK_TIMEOUT": "2s", "CANARY_URLS": "", "QUIET_HOURS": "",
		"DOWN_AFTER": "2", "UP_AFTER": "2",
	})
	defer cancel()

	parent := telegramtest.Chat{ID: 4242, Type: "private"}
	tg.SendText(parent, telegramtest.User{ID: 4242, FirstName: "Ana", LanguageCode: "fr"}, "/abonner alpha")
	waitFor(t, "the subscription reply", func() bool { return len(tg.SentTo(parent.ID)) >= 1 }, logs)
	before := len(tg.SentTo(parent.ID))

	ent.mode.Store("quota")
	waitFor(t, "the outage message", func() bool { return hasText(tg.SentTo(parent.ID)[before:], "ENT Alpha") }, logs)
	status := getStatus(t, addr)
	if !strings.Contains(status, `"state":"down"`) || !strings.Contains(status, `"reason":"waiting_room"`) {
		t.Errorf("/api/status during the outage: %s", status)
	}

	metrics := getBody(t, "http://"+addr+"/metrics")
	for _, want := range []string{`sentinelle_outbox_rows{lane="bulk",table="deliveries"} 1`, `sentinelle_panics_total{where="update"} 0`, "\nsentinelle_leader 1\n"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics during the outage lacks %s", want)
		}
	}

	ent.mode.Store("ok")
	waitFor(t, "the recovery message", func() bool { return hasText(tg.SentTo(parent.ID)[before:], " rétabli ") }, logs)
	time.Sleep(2500 * time.Millisecond) // two more rounds: nothing else must be sent
	msgs := tg.SentTo(parent.ID)[before:]
	if len(msgs) != 2 {
		var texts []string
		for _, m := range msgs {
			texts = append(texts, m.Visible)
		}
		t.Fatalf("after subscribing the parent got %d messages, want exactly an outage and a recovery: %q", len(msgs), texts)
	}
	if tg.Count429() != 0 {
		t.Errorf("the service provoked %d × 429", tg.Count429())
	}
	stopService(t, cancel, done, 20*time.Second, logs)
	if strings.Contains(logs.String(), tg.Token()) {
		t.Fatal("the logs contain the bot token")
	}
}

func waitFor(t *testing.T, what string, cond func() bool, logs *logtest.Buffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; logs:\n%s", what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func hasText(msgs []telegramtest.Message, s string) bool { return countContaining(msgs, s) > 0 }

func countContaining(msgs []telegramtest.Message, s string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(spaced(m.Visible), s) {
			n++
		}
	}
	return n
}

func getStatus(t *testing.T, addr string) string {
	t.Helper()
	b := getBody(t, "http://"+addr+"/api/status")
	if !json.Valid([]byte(b)) {
		t.Fatalf("/api/status is not JSON: %s", b)
	}
	return b
}
