package notify

import (
	"slices"
	"testing"
	"time"

	"sentinelle/status"
)

// TestDownToDegradedReachesThoseWhoHeardTheOutage: when a down ENT comes
// back slow, the parents who were told of the outage hear that it is usable
// again, although they did not ask for slowness alerts; those who ask for
// slowness hear it too; nobody else does.
func TestDownToDegradedReachesThoseWhoHeardTheOutage(t *testing.T) {
	s, _, opt := setup(t, parent(1, "alpha"),
		person{id: 2, role: "parent", degraded: true, academies: []string{"alpha"}},              // slowness only
		person{id: 3, role: "parent", outage: true, academies: []string{"alpha"}},                // no recoveries
		person{id: 4, role: "eleve", recovery: true, academies: []string{"alpha"}},               // recoveries only, heard no outage
		person{id: 5, role: "parent", outage: true, recovery: true, academies: []string{"beta"}}, // not concerned
	)
	d, _ := start(t, opt)
	announce(t, s, d, status.KindOutage, "ent-alpha", "up", "down", april6)
	rows := announce(t, s, d, status.KindDegraded, "ent-alpha", "down", "degraded", april6.Add(time.Hour))
	var got []int64
	for _, r := range rows {
		if r.State == "sent" && r.ChatID != 0 {
			got = append(got, r.ChatID)
		}
	}
	slices.Sort(got)
	if want := []int64{1, 2}; !slices.Equal(got, want) {
		t.Fatalf("down→degraded reached %v, want %v", got, want)
	}
}
