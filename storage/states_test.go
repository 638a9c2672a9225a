package storage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
)

func TestServiceStatesList(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if _, err := serviceState(ctx, s, "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ServiceState of an unseen service: %v, want ErrNotFound", err)
	}
	record(t, s, minute(0), res("b", status.Up, "ok"), res("a", status.Down, "tls"))
	all, err := s.ServiceStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ServiceID != "a" || all[0].State != status.Down || all[0].Reason != "tls" || all[1].ServiceID != "b" {
		t.Fatalf("ServiceStates %+v, want a (down, tls) then b", all)
	}
}

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
			var now time.Time
			s := openTest(t)
			s.now = func() time.Time { return now }
			ctx := context.Background()
			m := 0
			step := func(states []status.State) {
				for _, st := range states {
					now = minute(m)
					record(t, s, now, res("ent", st, "x"))
					m++
				}
			}
			step(tt.before)
			now = minute(m)
			if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMaintenance(ctx, "ent", minute(m+len(tt.during))) }); err != nil {
				t.Fatal(err)
			}
			step(tt.during)
			if got := readEvents(t, s); len(got) != countKinds(tt.before, tt.wantKinds) {
				t.Fatalf("during the maintenance: events %+v", got)
			}
			step(tt.after)
			var kinds []string
			for _, e := range readEvents(t, s) {
				kinds = append(kinds, e.Kind)
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Fatalf("events %v, want %v", kinds, tt.wantKinds)
			}
			inc, err := s.Incidents(ctx, IncidentFilter{})
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

func TestSetMaintenanceOnUnseenServiceAndEnd(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	until := fixedNow().Add(2 * time.Hour)
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMaintenance(ctx, "new", until) }); err != nil {
		t.Fatal(err)
	}
	st, err := serviceState(ctx, s, "new")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != status.Unknown || !st.MaintenanceUntil.Equal(until) || !st.InMaintenance(fixedNow()) || st.InMaintenance(until) {
		t.Fatalf("state %+v, want unknown in maintenance until %s", st, until)
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMaintenance(ctx, "new", time.Time{}) }); err != nil {
		t.Fatal(err)
	}
	st, _ = serviceState(ctx, s, "new")
	if st.InMaintenance(fixedNow()) {
		t.Fatal("maintenance did not end")
	}
	if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMaintenance(ctx, "", until) }); err == nil {
		t.Fatal("SetMaintenance accepted an empty id")
	}
}
