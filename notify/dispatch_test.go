package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestReplyOvertakesBulk: a parent's /etat typed during a big fan-out is
// answered within the first batch or two, not after everyone else.
func TestReplyOvertakesBulk(t *testing.T) {
	people := parents(60, "alpha")
	people = append(people, person{id: 999, role: "parent"})
	s, f, opt := setup(t, people...)
	opt.RateLimit, opt.BatchSize = 100, 10
	d, _ := start(t, opt)
	bulk := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	f.waitCount(t, 1)
	reply(t, s, "reply:999:1", 999, "État des services : …")
	d.Wake()
	waitSettled(t, s, bulk)
	msgs := f.waitCount(t, 62)
	pos := -1
	for i, m := range msgs {
		if m.chat == 999 {
			pos = i
		}
	}
	if pos < 0 || pos > 2*opt.BatchSize {
		t.Errorf("the reply was message %d of %d, want within the first two batches (%d)", pos+1, len(msgs), 2*opt.BatchSize)
	}
}

// TestQuietHoursAndPaidBroadcast: alerts at night go silently, replies
// ring (the person just typed a command); paid broadcast is asked on each
// message when enabled.
func TestQuietHoursAndPaidBroadcast(t *testing.T) {
	s, f, opt := setup(t, parent(1, "alpha"))
	opt.Quiet = func(time.Time, *time.Location) bool { return true }
	opt.PaidBroadcast = true
	d, _ := start(t, opt)
	ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	rid := reply(t, s, "r1", 1, "ok")
	d.Wake()
	waitSettled(t, s, ev)
	waitSettled(t, s, rid)
	for _, m := range f.all() {
		wantSilent := m.text != "ok"
		if got := m.params["disable_notification"] == "true"; got != wantSilent {
			t.Errorf("message %q to %d%s: silent %v, want %v", m.text, m.chat, m.channel, got, wantSilent)
		}
		if m.params["allow_paid_broadcast"] != "true" {
			t.Errorf("message %q lacks allow_paid_broadcast", m.text)
		}
	}
	if len(f.all()) != 3 {
		t.Errorf("%d messages, want outage, channel post and reply", len(f.all()))
	}
}

// TestSilentEventAndDayTime: by day an alert rings, unless the event was
// written silent.
func TestSilentEventAndDayTime(t *testing.T) {
	s, f, opt := setup(t, parent(1, "beta"))
	opt.Quiet = func(time.Time, *time.Location) bool { return false }
	d, _ := start(t, opt)
	loud := serviceEvent(t, s, status.KindOutage, "ent-shared", "up", "down", april6)
	silent := insertEvent(t, s, storage.NewEvent{DedupKey: "ann", Kind: status.KindAnnouncement,
		Priority: 1, Audience: status.AudienceAll(), Payload: `{"text":"maintenance ce soir"}`, Silent: true})
	d.Wake()
	waitSettled(t, s, loud)
	waitSettled(t, s, silent)
	for _, m := range f.all() {
		want := strings.Contains(m.text, "maintenance")
		if got := m.params["disable_notification"] == "true"; got != want {
			t.Errorf("%q: silent %v, want %v", m.text, got, want)
		}
		if _, ok := m.params["allow_paid_broadcast"]; ok {
			t.Errorf("%q asks for a paid broadcast that is off", m.text)
		}
	}
}

// TestShutdownLeavesNothingInflight: Run returns soon after its context
// ends, and what it had claimed is back to pending, attempts untouched.
func TestShutdownLeavesNothingInflight(t *testing.T) {
	ctx := context.Background()
	s, f, opt := setup(t, parents(40, "alpha")...)
	opt.RateLimit, opt.BatchSize = 20, 10
	d, stop := start(t, opt)
	ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	f.waitCount(t, 5)
	began := time.Now()
	stop()
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Run took %v to stop", took)
	}
	rows, err := deliveriesOf(ctx, s, ev)
	if err != nil {
		t.Fatal(err)
	}
	sentRows, pending, other := sentAndPending(t, rows)
	for _, r := range other {
		t.Errorf("row %+v left in state %q", r, r.State)
	}
	if sentRows != len(f.all()) || pending == 0 {
		t.Errorf("%d rows sent for %d messages, %d pending; want equal counts and some pending", sentRows, len(f.all()), pending)
	}
}
