package storage

import (
	"context"
	"testing"
	"time"
	_ "time/tzdata"

	"sentinelle/status"
)

func TestUptimeFromTimeNotChecks(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// 5:30 up, 5:40 down (the up state held 10 minutes), 5:41 and 5:42 down,
		// 6:10 up again: the down state held from 5:40 to 6:10 across the hour.
		checkRound(t, s, minute(0), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, minute(10), testMaxGap, res("a", status.Down, "timeout"))
		checkRound(t, s, minute(11), testMaxGap, res("a", status.Down, "timeout"))
		checkRound(t, s, minute(12), testMaxGap, res("a", status.Down, "timeout"))
		checkRound(t, s, minute(40), 30*time.Minute, res("a", status.Up, "ok"))
		u, err := s.Uptime(ctx, "a", t0, minute(60))
		if err != nil {
			t.Fatal(err)
		}
		if u.Up != 10*time.Minute || u.Down != 30*time.Minute || u.Unknown != 0 {
			t.Fatalf("uptime %+v, want 10 min up and 30 min down whatever the number of checks", u)
		}
		if r, ok := u.Availability(); !ok || r != 0.25 {
			t.Fatalf("availability %v, %v; want 0.25", r, ok)
		}
		// The down time is split across 5:00–6:00 (5:40–6:00) and 6:00–7:00.
		first, _ := s.Uptime(ctx, "a", t0, t0.Add(30*time.Minute))
		second, _ := s.Uptime(ctx, "a", t0.Add(30*time.Minute), t0.Add(90*time.Minute))
		if first.Down != 20*time.Minute || second.Down != 10*time.Minute {
			t.Fatalf("hour buckets: %v then %v down, want 20 min then 10 min", first.Down, second.Down)
		}
	})
}

func TestUptimeLongGapIsUnknown(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		checkRound(t, s, minute(0), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, minute(45), testMaxGap, res("a", status.Up, "ok")) // the gap limit is 10 min
		u, err := s.Uptime(context.Background(), "a", t0, minute(120))
		if err != nil {
			t.Fatal(err)
		}
		if u.Up != testMaxGap || u.Unknown != 35*time.Minute {
			t.Fatalf("uptime %+v, want 10 min up then 35 min unknown: the checker was stopped", u)
		}
	})
}

func TestUptimeMaintenance(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.now = func() time.Time { return minute(0) }
		checkRound(t, s, minute(0), testMaxGap, res("a", status.Up, "ok"))
		if err := s.Update(ctx, func(tx *Tx) error { return tx.SetMaintenance(ctx, "a", minute(4)) }); err != nil {
			t.Fatal(err)
		}
		checkRound(t, s, minute(6), testMaxGap, res("a", status.Up, "ok"))
		u, _ := s.Uptime(ctx, "a", t0, minute(60))
		if u.Maintenance != 4*time.Minute || u.Up != 2*time.Minute {
			t.Fatalf("uptime %+v, want 4 min of maintenance then 2 min up", u)
		}
		if r, ok := u.Availability(); !ok || r != 1 {
			t.Fatalf("availability %v, want 1: maintenance is not downtime", r)
		}
	})
}

func TestAvailabilityWithoutData(t *testing.T) {
	if _, ok := (UptimeTotals{Unknown: time.Hour}).Availability(); ok {
		t.Fatal("availability of unknown time only reported ok")
	}
}

func TestDailyStatesInParis(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		paris, err := time.LoadLocation("Europe/Paris") // time/tzdata: never missing
		if err != nil {
			t.Fatal(err)
		}
		// 5 April 23:30 Paris (21:30 UTC) up; 6 April 00:05 down until 00:09;
		// 6 April afternoon degraded; 7 April nothing.
		base := time.Date(2021, 4, 5, 21, 30, 0, 0, time.UTC)
		at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
		checkRound(t, s, at(0), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, at(5), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, at(35), testMaxGap, res("a", status.Down, "timeout"))
		checkRound(t, s, at(39), testMaxGap, res("a", status.Up, "ok"))
		checkRound(t, s, at(600), testMaxGap, res("a", status.Degraded, "slow"))
		checkRound(t, s, at(605), testMaxGap, res("a", status.Degraded, "slow"))
		now := time.Date(2021, 4, 7, 12, 0, 0, 0, paris)
		days, err := s.DailyStates(ctx, "a", 3, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			day   string
			state status.State
		}{{"2021-04-05", status.Up}, {"2021-04-06", status.Down}, {"2021-04-07", status.Unknown}}
		if len(days) != len(want) {
			t.Fatalf("got %d days, want %d", len(days), len(want))
		}
		for i, w := range want {
			if got := days[i].Day.Format(time.DateOnly); got != w.day || days[i].State != w.state {
				t.Errorf("day %d: %s %s, want %s %s (totals %+v)", i, got, days[i].State, w.day, w.state, days[i].Totals)
			}
		}
		if days[1].Totals.Down != 4*time.Minute || days[1].Totals.Degraded != 5*time.Minute {
			t.Errorf("6 April totals %+v, want 4 min down and 5 min degraded", days[1].Totals)
		}
	})
}
