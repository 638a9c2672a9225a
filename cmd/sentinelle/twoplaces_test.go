package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sentinelle/storage"
	"sentinelle/telegram/telegramtest"
)

// Two real sentinelle processes in two "places" share one PostgreSQL, as
// docs/deploy.md sets them up: one leads (polls Telegram, sends, judges),
// the other serves the status page and probes as a second vantage point.

// twoPlaces is the world of those tests: a fake Bot API with Telegram's
// limits, ENT Alpha and a canary that can each refuse one instance's
// requests (a partition near it), and a PostgreSQL database.
type twoPlaces struct {
	bin, dir, dsn string
	db            *sql.DB
	tg            *telegramtest.Server
	ent           *switchableENT
	canary        *httptest.Server
	// cut is the vantage whose requests the ENT refuses (connection
	// closed without an answer); "" cuts nobody. cutCanary: the canary
	// refuses it too, a whole partition near it rather than only the route
	// to the portal.
	cut       atomic.Value
	cutCanary atomic.Bool
	base      []string
}

func newTwoPlaces(t *testing.T, parents, rate int) *twoPlaces {
	t.Helper()
	w := &twoPlaces{dir: t.TempDir(), dsn: pg.Database(t)}
	w.cut.Store("")
	w.bin = w.dir + "/sentinelle"
	buildBinary(t, w.bin)
	w.tg = telegramtest.NewServer(t, telegramtest.WithLimits(telegramtest.Limits{Global: 1000, PerChat: 1, PerGroup: 20}),
		telegramtest.WithPollWait(200*time.Millisecond))
	w.ent = newSwitchableENT(t)
	w.ent.srv.Config.Handler = w.partitioned(w.ent.srv.Config.Handler, func() bool { return true })
	w.canary = httptest.NewServer(w.partitioned(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	}), w.cutCanary.Load))
	t.Cleanup(w.canary.Close)

	st, err := storage.OpenPostgres(context.Background(), w.dsn, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	seedParentsIn(t, st, parents)
	st.Close()
	w.db, err = sql.Open("pgx", w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.db.Close() })

	w.base = writeEnv(os.Environ(), "TELEGRAM_BOT_TOKEN", w.tg.Token(), "TELEGRAM_API_URL", w.tg.URL(),
		"DATABASE_URL", w.dsn, "CATALOG_FILE", writeAlphaCatalog(t, w.dir, w.ent.srv.URL), "HTTP_ADDR", "127.0.0.1:0",
		"CHECK_SCHEDULE", "@every 1s", "CHECK_TIMEOUT", "2s", "CANARY_URLS", w.canary.URL, "QUIET_HOURS", "",
		"DOWN_AFTER", "1", "UP_AFTER", "1", "LEADER_LEASE", twoPlacesLease.String(),
		"TELEGRAM_PAID_BROADCAST", "true", "TELEGRAM_RATE_LIMIT", strconv.Itoa(rate))
	return w
}

// twoPlacesLease is LEADER_LEASE in these tests: the shortest allowed.
const twoPlacesLease = 3 * time.Second

// partitioned wraps a handler so that, while on says so, it drops the
// connections of the vantage cut: the probes name their instance in the
// User-Agent through PUBLIC_URL (http://<vantage>.example), which start
// sets per instance.
func (w *twoPlaces) partitioned(h http.Handler, on func() bool) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if cut := w.cut.Load().(string); cut != "" && on() && strings.Contains(r.UserAgent(), "//"+cut+".example") {
			if conn, _, err := http.NewResponseController(rw).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		h.ServeHTTP(rw, r)
	})
}

// start runs one instance named vantage and stops it (SIGTERM) at the end
// of the test if it still runs.
func (w *twoPlaces) start(t *testing.T, vantage string) *proc {
	t.Helper()
	env := writeEnv(w.base, "VANTAGE", vantage, "PUBLIC_URL", "http://"+vantage+".example")
	p := startBinary(t, w.bin, w.dir, env)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGCONT) // a frozen process would never end
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	})
	return p
}

// leader is the VANTAGE of the instance holding the lease now ("" when
// none does); holders are named after their vantage.
func (w *twoPlaces) leader(t *testing.T) string {
	t.Helper()
	var holder string
	err := w.db.QueryRow(`SELECT holder FROM leases WHERE name = 'leader'
		AND expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT`).Scan(&holder)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"paris", "lyon"} {
		if strings.HasPrefix(holder, v) {
			return v
		}
	}
	t.Fatalf("lease held by %q, named after no vantage of the test", holder)
	return ""
}

func (w *twoPlaces) waitLeader(t *testing.T, vantage string, limit time.Duration) {
	t.Helper()
	waitUntil(t, vantage+" to lead", limit, func() bool { return w.leader(t) == vantage })
}

// waitSeenUp waits until the service has judged ENT Alpha up: a portal
// never seen up announces nothing.
func (w *twoPlaces) waitSeenUp(t *testing.T) {
	t.Helper()
	waitUntil(t, "ENT Alpha seen up", 30*time.Second, func() bool {
		var seen string
		err := w.db.QueryRow(`SELECT seen_url FROM service_states WHERE service_id = 'ent-alpha'`).Scan(&seen)
		return err == nil && seen != ""
	})
}

// rounds counts the rounds vantage wrote since, and how many of them its
// own guard voided.
func (w *twoPlaces) rounds(t *testing.T, vantage string, since time.Time) (all, voided int) {
	t.Helper()
	err := w.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(voided), 0) FROM rounds WHERE vantage = $1 AND started_at >= $2`,
		vantage, since.UnixMilli()).Scan(&all, &voided)
	if err != nil {
		t.Fatal(err)
	}
	return all, voided
}

// perChat counts the alerts sent to parents 1..n from index from of the
// fake's record on: outages and recoveries apart.
func (w *twoPlaces) perChat(n, from int) (outages, recoveries map[int64]int, total int) {
	outages, recoveries = map[int64]int{}, map[int64]int{}
	sent := w.tg.Sent()
	for _, m := range sent[min(from, len(sent)):] {
		if m.ChatID < 1 || m.ChatID > int64(n) {
			continue
		}
		total++
		if strings.Contains(m.Text, "rétabli") {
			recoveries[m.ChatID]++
		} else {
			outages[m.ChatID]++
		}
	}
	return outages, recoveries, total
}

// count409 is how many getUpdates Telegram refused because another one was
// running: two instances polling at once.
func (w *twoPlaces) count409() int {
	n := 0
	for _, r := range w.tg.RequestsFor("getUpdates") {
		if r.Status == http.StatusConflict {
			n++
		}
	}
	return n
}

// TestTwoInstancesSurviveLeaderKill: 2,000 parents, an outage, the leader
// SIGKILLed in the middle of the fan-out. The other instance takes over
// within the lease, every parent hears of the outage (duplicates at most
// one batch), then of the recovery exactly once; Telegram never answers
// 429, and never 409 (only one instance polls at a time); the bot answers
// after the takeover.
func TestTwoInstancesSurviveLeaderKill(t *testing.T) {
	leaderLost(t, "kill", func(t *testing.T, p *proc) {
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()
	}, nil)
}

// TestTwoInstancesSurviveLeaderFreeze: the same, but the leader is frozen
// (SIGSTOP: a VM paused, a process swapped out) and thawed once the other
// leads and has sent 300 messages. The thawed instance, still running,
// must send nothing more: its own clock tells it its term ended, and the
// database would refuse its claims. It then follows. Its long poll, open
// when it froze, is the one 409 Telegram may answer (to it: the newer
// poll of the new leader ends the older one).
func TestTwoInstancesSurviveLeaderFreeze(t *testing.T) {
	leaderLost(t, "freeze", func(t *testing.T, p *proc) {
		if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}, func(t *testing.T, w *twoPlaces, p *proc, atLoss int) {
		waitUntil(t, "300 messages from lyon", 60*time.Second, func() bool { return len(w.tg.Sent()) >= atLoss+300 })
		if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, "the thawed paris to follow", 15*time.Second, func() bool {
			resp, err := http.Get("http://" + p.addr + "/readyz")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return strings.Contains(string(body), "follower")
		})
	})
}

// leaderLost runs the fan-out of TestTwoInstancesSurviveLeaderKill, losing
// the leader with lose ≈ 700 messages in; thaw, when set, runs once the
// other instance sends.
func leaderLost(t *testing.T, how string, lose func(*testing.T, *proc), thaw func(*testing.T, *twoPlaces, *proc, int)) {
	if testing.Short() {
		t.Skip("builds and runs two binaries: skipped with -short")
	}
	const parents, rate = 2000, 400
	batch := rate / 5 // notify's default batch: a fifth of a second of sending
	w := newTwoPlaces(t, parents, rate)

	paris := w.start(t, "paris")
	w.waitLeader(t, "paris", 30*time.Second)
	lyon := w.start(t, "lyon")
	w.waitSeenUp(t)
	w.ent.mode.Store("502")

	waitUntil(t, "≈ 700 messages before the "+how, 60*time.Second, func() bool { return len(w.tg.Sent()) >= 700 })
	lose(t, paris)
	lost, atLoss := time.Now(), len(w.tg.Sent())
	if atLoss >= parents {
		t.Fatalf("the fan-out was over (%d sent) before the %s: the test proves nothing", atLoss, how)
	}
	waitUntil(t, "a message from lyon", 2*twoPlacesLease+10*time.Second, func() bool { return len(w.tg.Sent()) > atLoss+batch })
	resumed := time.Since(lost)
	if w.leader(t) != "lyon" {
		t.Fatalf("messages resumed after the %s, but lyon does not hold the lease", how)
	}
	// LEADER_LEASE, then "polls and sends within 5 s more" (issue 15).
	if limit := twoPlacesLease + 5*time.Second; resumed > limit {
		t.Errorf("sending resumed %v after the %s, want within %v", resumed, how, limit)
	}
	if thaw != nil {
		thaw(t, w, paris, atLoss)
	}

	waitUntil(t, "every parent told of the outage", 60*time.Second, func() bool {
		out, _, _ := w.perChat(parents, 0)
		return len(out) >= parents
	})
	time.Sleep(time.Second) // anything still to come would be a duplicate
	out, _, total := w.perChat(parents, 0)
	dups := total - len(out)
	t.Logf("%s after %d messages; sending resumed %v after it; %d outage messages to %d parents, %d duplicates (bound %d)",
		how, atLoss, resumed.Round(time.Millisecond), total, len(out), dups, batch)
	if dups > batch {
		t.Errorf("%d duplicates, want at most one batch (%d)", dups, batch)
	}

	// The bot answers on the new leader.
	asker := telegramtest.Chat{ID: 900001, Type: "private"}
	w.tg.SendText(asker, telegramtest.User{ID: 900001, FirstName: "Camille", LanguageCode: "fr"}, "/aide")
	waitUntil(t, "lyon to answer /aide", 15*time.Second, func() bool { return len(w.tg.SentTo(asker.ID)) > 0 })

	mark := len(w.tg.Sent())
	w.ent.mode.Store("ok")
	waitUntil(t, "every parent told of the recovery", 60*time.Second, func() bool {
		_, rec, _ := w.perChat(parents, mark)
		return len(rec) >= parents
	})
	time.Sleep(time.Second)
	_, rec, total := w.perChat(parents, mark)
	for id, n := range rec {
		if n != 1 {
			t.Errorf("parent %d got the recovery %d times", id, n)
		}
	}
	if total != len(rec) {
		t.Errorf("%d messages after the recovery for %d parents: something else was sent", total, len(rec))
	}
	if n := w.tg.Count429(); n != 0 {
		t.Errorf("Telegram answered 429 %d times", n)
	}
	// A frozen leader's open long poll is ended by the new leader's: one
	// 409, answered to the frozen one. Any other means two pollers.
	allowed409 := 0
	if thaw != nil {
		allowed409 = 1
	}
	if n := w.count409(); n > allowed409 {
		t.Errorf("Telegram answered 409 to getUpdates %d times (at most %d): two instances polled at once", n, allowed409)
	}
	if t.Failed() {
		t.Logf("paris:\n%s\nlyon:\n%s", paris.logs.String(), lyon.logs.String())
	}
}

// TestPartitionedVantageAnnouncesNothing: the network near one instance
// breaks (its probes and its canary get no answer), then only its route to
// the portal, while the other sees ENT Alpha up: no parent hears of an
// outage, even with the cut instance leading (its voided rounds are not
// counted; its counted ones are outvoted). Then the portal fails for
// both: each parent is told once.
func TestPartitionedVantageAnnouncesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two binaries: skipped with -short")
	}
	const parents = 3
	w := newTwoPlaces(t, parents, 25)
	// The cut instance leads: its judgement is the one that would be wrong.
	lyon := w.start(t, "lyon")
	w.waitLeader(t, "lyon", 30*time.Second)
	paris := w.start(t, "paris")
	w.waitSeenUp(t)

	// A partition near lyon: neither the portal nor the canary answers it.
	cutAt := time.Now()
	w.cutCanary.Store(true)
	w.cut.Store("lyon")
	waitUntil(t, "5 voided rounds of lyon and 5 rounds of paris", 30*time.Second, func() bool {
		_, voided := w.rounds(t, "lyon", cutAt)
		seen, _ := w.rounds(t, "paris", cutAt)
		return voided >= 5 && seen >= 5
	})
	// Only lyon's route to the portal breaks (one transit provider): its
	// guard sees the canary and counts its round, which sees the portal
	// fail; paris sees it up, and down needs both.
	cutAt = time.Now()
	w.cutCanary.Store(false)
	waitUntil(t, "5 counted rounds of lyon and 5 rounds of paris", 30*time.Second, func() bool {
		all, voided := w.rounds(t, "lyon", cutAt)
		seen, _ := w.rounds(t, "paris", cutAt)
		return all-voided >= 5 && seen >= 5
	})
	if got := w.leader(t); got != "lyon" {
		t.Fatalf("%q leads, want the cut instance (lyon)", got)
	}
	if out, _, total := w.perChat(parents, 0); total != 0 {
		t.Fatalf("a partition near lyon sent %d messages to %d parents while paris saw the portal up", total, len(out))
	}

	w.cut.Store("")
	w.ent.mode.Store("502")
	waitUntil(t, "each parent told of the outage", 30*time.Second, func() bool {
		out, _, _ := w.perChat(parents, 0)
		return len(out) == parents
	})
	time.Sleep(3 * time.Second) // three more rounds: a second announcement would show
	out, _, total := w.perChat(parents, 0)
	if total != parents {
		t.Errorf("%d outage messages to %d parents, want one each", total, len(out))
	}
	if t.Failed() {
		t.Logf("paris:\n%s\nlyon:\n%s", paris.logs.String(), lyon.logs.String())
	}
}
