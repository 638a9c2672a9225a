package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/internal/logtest"
	"sentinelle/telegram/telegramtest"
)

// instance is one service started by startService.
type instance struct {
	name   string
	addr   string
	cancel context.CancelFunc
	done   <-chan int
	logs   *logtest.Buffer
}

// TestTwoInstancesOnePostgres runs two real services on one PostgreSQL
// database, as two places would: both answer /healthz; exactly one is
// the leader (/readyz, /metrics) and answers the bot, the other follows
// and never polls Telegram; the leader stops (SIGTERM's path) and the
// other leads within LEADER_LEASE, and answers the bot.
func TestTwoInstancesOnePostgres(t *testing.T) {
	tg := telegramtest.NewServer(t, telegramtest.WithPollWait(200*time.Millisecond))
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "unused.db")
	const lease = 3 * time.Second
	base := map[string]string{
		"DATABASE_URL": pg.Database(t), "DATABASE_PATH": dbPath, "LEADER_LEASE": lease.String(),
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(), "HTTP_ADDR": "127.0.0.1:0",
		"CATALOG_FILE":   writeAlphaCatalog(t, dir, newSwitchableENT(t).srv.URL),
		"CHECK_SCHEDULE": "@every 1s", "CHECK_TIMEOUT": "2s", "CANARY_URLS": "", "QUIET_HOURS": "",
	}
	var all []*instance
	for _, name := range []string{"paris-1", "lyon-1"} {
		env := map[string]string{"VANTAGE": name}
		for k, v := range base {
			env[k] = v
		}
		in := &instance{name: name}
		in.addr, in.cancel, in.done, in.logs = startService(t, env)
		defer in.cancel()
		all = append(all, in)
	}
	for _, in := range all {
		if code, _ := httpGet(t, "http://"+in.addr+"/healthz"); code != http.StatusOK {
			t.Errorf("%s: /healthz %d, want 200", in.name, code)
		}
	}

	lead, follow := leaderOf(t, all, 2*lease)
	for _, c := range []struct {
		in   *instance
		want string
	}{{lead, "\nsentinelle_leader 1\n"}, {follow, "\nsentinelle_leader 0\n"}} {
		if _, body := httpGet(t, "http://"+c.in.addr+"/metrics"); !strings.Contains(body, c.want) {
			t.Errorf("%s's /metrics lacks %q", c.in.name, strings.TrimSpace(c.want))
		}
	}
	parent := telegramtest.Chat{ID: 4242, Type: "private"}
	from := telegramtest.User{ID: 4242, FirstName: "Ana", LanguageCode: "fr"}
	tg.SendText(parent, from, "/aide")
	waitFor(t, "the leader's answer", func() bool { return len(tg.SentTo(parent.ID)) == 1 }, lead.logs)
	for _, r := range tg.RequestsFor("getUpdates") {
		if r.Status == http.StatusConflict {
			t.Fatalf("two instances polled Telegram at once (409); leader %s:\n%s\nfollower %s:\n%s",
				lead.name, lead.logs, follow.name, follow.logs)
		}
	}

	stopService(t, lead.cancel, lead.done, 20*time.Second, lead.logs)
	stopped := time.Now()
	waitFor(t, "the follower to lead", func() bool { return role(t, follow) == "leader" }, follow.logs)
	took := time.Since(stopped)
	t.Logf("%s leads %v after %s stopped", follow.name, took, lead.name)
	// A clean stop releases the lease (Resign): the follower takes it at its
	// next attempt, a quarter of LEADER_LEASE at most, not when it runs out.
	if limit := lease/4 + 750*time.Millisecond; took > limit {
		t.Errorf("%s led %v after the leader stopped, want within LEADER_LEASE/4 (%v) + slack", follow.name, took, lease/4)
	}
	tg.SendText(parent, from, "/aide")
	waitFor(t, "the new leader's answer", func() bool { return len(tg.SentTo(parent.ID)) == 2 }, follow.logs)
	stopService(t, follow.cancel, follow.done, 20*time.Second, follow.logs)
	if _, err := os.Stat(dbPath); err == nil {
		t.Errorf("the services created the SQLite file %s; with DATABASE_URL they use PostgreSQL only", dbPath)
	}
}

// leaderOf waits until one instance says leader and the others follower,
// and returns the leader and a follower.
func leaderOf(t *testing.T, all []*instance, limit time.Duration) (lead, follow *instance) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var leads, follows []*instance
		var roles []string
		for _, in := range all {
			r := role(t, in)
			roles = append(roles, in.name+": "+r)
			switch r {
			case "leader":
				leads = append(leads, in)
			case "follower":
				follows = append(follows, in)
			}
		}
		if len(leads) == 1 && len(follows) == len(all)-1 {
			return leads[0], follows[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, /readyz says %q; want one leader and followers", limit, roles)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// role is the last line of an instance's /readyz: leader or follower.
func role(t *testing.T, in *instance) string {
	t.Helper()
	_, body := httpGet(t, "http://"+in.addr+"/readyz")
	lines := strings.Split(strings.TrimSpace(body), "\n")
	return lines[len(lines)-1]
}

// httpGet returns the status code and body of a GET, whatever the code.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestPostgresUnreachable: a PostgreSQL that does not answer stops the
// start with one log line naming the engine and the URL, its password
// masked.
func TestPostgresUnreachable(t *testing.T) {
	var logs logtest.Buffer
	code := run(context.Background(), []string{"sentinelle"}, envOf(map[string]string{
		"DATABASE_URL": "postgres://sentinelle:s3cr3t@127.0.0.1:1/sentinelle?connect_timeout=2&password=s3cr3t",
		"HTTP_ADDR":    "127.0.0.1:0", "CANARY_URLS": "",
	}), io.Discard, &logs)
	out := logs.String()
	if code != 1 || !strings.Contains(out, "database unusable") || !strings.Contains(out, "engine=postgres") ||
		!strings.Contains(out, "sentinelle:xxxxx@127.0.0.1:1") {
		t.Fatalf("exit %d, log:\n%s\nwant 1 and the failure naming the engine and the redacted URL", code, out)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Fatalf("the log shows the password:\n%s", out)
	}
}
