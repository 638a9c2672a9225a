package notify

import (
	"sync/atomic"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/telegram/telegramtest"
)

// TestQuietHoursInTheAcademysTime: quiet hours are read in the time zone
// of the recipient's académie, through the real client and the fake Bot
// API: an outage at 07:32 in La Réunion (05:32 in Paris, night there)
// rings, one at 22:00 in La Réunion (20:00 in Paris, day there) is silent.
func TestQuietHoursInTheAcademysTime(t *testing.T) {
	reunion, err := time.LoadLocation("Indian/Reunion")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		at         time.Time
		wantSilent bool
	}{
		{"morning in La Réunion, night in Paris", time.Date(2026, 3, 10, 7, 32, 0, 0, reunion), false},
		{"night in La Réunion, evening in Paris", time.Date(2026, 3, 10, 22, 0, 0, 0, reunion), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, cat := openStore(t), testCatalog(t)
			srv := telegramtest.NewServer(t, telegramtest.WithoutLimits())
			addPeople(t, s, parent(1, "reunion"))
			opt := fastOptions(s, cat, newClient(t, srv, false))
			opt.Now = func() time.Time { return tc.at }
			var gotLoc atomic.Pointer[time.Location]
			opt.Quiet = func(t time.Time, loc *time.Location) bool { // 21:00-07:00
				gotLoc.Store(loc)
				if loc == nil {
					loc = time.UTC
				}
				h := t.In(loc).Hour()
				return h >= 21 || h < 7
			}
			d, _ := start(t, opt)
			announce(t, s, d, status.KindOutage, "ent-reunion", "up", "down", tc.at)
			sent := srv.SentTo(1)
			if len(sent) != 1 {
				t.Fatalf("%d messages to the Réunion parent, want 1", len(sent))
			}
			if got := sent[0].DisableNotification; got != tc.wantSilent {
				t.Errorf("disable_notification %v, want %v", got, tc.wantSilent)
			}
			if loc := gotLoc.Load(); loc == nil || loc.String() != "Indian/Reunion" {
				t.Errorf("quiet hours read in %v, want Indian/Reunion", loc)
			}
		})
	}
}
