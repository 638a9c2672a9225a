package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/internal/logtest"
	"sentinelle/status"
	"sentinelle/telegram/telegramtest"
)

// proc is one run of the built binary.
type proc struct {
	cmd  *exec.Cmd
	logs *logtest.Buffer
	addr string
}

// startBinary starts the binary and waits for it to log its HTTP address.
func startBinary(t *testing.T, bin, dir string, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin), logs: &logtest.Buffer{}}
	p.cmd.Dir, p.cmd.Env, p.cmd.Stderr = dir, env, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the service to listen", 30*time.Second, func() bool {
		if m := addrPattern.FindStringSubmatch(p.logs.String()); m != nil {
			p.addr = m[1]
			return true
		}
		return false
	})
	return p
}

// buttonRow is one inline keyboard as the bot sent it.
type buttonRow []struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// buttonData finds the callback data of the button labelled text (or whose
// data equals text) in a reply_markup.
func buttonData(markup, text string) (string, bool) {
	var kb struct {
		Rows []buttonRow `json:"inline_keyboard"`
	}
	if json.Unmarshal([]byte(markup), &kb) != nil {
		return "", false
	}
	for _, row := range kb.Rows {
		for _, b := range row {
			if b.Text == text || b.Data == text {
				return b.Data, true
			}
		}
	}
	return "", false
}

// onboardWithButtons is /start and the three steps of the buttons, each
// press sent once the previous edit shows the next button.
func onboardWithButtons(tg *telegramtest.Server, cat *catalog.Catalog, who *person, deadline time.Time) error {
	tg.SendText(who.chat, who.user, "/start")
	var msgID int64
	if err := poll(deadline, func() bool {
		for _, m := range tg.SentTo(who.chat.ID) {
			if _, ok := buttonData(m.ReplyMarkup, "r:parent"); ok {
				msgID = m.MessageID
				return true
			}
		}
		return false
	}); err != nil {
		return fmt.Errorf("chat %d: no welcome: %w", who.chat.ID, err)
	}
	a, _ := cat.Academy(who.subs[0])
	type step struct{ wait, press string }
	names := map[status.Level]string{status.Primaire: "Primaire", status.College: "Collège", status.Lycee: "Lycée"}
	steps := []step{{"r:parent", "r:parent"}}
	for i, l := range who.levels {
		wait := "l:ok"
		if i > 0 {
			wait = "✅ " + names[who.levels[i-1]]
		}
		steps = append(steps, step{wait, "l:" + string(l)})
	}
	steps = append(steps, step{"✅ " + names[who.levels[len(who.levels)-1]], "l:ok"},
		step{a.Region, ""}, step{"a:" + a.Slug, "a:" + a.Slug})
	for _, s := range steps {
		var data string
		if err := poll(deadline, func() bool {
			m, _ := tg.Current(who.chat.ID, msgID)
			d, ok := buttonData(m.ReplyMarkup, s.wait)
			data = d
			return ok
		}); err != nil {
			return fmt.Errorf("chat %d: no button %q: %w", who.chat.ID, s.wait, err)
		}
		if s.press != "" {
			data = s.press
		}
		tg.PressButton(who.chat, who.user, msgID, data)
	}
	// An académie with several local ENTs for these levels asks « Dans quel
	// département ? »: these parents follow the whole académie.
	whole := "n:" + a.Slug + ":*"
	pressed := false
	return poll(deadline, func() bool {
		m, _ := tg.Current(who.chat.ID, msgID)
		if _, ok := buttonData(m.ReplyMarkup, whole); ok && !pressed {
			tg.PressButton(who.chat, who.user, msgID, whole)
			pressed = true
		}
		return strings.Contains(m.Visible, "C'est prêt")
	})
}

func poll(deadline time.Time, cond func() bool) error {
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// onboardWithCommands types the profile and the académies (and, for a
// class's teacher, /classe) in one go: the bot applies a chat's updates in
// order.
func onboardWithCommands(tg *telegramtest.Server, who *person, owns *class) {
	if who.role == "" { // a group: the bot is added, the admin subscribes
		tg.ChatMemberUpdate(who.chat, who.user, "member")
		tg.SetChatMemberStatus(who.chat.ID, who.user.ID, "administrator")
		tg.SendText(who.chat, who.user, "/abonner "+strings.Join(who.subs, " "))
		return
	}
	levels := make([]string, len(who.levels))
	for i, l := range who.levels {
		levels[i] = string(l)
	}
	tg.SendText(who.chat, who.user, "/profil "+who.role+" "+strings.Join(levels, " "))
	tg.SendText(who.chat, who.user, "/abonner "+strings.Join(who.typed, " "))
	if who.narrow != nil { // narrows the académie just followed to one of its départements
		tg.SendText(who.chat, who.user, "/abonner "+who.narrow.Name)
	}
	if owns != nil {
		tg.SendText(who.chat, who.user, "/classe "+owns.name)
	}
}

var classCode = regexp.MustCompile(`start=c_([A-Z0-9]+)`)

// readClassCode waits for the /classe answer and reads the code in it.
// When the académie has several ENTs for the teacher's level, /classe asks
// which one the class uses first: the teacher presses the first button.
func readClassCode(tg *telegramtest.Server, k *class, deadline time.Time) error {
	pressed := false
	return poll(deadline, func() bool {
		for _, m := range tg.SentTo(k.teacher.chat.ID) {
			if c := classCode.FindStringSubmatch(m.Visible); c != nil && strings.Contains(m.Visible, k.name) {
				k.code = c[1]
				return true
			}
		}
		for _, m := range tg.SentTo(k.teacher.chat.ID) {
			if b := entButton.FindStringSubmatch(m.ReplyMarkup); b != nil && !pressed && strings.Contains(m.Visible, k.name) {
				tg.PressButton(k.teacher.chat, k.teacher.user, m.MessageID, b[1])
				pressed = true
			}
		}
		return false
	})
}

// entButton is the first button of /classe's question « which ENT ».
var entButton = regexp.MustCompile(`"callback_data":"(e:[^"]+)"`)

// readClassServices reads which ENT each class was bound to.
func readClassServices(t *testing.T, db *sql.DB, pop *population) {
	t.Helper()
	for _, k := range pop.classes {
		if err := db.QueryRow(`SELECT service_id FROM classes WHERE code = ?`, k.code).Scan(&k.service); err != nil {
			t.Fatalf("class %s: %v", k.name, err)
		}
	}
}

// openDB opens the service's database read-only, beside the running
// service (WAL lets a reader in).
func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// outboxIdle tells whether every event is expanded and every message sent.
func outboxIdle(t *testing.T, db *sql.DB) bool {
	t.Helper()
	var n int
	err := db.QueryRow(`SELECT (SELECT COUNT(*) FROM events WHERE state = 'new')
		+ (SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'inflight'))`).Scan(&n)
	if err != nil {
		t.Logf("outbox: %v", err)
		return false
	}
	return n == 0
}

// checkOnboarded compares what the service stored with the population:
// every chat's role, levels, académies and classes.
func checkOnboarded(t *testing.T, db *sql.DB, pop *population) {
	t.Helper()
	got := map[int64]string{}
	rows, err := db.Query(`SELECT c.chat_id, c.role, c.levels, c.alert_outage, c.alert_recovery,
		COALESCE((SELECT group_concat(academie) FROM (SELECT academie FROM subscriptions s WHERE s.chat_id = c.chat_id ORDER BY academie)), ''),
		COALESCE((SELECT group_concat(plan_b, '|') FROM (SELECT k.plan_b FROM class_members m JOIN classes k ON k.id = m.class_id
			WHERE m.chat_id = c.chat_id AND k.plan_b != '' ORDER BY k.id)), '')
		FROM chats c`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var role, subs, planBs string
		var levels, out, rec int
		if err := rows.Scan(&id, &role, &levels, &out, &rec, &subs, &planBs); err != nil {
			t.Fatal(err)
		}
		got[id] = fmt.Sprintf("%s/%d/%d%d/%s/%s", role, levels, out, rec, subs, planBs)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, who := range pop.people {
		mask := status.Mask(who.levels...) // the bits themselves are pinned by status.TestLevelBits
		out := 1
		if !who.wantsOutage() {
			out = 0
		}
		subs := slices.Sorted(slices.Values(who.subs))
		var planBs []string
		for _, k := range who.classes {
			if k.planB != "" {
				planBs = append(planBs, k.planB)
			}
		}
		want := fmt.Sprintf("%s/%d/%d1/%s/%s", who.role, mask, out, strings.Join(subs, ","), strings.Join(planBs, "|"))
		if got[who.chat.ID] != want {
			if bad++; bad <= 5 {
				t.Errorf("chat %d stored as %q, want %q", who.chat.ID, got[who.chat.ID], want)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d chats not onboarded as intended", bad, len(pop.people))
	}
}

// alertOf tells what an alert is about: kind "outage", "recovery" or
// "degraded" and the service id; ok is false for other messages.
func alertOf(m telegramtest.Message, byName map[string]string) (kind, service string, ok bool) {
	first, _, _ := strings.Cut(spaced(m.Visible), "\n")
	for prefix, k := range map[string]string{"🔴 Panne : ": "outage",
		"🟠 Lenteurs : ": "degraded", "🟠 De nouveau accessible, mais lent : ": "degraded"} {
		if name, found := strings.CutPrefix(first, prefix); found {
			return k, byName[name], true
		}
	}
	// "🟢 ENC 92 (Hauts-de-Seine) rétabli à 10 h, après 2 h 30 de panne."
	if rest, found := strings.CutPrefix(first, "🟢 "); found {
		for _, sep := range []string{" rétabli ", " de nouveau rapide "} {
			if name, _, found := strings.Cut(rest, sep); found {
				return "recovery", byName[name], true
			}
		}
	}
	return "", "", false
}

// spaced reads no-break spaces as spaces, so that assertions on wording
// are written plainly.
func spaced(s string) string { return strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s) }

// countAlerts counts the alerts of one kind per (chat, service).
func countAlerts(msgs []telegramtest.Message, byName map[string]string, kind string) map[pair]int {
	got := map[pair]int{}
	for _, m := range msgs {
		if k, svc, ok := alertOf(m, byName); ok && k == kind {
			got[pair{m.ChatID, svc}]++
		}
	}
	return got
}

// rateReport checks the sends against the limits: the fastest second
// overall, the shortest gap between two sends to one chat, and the busiest
// minute of one group.
type rateReport struct {
	sends       int
	peakSecond  int
	minChatGap  time.Duration
	peakGroupMn int
}

func measureRates(reqs []telegramtest.Request) rateReport {
	var at []time.Time
	byChat := map[string][]time.Time{}
	for _, r := range reqs {
		if r.Status != 200 || (r.Method != "sendMessage" && r.Method != "sendPhoto") {
			continue
		}
		at = append(at, r.At)
		byChat[r.Params.Get("chat_id")] = append(byChat[r.Params.Get("chat_id")], r.At)
	}
	rep := rateReport{sends: len(at), minChatGap: time.Hour}
	rep.peakSecond = telegramtest.PeakWithin(at, time.Second)
	for chat, ts := range byChat {
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(ts); i++ {
			rep.minChatGap = min(rep.minChatGap, ts[i].Sub(ts[i-1]))
		}
		if strings.HasPrefix(chat, "-") {
			rep.peakGroupMn = max(rep.peakGroupMn, telegramtest.PeakWithin(ts, time.Minute))
		}
	}
	return rep
}

// askAll sends /etat from each asker and returns how long each waited for
// the answer (from the update's injection to Telegram accepting it).
func askAll(t *testing.T, tg *telegramtest.Server, askers []*person) map[bool][]time.Duration {
	t.Helper()
	var mu sync.Mutex
	waits := map[bool][]time.Duration{} // by "is a group"
	var wg sync.WaitGroup
	for _, who := range askers {
		before := len(tg.SentTo(who.chat.ID))
		asked := time.Now()
		tg.SendText(who.chat, who.user, "/etat")
		wg.Go(func() {
			_ = poll(time.Now().Add(20*time.Second), func() bool {
				for _, m := range tg.SentTo(who.chat.ID)[before:] {
					if strings.Contains(m.Visible, "État des services") {
						mu.Lock()
						waits[who.chat.ID < 0] = append(waits[who.chat.ID < 0], m.At.Sub(asked))
						if m.At.Sub(asked) > time.Second {
							t.Logf("/etat of chat %d asked at %s answered after %v", who.chat.ID, asked.Format("15:04:05.000"), m.At.Sub(asked))
						}
						mu.Unlock()
						return true
					}
				}
				return false
			})
		})
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	if len(waits[false])+len(waits[true]) != len(askers) {
		t.Fatalf("%d of %d /etat answered within 20 s", len(waits), len(askers))
	}
	return waits
}

func writeEnv(env []string, kv ...string) []string {
	out := slices.Clone(env)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, kv[i]+"="+kv[i+1])
	}
	return out
}
