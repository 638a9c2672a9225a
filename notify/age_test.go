package notify

import (
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

// TestOldServiceEventIsDropped: a change of state older than MaxEventAge
// when the dispatcher first sees it (the bot was off for a day) is not
// announced late; a fresh one is.
func TestOldServiceEventIsDropped(t *testing.T) {
	s, f, opt := setup(t, parent(1, "alpha"))
	now := april6.Add(30 * time.Hour)
	opt.Now = func() time.Time { return now }
	opt.MaxEventAge = 6 * time.Hour
	d, _ := start(t, opt)
	old := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	waitEventState(t, s, old, "dead")
	announce(t, s, d, status.KindOutage, "ent-shared", "up", "down", now.Add(-time.Minute))
	for _, m := range f.all() {
		if m.chat == 1 && m.channel == "" && strings.Contains(m.text, "ENT Alpha") {
			t.Fatalf("the day-old outage was sent: %q", m.text)
		}
	}
	if got := len(f.chats()); got == 0 {
		t.Fatal("the fresh outage reached nobody")
	}
}
