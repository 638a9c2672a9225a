package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/telegram/telegramtest"
)

// TestMorningOf6April replays the morning of 6 April 2021 against the real
// binary, on a rehearsal clock (SENTINELLE_FAKE_CLOCK_FILE): 2,000 people
// onboard through the fake Bot API on the evening of 5 April; at 07:30 the
// ENTs of seven régions and the CNED fail the ways they failed that morning
// while one other ENT flaps; the process is killed with SIGKILL in the
// middle of the fan-out and started again; people ask /etat and a teacher
// writes to a class; at 10:00, while outage messages are still queued,
// everything recovers: the queued ones are cancelled, and the recovery
// reaches exactly those who heard the outage.
func TestMorningOf6April(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary for about two minutes: skipped with -short")
	}
	began := time.Now()
	const users, rate = 2000, 200
	batch := min(max(rate/5, 10), 200) // notify's default: what a crash may duplicate
	w := newWorld(t, users, rate)

	// 1. Onboarding, the evening before.
	w.onboard()
	t.Logf("onboarded %d chats and %d classes in %v (%d messages)", len(w.pop.people), len(w.pop.classes),
		time.Since(began).Round(time.Millisecond), len(w.tg.Sent()))

	// 2. 07:30: the portals fail.
	w.setClock(at0730)
	w.waitRoundAfter(at0730)
	mark := len(w.tg.Sent())
	w.ents.set(failures6April)
	wantOut := w.pop.expectedOutages(failures6April)
	outages := func() map[pair]int { return countAlerts(w.tg.Sent()[mark:], w.byName, "outage") }
	waitSlow(t, "a quarter of the outage messages", 60*time.Second, func() bool { return total(outages()) >= len(wantOut)/4 })

	// 4. SIGKILL in the middle of the fan-out, and a restart.
	w.kill()
	atKill := total(outages())
	t.Logf("SIGKILL at %s after %d outage messages", time.Now().Format("15:04:05.000"), atKill)
	if atKill >= len(wantOut) {
		t.Fatalf("the fan-out was over (%d sent) before the kill: the test proves nothing", atKill)
	}
	// Restarted at once (harder than deploy/sentinelle.service's
	// RestartSec=5s): the new process must take the per-chat spacing from
	// the database, or Telegram answers 429.
	w.start()
	waitSlow(t, "the fan-out to resume", 30*time.Second, func() bool { return total(outages()) >= atKill+100 })

	// 3 and 6, during the resumed fan-out: commands are answered, a teacher
	// writes to a class, the status page shows the outage.
	waits := askAll(t, w.tg, w.askers())
	noticeMark := len(w.tg.Sent())
	k := w.pop.classes[2]
	w.broadcast(k, "Pas de visio ce matin : l'ENT est en panne, travaillez sur Lumni.")
	w.checkReplyLatency(waits)
	w.checkNotice(k, noticeMark)
	w.checkStatusPage()

	// 5. 10:00: everything recovers while outage messages are still queued.
	w.setClock(at1000)
	time.Sleep(200 * time.Millisecond) // the service reads the clock file every 20 ms
	recMark := len(w.tg.Sent())
	atRecovery := total(outages())
	t.Logf("10:00 with %d of %d outage messages sent", atRecovery, len(wantOut))
	if atRecovery >= len(wantOut) {
		t.Fatalf("the fan-out was over (%d sent) before the recovery: no outage message can be cancelled", atRecovery)
	}
	w.ents.set(nil)
	db := openDB(t, w.dbPath)
	waitSlow(t, "the recovery to be written", 30*time.Second, func() bool { return recoveriesWritten(t, db) == len(failures6April) })
	waitSlow(t, "every message to be settled", 120*time.Second, func() bool { return outboxIdle(t, db) })
	time.Sleep(3 * time.Second) // anything still to come would be a duplicate or a stray
	told := outages()
	dups := w.checkOutages(w.tg.Sent()[mark:], wantOut)
	cancelled := w.checkCancelled(db, wantOut, told)
	t.Logf("outage: %d messages to %d of %d (chat, service) pairs; killed after %d; %d duplicates (bound %d); %d cancelled by the recovery",
		total(told), len(told), len(wantOut), atKill, dups, batch, cancelled)
	if dups > batch {
		t.Errorf("%d duplicate outage messages, want at most one batch (%d)", dups, batch)
	}
	wantRec := w.pop.expectedRecoveries(failures6April, told)
	w.checkRecoveries(countAlerts(w.tg.Sent()[recMark:], w.byName, "recovery"), wantRec, wantOut, told)
	w.checkTimes(mark)
	w.checkIncidents()
	w.checkRates(rate)
	w.checkNoStrays(mark)
	t.Logf("scenario wall time %v (binary build included)", time.Since(began).Round(time.Millisecond))
}

// The morning's clock: people sign up the evening before, the portals fail
// at 07:30 and come back at 10:00 (Europe/Paris, summer time). The clock
// moves to 10:00:10, not 10:00:00: the outage was declared a few seconds
// after 07:30 (DOWN_AFTER rounds) and must have lasted 2 h 30 whole.
var (
	paris  = time.FixedZone("CEST", 2*3600)
	eve    = time.Date(2021, 4, 5, 19, 30, 0, 0, paris)
	at0730 = time.Date(2021, 4, 6, 7, 30, 0, 0, paris)
	at1000 = time.Date(2021, 4, 6, 10, 0, 10, 0, paris)
)

// world is everything the scenario runs against.
type world struct {
	t      *testing.T
	tg     *telegramtest.Server
	ents   *portals
	cat    *catalog.Catalog
	pop    *population
	byName map[string]string
	dir    string
	bin    string
	env    []string
	proc   *proc
	dbPath string
	clock  string
}

func newWorld(t *testing.T, users, rate int) *world {
	w := &world{t: t, dir: t.TempDir()}
	w.bin = filepath.Join(w.dir, "sentinelle")
	buildBinary(t, w.bin)
	w.tg = telegramtest.NewServer(t, telegramtest.WithLimits(telegramtest.Limits{Global: 1000, PerChat: 1, PerGroup: 20}),
		telegramtest.WithPollWait(200*time.Millisecond))
	w.ents = newPortals(t)
	var catFile string
	catFile, w.cat = writeMirrorCatalog(t, w.dir, w.ents.srv.URL)
	w.pop = newPopulation(w.cat, users)
	w.byName = map[string]string{}
	for _, s := range w.cat.Services {
		if _, dup := w.byName[s.Name]; dup {
			t.Fatalf("two services named %q: messages could not be told apart", s.Name)
		}
		w.byName[s.Name] = s.ID
	}
	w.dbPath = filepath.Join(w.dir, "s.db")
	w.clock = filepath.Join(w.dir, "clock")
	w.setClock(eve)
	w.env = writeEnv(os.Environ(), "TELEGRAM_BOT_TOKEN", w.tg.Token(), "TELEGRAM_API_URL", w.tg.URL(),
		"SENTINELLE_FAKE_CLOCK_FILE", w.clock,
		"DATABASE_PATH", w.dbPath, "CATALOG_FILE", catFile, "HTTP_ADDR", "127.0.0.1:0",
		"CHECK_SCHEDULE", "@every 1s", "CHECK_TIMEOUT", "2s", "CHECK_CONCURRENCY", "128",
		"DOWN_AFTER", "2", "UP_AFTER", "2", "CANARY_URLS", "", "QUIET_HOURS", "21:00-07:00", "TIMEZONE", "Europe/Paris",
		"TELEGRAM_PAID_BROADCAST", "true", "TELEGRAM_RATE_LIMIT", fmt.Sprint(rate))
	w.start()
	t.Cleanup(func() {
		_ = w.proc.cmd.Process.Signal(syscall.SIGTERM)
		_ = w.proc.cmd.Wait()
		if t.Failed() {
			t.Logf("service log (last 4 kB):\n%s", tail(w.proc.logs.String(), 4096))
		}
		if dir := os.Getenv("SCENARIO_LOG_DIR"); dir != "" { // keep the service's logs for a post-mortem
			_ = os.WriteFile(filepath.Join(dir, "service.log"), []byte(w.proc.logs.String()), 0o600)
		}
	})
	return w
}

func (w *world) start() { w.proc = startBinary(w.t, w.bin, w.dir, w.env) }

// setClock sets the service's clock: it reads the time from this file.
func (w *world) setClock(at time.Time) { setClockFile(w.t, w.clock, at) }

// waitRoundAfter waits until the service has started a check round at or
// after at by its clock: it has read the clock file, and no round dated
// before at can see what the test does next. (It reads the database: the
// status page may show the previous round for its 10 s of cache.)
func (w *world) waitRoundAfter(at time.Time) {
	began := time.Now()
	db := openDB(w.t, w.dbPath)
	waitSlow(w.t, "a round after "+at.Format(time.RFC3339), 30*time.Second, func() bool {
		var last int64
		if err := db.QueryRow(`SELECT COALESCE(MAX(started_at), 0) FROM rounds`).Scan(&last); err != nil {
			w.t.Logf("rounds: %v", err)
			return false
		}
		return last >= at.UnixMilli()
	})
	w.t.Logf("the service's clock reached %s after %v", at.Format("15:04:05"), time.Since(began).Round(time.Millisecond))
}

func (w *world) kill() {
	if err := w.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		w.t.Fatal(err)
	}
	_ = w.proc.cmd.Wait()
	var state string
	err := openDB(w.t, w.dbPath).QueryRow(`SELECT state FROM check_results WHERE service_id = ? ORDER BY id DESC LIMIT 1`,
		flapping).Scan(&state)
	if err != nil {
		w.t.Fatalf("last result of %s: %v", flapping, err)
	}
	w.ents.resyncFlap(state == "down")
}

// onboard runs step 1 and checks the database agrees with the population.
func (w *world) onboard() {
	t, tg, pop := w.t, w.tg, w.pop
	deadline := time.Now().Add(90 * time.Second)
	owner := map[*person]*class{}
	for _, k := range pop.classes {
		owner[k.teacher] = k
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(pop.people))
	for _, who := range pop.people {
		if who.buttons {
			wg.Go(func() { errs <- onboardWithButtons(tg, w.cat, who, deadline) })
			continue
		}
		onboardWithCommands(tg, who, owner[who])
	}
	for _, k := range pop.classes {
		if err := readClassCode(tg, k, deadline); err != nil {
			t.Fatalf("no code for %s: %v", k.name, err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range pop.classes {
		if k.planB != "" {
			tg.SendText(k.teacher.chat, k.teacher.user, "/planb "+k.code+" "+k.planB)
		}
		for _, m := range k.members {
			if k.viaLink[m] {
				tg.SendText(m.chat, m.user, "/start c_"+k.code)
			} else {
				tg.SendText(m.chat, m.user, "/rejoindre "+k.code)
			}
		}
	}
	db := openDB(t, w.dbPath)
	waitSlow(t, "every onboarding answer", 120*time.Second, func() bool {
		return tg.Pending() == 0 && outboxIdle(t, db)
	})
	checkOnboarded(t, db, pop)
	readClassServices(t, db, pop)
	narrowed := 0
	for _, who := range pop.people {
		if who.narrow != nil {
			narrowed++
		}
	}
	if narrowed == 0 {
		t.Fatal("nobody narrowed a subscription to a département: the narrowing is not exercised")
	}
	t.Logf("%d parents narrowed their académie to a département", narrowed)
}

// checkReplyLatency: a command is answered within 2 s during the fan-out,
// in a private chat as in a group (a group's sliding budget of 20 messages
// a minute leaves room for the reply).
func (w *world) checkReplyLatency(waits map[bool][]time.Duration) {
	for _, group := range []bool{false, true} {
		ws := waits[group]
		if len(ws) == 0 {
			continue
		}
		slices.Sort(ws)
		limit, who := 2*time.Second, "private chats"
		if group {
			who = "groups"
		}
		w.t.Logf("/etat during the fan-out, %s: %d asked, median %v, max %v", who, len(ws), ws[len(ws)/2], ws[len(ws)-1])
		if ws[len(ws)-1] > limit && !raceDetector {
			w.t.Errorf("/etat in %s answered in %v during the fan-out, want within %v (all: %v)", who, ws[len(ws)-1], limit, ws)
		}
	}
}

// askers are a few people of every kind, some about to hear of outages,
// some not.
func (w *world) askers() []*person {
	var out []*person
	for i, who := range w.pop.people {
		if i%250 == 3 || i%250 == 7 {
			out = append(out, who)
		}
	}
	return out
}

// broadcast is /diffuser and « Envoyer » by the class's teacher.
func (w *world) broadcast(k *class, text string) {
	before := len(w.tg.SentTo(k.teacher.chat.ID))
	w.tg.SendText(k.teacher.chat, k.teacher.user, "/diffuser "+k.code+" "+text)
	var msgID int64
	var data string
	waitUntil(w.t, "the notice preview", 20*time.Second, func() bool {
		for _, m := range w.tg.SentTo(k.teacher.chat.ID)[before:] {
			if d, ok := buttonData(m.ReplyMarkup, "Envoyer"); ok {
				msgID, data = m.MessageID, d
				return true
			}
		}
		return false
	})
	w.tg.PressButton(k.teacher.chat, k.teacher.user, msgID, data)
}

// waitSlow is waitUntil polling every 100 ms: its conditions scan every
// message sent so far.
func waitSlow(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func total(m map[pair]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func covered(got map[pair]int, want map[pair]bool) bool {
	for k := range want {
		if got[k] == 0 {
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	code, body := httpGet(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	return body
}
