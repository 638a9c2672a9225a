package checker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestTwoInstancesRecordOneEvent: two instances sharing one database
// (one SQLite file, two stores) record the same transition, each from its
// own vantage, in rounds at the same instant (one cron spec) or a moment
// apart, one after the other or at once: one outage event, whichever
// instance wrote it. Its dedup key names the service, the state and the
// round's time, never the instance; and the state both read in their
// transaction has moved once the first committed.
func TestTwoInstancesRecordOneEvent(t *testing.T) {
	for _, c := range []struct {
		name     string
		apart    time.Duration
		together bool
	}{
		{"same instant, one after the other", 0, false},
		{"same instant, at once", 0, true},
		{"a moment apart", 2 * time.Second, false},
		{"a moment apart, at once", 2 * time.Second, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock()
			lyon, path := storeOnFile(t, clk)
			paris := openStore(t, path, clk)
			t.Cleanup(func() { paris.Close() })
			record := func(st *storage.Store, vantage string, at time.Time, state status.State) error {
				r := resultOf("monlycee", state, "waiting_room")
				r.Vantage = vantage
				_, err := Record(context.Background(), st, RoundInput{
					Round:   storage.Round{Vantage: vantage, StartedAt: at, FinishedAt: at.Add(time.Second), Services: 1},
					Results: []storage.CheckResult{r},
				}, immediate)
				return err
			}
			for _, st := range []struct {
				s *storage.Store
				v string
			}{{lyon, "lyon"}, {paris, "paris"}} {
				if err := record(st.s, st.v, minute(0), status.Up); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			run := func(i int, st *storage.Store, vantage string, at time.Time) {
				if c.together {
					wg.Go(func() { errs[i] = record(st, vantage, at, status.Down) })
				} else {
					errs[i] = record(st, vantage, at, status.Down)
				}
			}
			run(0, lyon, "lyon", minute(1))
			run(1, paris, "paris", minute(1).Add(c.apart))
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			evs := storedEvents(t, path)
			if len(evs) != 1 || evs[0].kind != string(status.KindOutage) {
				t.Fatalf("events %+v, want one outage", evs)
			}
			// The key is the one either instance would write for the round
			// it recorded: nothing in it says which instance.
			want := map[string]bool{}
			for _, at := range []time.Time{minute(1), minute(1).Add(c.apart)} {
				want[fmt.Sprintf("state:monlycee:down:%d", at.UnixMilli())] = true
			}
			if !want[evs[0].dedupKey] {
				t.Errorf("dedup key %q, want one of %v", evs[0].dedupKey, want)
			}
		})
	}
}
