package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/telegram/telegramtest"
)

// checkOutages: nobody outside the expected pairs heard anything, and each
// outage message offers the Lumni pages of the reader's levels and carries
// the plan B of their classes. It returns the number of duplicates (a
// crash may re-send what was in flight).
func (w *world) checkOutages(msgs []telegramtest.Message, want map[pair]bool) int {
	t := w.t
	t.Helper()
	got := countAlerts(msgs, w.byName, "outage")
	dups, bad := 0, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 8 {
			t.Errorf(format, args...)
		}
	}
	for k, n := range got {
		dups += n - 1
		if !want[k] {
			report("chat %d was told of an outage of %q it does not concern", k.chat, k.service)
		}
	}
	planBs := 0
	for _, m := range msgs {
		kind, id, ok := alertOf(m, w.byName)
		who := w.pop.byChat[m.ChatID]
		if !ok || kind != "outage" || who == nil {
			continue
		}
		svc, _ := w.cat.Service(id)
		for _, link := range lumniLinks(who, svc) {
			if !strings.Contains(m.Text, `href="`+link+`"`) {
				report("outage of %s to chat %d (%s %v) lacks %s:\n%s", id, m.ChatID, who.role, who.levels, link, m.Visible)
			}
		}
		for _, p := range w.pop.planBsFor(who, svc) {
			if !strings.Contains(spaced(m.Visible), spaced(p)) {
				report("outage of %s to class member %d lacks the plan B %q:\n%s", id, m.ChatID, p, m.Visible)
			}
			planBs++
		}
	}
	if planBs == 0 {
		t.Errorf("no outage message carried a plan B")
	}
	t.Logf("outage: %d messages carried a plan B", planBs)
	if bad > 0 {
		t.Fatalf("%d problems with the outage messages", bad)
	}
	return dups
}

// checkNotice: every member of the class got the teacher's notice, and
// nobody else.
func (w *world) checkNotice(k *class, mark int) {
	t := w.t
	t.Helper()
	head := "📣 Classe " + k.name + " "
	members := map[int64]bool{}
	for _, m := range k.members {
		members[m.chat.ID] = true
	}
	var got map[int64]int
	waitUntil(t, "the notice to reach the class", 30*time.Second, func() bool {
		got = map[int64]int{}
		for _, m := range w.tg.Sent()[mark:] {
			if strings.HasPrefix(m.Visible, head) {
				got[m.ChatID]++
			}
		}
		return len(got) >= len(members)
	})
	for id, n := range got {
		if !members[id] {
			t.Errorf("chat %d is not in %s and got its notice", id, k.name)
		}
		if n > 1 {
			t.Errorf("member %d got the notice %d times", id, n)
		}
	}
	t.Logf("notice: %d members of %s got it, nobody else", len(got), k.name)
}

// checkStatusPage: /api/status and the home page show the outage.
func (w *world) checkStatusPage() {
	t := w.t
	t.Helper()
	type svc struct {
		ID, State, Reason string
	}
	var st struct {
		Academies []struct {
			Slug, State string
			Services    []svc
		}
		National []svc `json:"national_services"`
	}
	body := getBody(t, "http://"+w.proc.addr+"/api/status")
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/api/status: %v: %s", err, body)
	}
	states := map[string]svc{}
	acads := map[string]string{}
	for _, a := range st.Academies {
		acads[a.Slug] = a.State
		for _, s := range a.Services {
			states[s.ID] = s
		}
	}
	for _, s := range st.National {
		states[s.ID] = s
	}
	for _, c := range []struct{ id, state, reason string }{
		{"monlycee", "down", "waiting_room"}, {"enthdf", "down", "waiting_room"}, {"elyco", "down", "blank_page"},
		{"eprimo", "down", "http_status"}, {"ent77", "down", "timeout"}, {"cned-college", "down", "http_status"},
		{"lumni", "up", ""}, {"educonnect", "up", ""},
	} {
		if s := states[c.id]; s.State != c.state || s.Reason != c.reason {
			t.Errorf("/api/status: %s is %s (%s), want %s (%s)", c.id, s.State, s.Reason, c.state, c.reason)
		}
	}
	if s := states[flapping]; s.State == "down" {
		t.Errorf("/api/status: the flapping %s is down", flapping)
	}
	if acads["versailles"] != "down" || acads["rennes"] == "down" {
		t.Errorf("/api/status: versailles %q (want down), rennes %q (want not down)", acads["versailles"], acads["rennes"])
	}
	if page := getBody(t, "http://"+w.proc.addr+"/"); !strings.Contains(page, "panne") {
		t.Errorf("the status page does not say « panne »:\n%s", tail(page, 2000))
	}
}

// checkRecoveries: exactly one recovery per expected pair, none to anybody
// else, in particular none to those whose outage message was cancelled.
func (w *world) checkRecoveries(got map[pair]int, want, wantOut map[pair]bool, told map[pair]int) {
	t := w.t
	t.Helper()
	cancelled := 0
	for k := range wantOut {
		if told[k] == 0 {
			cancelled++
			if got[k] > 0 {
				t.Errorf("chat %d never heard of the outage of %s and got its recovery", k.chat, k.service)
			}
		}
	}
	bad := 0
	for k, n := range got {
		if !want[k] || n != 1 {
			if bad++; bad <= 8 {
				t.Errorf("chat %d got %d recovery messages for %s (expected: %v)", k.chat, n, k.service, want[k])
			}
		}
	}
	t.Logf("recovery: %d messages for %d expected pairs; %d outage messages had been cancelled", total(got), len(want), cancelled)
}

// checkRates: the fake never answered 429, and the sends respected the
// configured global rate, 1 s between two messages to a chat and 20 a
// minute to a group.
func (w *world) checkRates(rate int) {
	t := w.t
	t.Helper()
	r := measureRates(w.tg.Requests())
	t.Logf("rates: %d sends, busiest second %d (limit %d), shortest gap to one chat %v, busiest group minute %d; %d × 429",
		r.sends, r.peakSecond, rate, r.minChatGap, r.peakGroupMn, w.tg.Count429())
	timing := t.Errorf
	if raceDetector {
		timing = t.Logf // see scenario_race_test.go
	}
	if n := w.tg.Count429(); n != 0 {
		timing("the fake Telegram answered 429 %d times", n)
		last := map[string]time.Time{}
		for _, q := range w.tg.Requests() {
			chat := q.Params.Get("chat_id")
			if q.Status == 429 {
				t.Logf("429: %s to chat %s at %s, %v after the last accepted send to it",
					q.Method, chat, q.At.Format("15:04:05.000"), q.At.Sub(last[chat]))
			} else if q.Status == 200 && chat != "" {
				last[chat] = q.At
			}
		}
	}
	if r.peakSecond > rate+rate/10 {
		timing("%d sends in one second, over TELEGRAM_RATE_LIMIT=%d", r.peakSecond, rate)
	}
	if r.minChatGap < time.Second-telegramtest.Tolerance {
		timing("two sends to one chat %v apart", r.minChatGap)
	}
	if r.peakGroupMn > 20 {
		t.Errorf("%d sends to one group in a minute", r.peakGroupMn)
	}
}

// checkNoStrays: from the failure on, no slowness alert, nothing about the
// flapping ENT, nothing to a chat that never wrote to the bot.
func (w *world) checkNoStrays(mark int) {
	t := w.t
	t.Helper()
	for _, m := range w.tg.Sent()[mark:] {
		kind, id, ok := alertOf(m, w.byName)
		switch {
		case w.pop.byChat[m.ChatID] == nil:
			t.Errorf("a message to unknown chat %d: %s", m.ChatID, m.Visible)
		case ok && (kind == "degraded" || id == flapping || id == ""):
			t.Errorf("unexpected %s alert to chat %d: %s", kind, m.ChatID, m.Visible)
		}
	}
}

// recoveriesWritten counts the failing services whose recovery the checker
// has written.
func recoveriesWritten(t *testing.T, db *sql.DB) int {
	t.Helper()
	rows, err := db.Query(`SELECT DISTINCT service_id FROM events WHERE kind = 'recovery'`)
	if err != nil {
		t.Logf("recoveries: %v", err)
		return 0
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil && failures6April[id] != "" {
			n++
		}
	}
	return n
}

// checkCancelled: every expected outage pair that heard nothing has its
// delivery cancelled by the recovery (not lost, not failed), every pair
// that heard it is recorded as sent, and the scenario did cancel some. It
// returns how many were cancelled.
func (w *world) checkCancelled(db *sql.DB, want map[pair]bool, told map[pair]int) int {
	t := w.t
	t.Helper()
	rows, err := db.Query(`SELECT d.chat_id, e.service_id, d.state, d.last_error FROM deliveries d
		JOIN events e ON e.id = d.event_id WHERE e.kind = 'outage' AND d.chat_id != 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	state, why := map[pair]string{}, map[pair]string{}
	for rows.Next() {
		var k pair
		var st, last string
		if err := rows.Scan(&k.chat, &k.service, &st, &last); err != nil {
			t.Fatal(err)
		}
		state[k], why[k] = st, last
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	cancelled, bad := 0, 0
	report := func(format string, args ...any) {
		if bad++; bad <= 8 {
			t.Errorf(format, args...)
		}
	}
	for k := range want {
		switch {
		case told[k] > 0 && state[k] != "sent":
			report("chat %d heard the outage of %s but its delivery is %q", k.chat, k.service, state[k])
		case told[k] == 0 && (state[k] != "cancelled" || !cancelledByNews(why[k])):
			report("chat %d never heard the outage of %s: delivery %q (%s), want cancelled by the recovery", k.chat, k.service, state[k], why[k])
		case told[k] == 0:
			cancelled++
		}
	}
	if cancelled == 0 {
		t.Errorf("no outage message was cancelled by the recovery: the rule « none to those whose outage message had been cancelled » was not exercised")
	}
	return cancelled
}

// cancelledByNews tells whether a delivery's last error says a newer event
// about its service cancelled it: at expansion of the recovery
// ("superseded by event N"), or when a row already claimed was about to go
// out ("news outdated", "event superseded").
func cancelledByNews(why string) bool {
	return strings.HasPrefix(why, "superseded by event ") || why == "news outdated" || why == "event superseded"
}

// checkTimes: the messages carry the morning's clock. Outage messages say
// « Depuis 7 h 30 » and go out with sound (07:30 is after QUIET_HOURS);
// recovery messages say « … rétabli à 10 h, après 2 h 30 de panne ».
func (w *world) checkTimes(mark int) {
	t := w.t
	t.Helper()
	bad, seen, local := 0, map[string]int{}, 0
	for _, m := range w.tg.Sent()[mark:] {
		kind, id, ok := alertOf(m, w.byName)
		who := w.pop.byChat[m.ChatID]
		if !ok || who == nil {
			continue
		}
		seen[kind]++
		at, text := at0730, "Depuis %s : "
		if kind == "recovery" {
			at, text = at1000, " rétabli à %s, après 2 h 30 de panne."
		}
		// The time is the académie's: one of the reader's académies that
		// the service concerns (any of theirs for a national service).
		// Quiet hours (21 h-7 h) are read there too, at the time of
		// sending: some outage messages go out after the clock moved to
		// 10 h, so where 7 h 30 and 10 h fall on both sides of the quiet
		// hours (Polynésie: 19 h 30 and 22 h) either is right.
		matched := false
		for _, loc := range w.zonesOf(who, id) {
			want := fmt.Sprintf(text, spaced(french.Time(at.In(loc))))
			quiet := func(t time.Time) bool { h := t.In(loc).Hour(); return h >= 21 || h < 7 }
			silentOK := m.DisableNotification == quiet(at0730) || m.DisableNotification == quiet(at1000)
			if strings.Contains(spaced(m.Visible), want) && silentOK {
				matched = true
				if loc.String() != "Europe/Paris" {
					local++
				}
				break
			}
		}
		if !matched {
			if bad++; bad <= 5 {
				t.Errorf("%s message to chat %d (%v) lacks the time of 7 h 30 / 10 h in its académie's zone, or rang in its quiet hours (silent %v):\n%s",
					kind, m.ChatID, who.subs, m.DisableNotification, m.Visible)
			}
		}
	}
	t.Logf("times: %d outage messages « Depuis 7 h 30 » (local time), %d recoveries « rétabli à 10 h, après 2 h 30 de panne »; %d in an overseas zone",
		seen["outage"], seen["recovery"], local)
}

// zonesOf lists the time zones an alert about service id may be written in
// for who: those of their académies that the service concerns, or of all
// their académies for a national service.
func (w *world) zonesOf(who *person, id string) []*time.Location {
	svc, _ := w.cat.Service(id)
	var out []*time.Location
	for _, slug := range who.subs {
		a, ok := w.cat.Academy(slug)
		if !ok {
			continue
		}
		if svc.National || slices.ContainsFunc(w.cat.AcademiesOf(id), func(x catalog.Academy) bool { return x.Slug == slug }) {
			out = append(out, a.Location())
		}
	}
	return out
}

// checkIncidents: /api/incidents dates the morning by the service's clock:
// one ended incident per failing service, from 07:30 to 10:00, 2 h 30 long.
func (w *world) checkIncidents() {
	t := w.t
	t.Helper()
	var got struct {
		Incidents []struct {
			ServiceID       string     `json:"service_id"`
			StartedAt       *time.Time `json:"started_at"`
			EndedAt         *time.Time `json:"ended_at"`
			DurationSeconds int64      `json:"duration_seconds"`
			Ongoing         bool       `json:"ongoing"`
		} `json:"incidents"`
	}
	body := getBody(t, "http://"+w.proc.addr+"/api/incidents?since=2021-04-06&limit=100")
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("/api/incidents: %v: %s", err, body)
	}
	seen := map[string]int{}
	for _, in := range got.Incidents {
		seen[in.ServiceID]++
		if in.Ongoing || in.StartedAt == nil || in.EndedAt == nil ||
			in.StartedAt.In(paris).Format("15:04") != "07:30" || in.EndedAt.In(paris).Format("15:04") != "10:00" ||
			in.DurationSeconds < int64((2*time.Hour+30*time.Minute)/time.Second) {
			t.Errorf("/api/incidents: %s from %v to %v (%d s, ongoing %v), want 07:30 to 10:00, 2 h 30",
				in.ServiceID, in.StartedAt, in.EndedAt, in.DurationSeconds, in.Ongoing)
		}
	}
	for id := range failures6April {
		if seen[id] != 1 {
			t.Errorf("/api/incidents: %d incidents for %s, want 1", seen[id], id)
		}
	}
	if len(seen) != len(failures6April) {
		t.Errorf("/api/incidents: incidents for %d services, want the %d that failed", len(seen), len(failures6April))
	}
}
