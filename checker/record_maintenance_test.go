package checker

import (
	"context"
	"slices"
	"testing"

	"sentinelle/status"
	"sentinelle/storage"
)

func TestMaintenanceHidesChangesThenAnnouncesWhatRemains(t *testing.T) {
	tests := []struct {
		name       string
		before     []status.State // rounds before the maintenance
		during     []status.State // rounds during it
		after      []status.State // rounds after it ended
		wantKinds  []string
		wantMaintI bool // the incident opened during the maintenance is marked so
	}{
		{
			name:   "an outage that outlasts the maintenance is announced when it ends",
			before: []status.State{status.Up}, during: []status.State{status.Down, status.Down}, after: []status.State{status.Down, status.Up},
			wantKinds: []string{"outage", "recovery"}, wantMaintI: true,
		},
		{
			name:   "down and back within the maintenance says nothing",
			before: []status.State{status.Up}, during: []status.State{status.Down, status.Up}, after: []status.State{status.Up},
			wantKinds: nil, wantMaintI: true,
		},
		{
			name:   "an announced outage repaired during the maintenance gets its recovery after",
			before: []status.State{status.Up, status.Down}, during: []status.State{status.Up}, after: []status.State{status.Up},
			wantKinds: []string{"outage", "recovery"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{}
			st, path := storeOnFile(t, c)
			ctx := context.Background()
			m := 0
			step := func(states []status.State) {
				for _, s := range states {
					c.set(minute(m))
					recordAt(t, st, minute(m), resultOf("ent", s, "x"))
					m++
				}
			}
			step(tt.before)
			c.set(minute(m))
			if err := st.Update(ctx, func(tx *storage.Tx) error { return tx.SetMaintenance(ctx, "ent", minute(m+len(tt.during))) }); err != nil {
				t.Fatal(err)
			}
			step(tt.during)
			if got := events(t, path); len(got) != countKinds(tt.before, tt.wantKinds) {
				t.Fatalf("during the maintenance: events %+v", got)
			}
			step(tt.after)
			if kinds := eventKinds(t, path); !slices.Equal(kinds, tt.wantKinds) {
				t.Fatalf("events %v, want %v", kinds, tt.wantKinds)
			}
			inc, err := st.Incidents(ctx, storage.IncidentFilter{})
			if err != nil || len(inc) == 0 {
				t.Fatalf("incidents %+v, %v; want the outage recorded even in maintenance", inc, err)
			}
			if inc[0].Maintenance != tt.wantMaintI {
				t.Fatalf("incident %+v: maintenance %v, want %v", inc[0], inc[0].Maintenance, tt.wantMaintI)
			}
		})
	}
}

// countKinds is how many of the wanted events happen before the
// maintenance: those announced by the rounds before it.
func countKinds(before []status.State, kinds []string) int {
	n := 0
	for i := 1; i < len(before); i++ {
		if before[i] != before[i-1] {
			n++
		}
	}
	return min(n, len(kinds))
}
