package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
		paris := vantageRound(t, s, "paris", minute(3), status.Up)       // the caller's own
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
		sum := roundsSummary(t, got)
		want := []string{
			fmt.Sprintf("bordeaux#%d@05:34: a=up canary:https://c.example=up", bordeaux),
			fmt.Sprintf("lyon#%d@05:33: a=up b=down canary:https://c.example=up", lyon),
		}
		if fmt.Sprint(sum) != fmt.Sprint(want) {
			t.Errorf("other vantages seen by paris since 05:31:\n got %q\nwant %q", sum, want)
		}
		all, err := s.LatestRounds(ctx, minute(1))
		if err != nil {
			t.Fatal(err)
		}
		parisLine := fmt.Sprintf("paris#%d@05:33: a=up canary:https://c.example=up", paris)
		if got, want := roundsSummary(t, all), append(want, parisLine); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("every vantage's latest round since 05:31:\n got %q\nwant %q", got, want)
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

// roundsSummary writes each vantage's round as "lyon#3@05:33: a=up b=down",
// checking that its results are its own.
func roundsSummary(t *testing.T, rounds []VantageRound) []string {
	t.Helper()
	var sum []string
	for _, vr := range rounds {
		line := fmt.Sprintf("%s#%d@%s:", vr.Round.Vantage, vr.Round.ID, vr.Round.StartedAt.Format("15:04"))
		for _, r := range vr.Results {
			if r.RoundID != vr.Round.ID || r.Vantage != vr.Round.Vantage || !r.At.Equal(vr.Round.StartedAt) {
				t.Errorf("result %+v does not belong to round %+v", r, vr.Round)
			}
			line += " " + r.ServiceID + "=" + string(r.State)
		}
		sum = append(sum, line)
	}
	return sum
}

// sightRound writes a round of vantage v at minute m, voided or not, with
// one result per "service=state:reason".
func sightRound(t *testing.T, s *Store, v string, m int, voided bool, results ...string) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *Tx) error {
		id, err := tx.InsertRound(ctx, Round{Vantage: v, StartedAt: minute(m), FinishedAt: minute(m).Add(time.Second), Voided: voided})
		if err != nil {
			return err
		}
		for _, r := range results {
			svc, rest, _ := strings.Cut(r, "=")
			st, reason, _ := strings.Cut(rest, ":")
			res := res(svc, status.State(st), status.Reason(reason))
			res.Vantage, res.At = v, minute(m)
			if err := tx.InsertResult(ctx, id, res); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIncidentSightings(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var a, b int64
		err := s.Update(ctx, func(tx *Tx) error {
			var err error
			if a, err = tx.OpenIncident(ctx, "a", status.ReasonTimeout, minute(2), false); err != nil {
				return err
			}
			if _, err = tx.CloseIncident(ctx, "a", minute(5), status.Up); err != nil {
				return err
			}
			b, err = tx.OpenIncident(ctx, "b", status.ReasonTimeout, minute(4), false)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sightRound(t, s, "paris", 1, false, "a=down:timeout") // before a's incident
		sightRound(t, s, "paris", 2, false, "a=down:timeout")
		sightRound(t, s, "paris", 3, false, "a=down:http_status")
		sightRound(t, s, "paris", 4, false, "a=down:http_status", "b=down:timeout")
		sightRound(t, s, "paris", 5, false, "a=up:ok", "b=down:tls") // a's end: not counted for a
		sightRound(t, s, "paris", 6, false, "b=down:tls")
		sightRound(t, s, "lyon", 2, false, "a=up:ok")
		sightRound(t, s, "lyon", 3, true, "a=down:connection") // voided by its guard: not counted
		sightRound(t, s, "lyon", 4, false, "a=down:connection", "b=up:ok")
		sightRound(t, s, "lyon", 6, false, "b=degraded:slow")
		sightRound(t, s, "", 3, false, "a=down:timeout")     // before migration 008: nobody's
		sightRound(t, s, "nice", 7, false, "b=down:timeout") // after now
		incidents, err := s.Incidents(ctx, IncidentFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.IncidentSightings(ctx, incidents, minute(6))
		if err != nil {
			t.Fatal(err)
		}
		var sum []string
		for _, v := range got {
			sum = append(sum, fmt.Sprintf("%d %s %d/%d %s-%s %s", v.IncidentID, v.Vantage, v.Failed, v.Rounds,
				v.FirstFailure.Format("15:04"), v.LastFailure.Format("15:04"), v.LastReason))
		}
		want := []string{
			fmt.Sprintf("%d lyon 1/2 05:34-05:34 connection", a),
			fmt.Sprintf("%d paris 3/3 05:32-05:34 http_status", a),
			fmt.Sprintf("%d lyon 0/2 00:00-00:00 ", b),
			fmt.Sprintf("%d paris 3/3 05:34-05:36 tls", b),
		}
		if fmt.Sprint(sum) != fmt.Sprint(want) {
			t.Errorf("sightings\n got %q\nwant %q", sum, want)
		}
		if got, err := s.IncidentSightings(ctx, nil, minute(6)); got != nil || err != nil {
			t.Errorf("no incident: %v, %v", got, err)
		}
	})
}

// TestIncidentSightingsPlan: each incident reads its service's results of
// its span by the index on (service_id, at), not the whole table (30 days
// of every vantage), and so does the last reason.
func TestIncidentSightingsPlan(t *testing.T) {
	s := openTest(t)
	plan := queryPlan(t, s, incidentSightingsSQL(2), 1, "a", 0, 1, 2, "b", 0, 1, status.Down, status.Down, status.Down, status.Down)
	for _, want := range []string{"SEARCH c USING INDEX check_results_service_at (service_id=? AND at>? AND at<?)",
		"SEARCH c USING INDEX check_results_service_at (service_id=? AND at=?)"} {
		if !slices.Contains(plan, want) {
			t.Errorf("query plan %q lacks %q", plan, want)
		}
	}
}

// judgedRound writes a round of vantage v at minute m, judged (as the
// leader's Record writes it) or not (a follower's WriteRound).
func judgedRound(t *testing.T, s *Store, v string, m int, judged bool) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.InsertRound(ctx, Round{Vantage: v, StartedAt: minute(m), FinishedAt: minute(m).Add(time.Second), Judged: judged})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLastJudgedRound(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		judgedRound(t, s, "lyon", 0, false)
		if r, err := s.LastJudgedRound(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LastJudgedRound with a follower's round alone: %+v, %v; want ErrNotFound", r, err)
		}
		paris := judgedRound(t, s, "paris", 1, true)
		// The leader stalls; the follower keeps probing.
		for m := 2; m < 6; m++ {
			judgedRound(t, s, "lyon", m, false)
		}
		got, err := s.LastJudgedRound(ctx)
		if err != nil || got.ID != paris || got.Vantage != "paris" || !got.Judged || !got.FinishedAt.Equal(minute(1).Add(time.Second)) {
			t.Fatalf("LastJudgedRound %+v, %v; want paris's round %d of minute 1, judged", got, err, paris)
		}
		last, err := s.LastRound(ctx)
		if err != nil || last.Vantage != "lyon" || last.Judged || !last.StartedAt.Equal(minute(5)) {
			t.Fatalf("LastRound %+v, %v; want lyon's round of minute 5, not judged", last, err)
		}
	})
}

func TestLastJudgedRoundPlan(t *testing.T) {
	s := openTest(t)
	plan := queryPlan(t, s, lastJudgedSQL)
	want := []string{"SCAN rounds USING INDEX rounds_judged"}
	if fmt.Sprint(plan) != fmt.Sprint(want) {
		t.Errorf("query plan\n got %q\nwant %q", plan, want)
	}
}
