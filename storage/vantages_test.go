package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sentinelle/status"
)

// vantageRound writes a round of vantage v started at at, with one result
// per state given (services a, b…) and a canary, as the checker does.
func vantageRound(t *testing.T, s *Store, v string, at time.Time, states ...status.State) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.InsertRound(ctx, Round{Vantage: v, StartedAt: at, FinishedAt: at.Add(time.Second), Services: len(states), Canaries: 1})
		if err != nil {
			return err
		}
		for i, st := range states {
			r := res(string(rune('a'+i)), st, "ok")
			r.Vantage, r.At = v, at
			if err := tx.InsertResult(ctx, id, r); err != nil {
				return err
			}
		}
		return tx.InsertResult(ctx, id, CheckResult{Vantage: v, ServiceID: CanaryPrefix + "https://c.example", At: at, State: status.Up, Reason: "ok"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestOtherVantageRounds(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		vantageRound(t, s, "", minute(3), status.Down)          // before migration 008: nobody's
		vantageRound(t, s, "marseille", minute(0), status.Down) // stale
		vantageRound(t, s, "lyon", minute(2), status.Down)      // older than lyon's latest
		lyon := vantageRound(t, s, "lyon", minute(3), status.Up, status.Down)
		vantageRound(t, s, "paris", minute(3), status.Up)                // the caller's own
		vantageRound(t, s, "bordeaux", minute(4), status.Degraded)       // started twice at once:
		bordeaux := vantageRound(t, s, "bordeaux", minute(4), status.Up) // the later id wins
		var got []VantageRound
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			got, err = tx.OtherVantageRounds(ctx, "paris", minute(1))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var sum []string
		for _, vr := range got {
			line := fmt.Sprintf("%s#%d@%s:", vr.Round.Vantage, vr.Round.ID, vr.Round.StartedAt.Format("15:04"))
			for _, r := range vr.Results {
				if r.RoundID != vr.Round.ID || r.Vantage != vr.Round.Vantage || !r.At.Equal(vr.Round.StartedAt) {
					t.Errorf("result %+v does not belong to round %+v", r, vr.Round)
				}
				line += " " + r.ServiceID + "=" + string(r.State)
			}
			sum = append(sum, line)
		}
		want := []string{
			fmt.Sprintf("bordeaux#%d@05:34: a=up canary:https://c.example=up", bordeaux),
			fmt.Sprintf("lyon#%d@05:33: a=up b=down canary:https://c.example=up", lyon),
		}
		if fmt.Sprint(sum) != fmt.Sprint(want) {
			t.Errorf("other vantages seen by paris since 05:31:\n got %q\nwant %q", sum, want)
		}
		last, err := s.LastRound(ctx)
		if err != nil || last.ID != bordeaux || last.Vantage != "bordeaux" || last.Canaries != 1 {
			t.Errorf("LastRound %+v, %v; want bordeaux's round %d, read with its vantage", last, err, bordeaux)
		}
	})
}

// TestOtherVantageRoundsPlan: the read walks the rounds since the time
// asked, not the whole table (30 days of every vantage).
func TestOtherVantageRoundsPlan(t *testing.T) {
	s := openTest(t)
	plan := queryPlan(t, s, latestRoundsSQL, ms(t0), "paris")
	want := []string{"SEARCH r USING INDEX rounds_started (started_at>?)", "CORRELATED SCALAR SUBQUERY 1",
		"SEARCH n USING COVERING INDEX rounds_vantage_started (vantage=? AND started_at>?)"}
	if fmt.Sprint(plan) != fmt.Sprint(want) {
		t.Errorf("query plan\n got %q\nwant %q", plan, want)
	}
}
