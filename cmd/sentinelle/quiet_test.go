package main

import (
	"testing"
	"time"
)

// TestQuietInTheRecipientsZone: QUIET_HOURS is read in the recipient's
// time zone, TIMEZONE only for one without a known académie.
func TestQuietInTheRecipientsZone(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	reunion, _ := time.LoadLocation("Indian/Reunion")
	cfg := Config{Timezone: paris, QuietHours: QuietHours{Enabled: true, Start: 21 * time.Hour, End: 7 * time.Hour}}
	quiet := quietIn(cfg)
	for _, tc := range []struct {
		name string
		at   time.Time
		loc  *time.Location
		want bool
	}{
		{"07:32 in La Réunion (05:32 in Paris)", time.Date(2026, 3, 10, 7, 32, 0, 0, reunion), reunion, false},
		{"22:00 in La Réunion (20:00 in Paris)", time.Date(2026, 3, 10, 22, 0, 0, 0, reunion), reunion, true},
		{"05:32 in Paris, no académie", time.Date(2026, 3, 10, 5, 32, 0, 0, paris), nil, true},
		{"20:00 in Paris, no académie", time.Date(2026, 3, 10, 20, 0, 0, 0, paris), nil, false},
	} {
		if got := quiet(tc.at.UTC(), tc.loc); got != tc.want {
			t.Errorf("%s: quiet %v, want %v", tc.name, got, tc.want)
		}
	}
}
