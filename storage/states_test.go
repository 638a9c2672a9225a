package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"sentinelle/status"
)

func TestServiceStatesList(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := serviceState(ctx, s, "b"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ServiceState of an unseen service: %v, want ErrNotFound", err)
		}
		checkRound(t, s, minute(0), testMaxGap, res("b", status.Up, "ok"), res("a", status.Down, "tls"))
		all, err := s.ServiceStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].ServiceID != "a" || all[0].State != status.Down || all[0].Reason != "tls" || all[1].ServiceID != "b" {
			t.Fatalf("ServiceStates %+v, want a (down, tls) then b", all)
		}
	})
}

// Tx.ServiceState reads back the whole row PutServiceState wrote, and a
// fresh unknown state dated at for a service never written.
func TestServiceStateReadWrite(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		want := ServiceState{ServiceID: "ent", State: status.Down, Reason: "timeout", Since: minute(1),
			CandidateState: status.Up, CandidateReason: "ok", CandidateCount: 1, CandidateSince: minute(3),
			AnnouncedState: status.Down, AnnouncedSince: minute(1), LastCheckedAt: minute(3), LastState: status.Up,
			LastReason: "ok", LastHTTPStatus: 200, LastLatency: 840 * time.Millisecond, MaintenanceUntil: minute(60),
			SeenURL: "https://ent.example.fr", Unverified: true}
		var got, fresh ServiceState
		err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.PutServiceState(ctx, want); err != nil {
				return err
			}
			var errs [2]error
			got, errs[0] = tx.ServiceState(ctx, "ent", minute(9))
			fresh, errs[1] = tx.ServiceState(ctx, "new", minute(9))
			return errors.Join(errs[:]...)
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("read back %+v, want %+v", got, want)
		}
		if wantFresh := newServiceState("new", minute(9)); fresh != wantFresh {
			t.Errorf("never written: %+v, want %+v", fresh, wantFresh)
		}
	})
}

func TestSetMaintenanceOnUnseenServiceAndEnd(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
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
	})
}
