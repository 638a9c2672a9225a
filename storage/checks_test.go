package storage

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"sentinelle/status"
)

// t0 is 6 April 2021, 7:30 in Paris: the morning the ENTs fell.
var t0 = time.Date(2021, 4, 6, 5, 30, 0, 0, time.UTC)

func minute(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func res(id string, state status.State, reason status.Reason) CheckResult {
	return CheckResult{ServiceID: id, State: state, Reason: reason, HTTPStatus: 200, Latency: 840 * time.Millisecond}
}

// checkRound stores a round at time at as the checker does, reduced to
// what storage keeps for it: the round and its results, the time since
// each service's previous check counted in the state it held (unknown
// beyond maxGap), and each result's state as the service's judged state
// from at. It opens no incident and writes no event: those are the
// checker's rules (checker.Record).
func checkRound(t *testing.T, s *Store, at time.Time, maxGap time.Duration, results ...CheckResult) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		id, err := tx.InsertRound(ctx, Round{StartedAt: at, FinishedAt: at.Add(time.Second), Services: len(results)})
		if err != nil {
			return err
		}
		for _, r := range results {
			r.At = at
			if err := tx.InsertResult(ctx, id, r); err != nil {
				return err
			}
			prev, err := tx.ServiceState(ctx, r.ServiceID, at)
			if err != nil {
				return err
			}
			if err := tx.AttributeUptime(ctx, prev, at, maxGap); err != nil {
				return err
			}
			next := prev
			if r.State != prev.State {
				next.State, next.Reason, next.Since = r.State, r.Reason, at
			}
			next.LastCheckedAt, next.LastState, next.LastReason, next.LastLatency = at, r.State, r.Reason, r.Latency
			if err := tx.PutServiceState(ctx, next); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round at %s: %v", at.Format(time.TimeOnly), err)
	}
}

// testMaxGap is the checker's default gap limit (checker.DefaultMaxGap).
const testMaxGap = 10 * time.Minute

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestVoidUptime(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		checkRound(t, s, minute(0), testMaxGap, res("a", status.Up, "ok"))
		err := s.Update(ctx, func(tx *Tx) error {
			if err := tx.VoidUptime(ctx, "a", minute(1)); err != nil {
				return err
			}
			return tx.VoidUptime(ctx, "never-checked", minute(1))
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := serviceState(ctx, s, "a")
		if err != nil || st.State != status.Up || st.LastState != status.Up || !st.LastCheckedAt.Equal(minute(1)) {
			t.Fatalf("after a voided check: %+v, %v; want up with last_checked_at moved to minute 1", st, err)
		}
		if _, err := serviceState(ctx, s, "never-checked"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a voided check of a service never checked: %v, want no row", err)
		}
		u, err := s.Uptime(ctx, "a", t0, minute(60))
		if err != nil || u.Unknown != time.Minute || u.Up != 0 {
			t.Fatalf("uptime %+v, %v; want the voided minute counted unknown", u, err)
		}
		// The next check counts from the voided one, not across it.
		checkRound(t, s, minute(3), testMaxGap, res("a", status.Up, "ok"))
		if u, _ := s.Uptime(ctx, "a", t0, minute(60)); u.Up != 2*time.Minute || u.Unknown != time.Minute {
			t.Fatalf("uptime %+v, want 2 min up after the voided minute", u)
		}
	})
}

func TestLastRoundEmpty(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		if _, err := s.LastRound(context.Background()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LastRound on an empty base: %v, want ErrNotFound", err)
		}
	})
}

func TestPruneAndRecentResults(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		old := t0.Add(-31 * 24 * time.Hour)
		checkRound(t, s, old, testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, minute(0), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, minute(1), testMaxGap, res("a", status.Degraded, "slow"))
		n, err := s.PruneResults(ctx, t0.Add(-30*24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("PruneResults: %d, %v; want 1 deleted", n, err)
		}
		got, err := s.RecentResults(ctx, "a", old)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !got[0].At.Equal(minute(0)) || got[1].Reason != "slow" || got[1].Latency != 840*time.Millisecond {
			t.Fatalf("RecentResults %+v, want the two recent results, oldest first", got)
		}
		var rounds int
		if err := s.r.QueryRow(`SELECT COUNT(*) FROM rounds`).Scan(&rounds); err != nil || rounds != 2 {
			t.Fatalf("%d rounds left, %v; want 2", rounds, err)
		}
	})
}
