package storage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
)

func TestIncidentsFilter(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// a: outage 0→2 (closed); b: outage from 3 (open); c: outage 1→4 (closed).
		err := s.Update(ctx, func(tx *Tx) error {
			var errs [5]error
			_, errs[0] = tx.OpenIncident(ctx, "a", "timeout", minute(0), false)
			_, errs[1] = tx.OpenIncident(ctx, "c", "http_status", minute(1), false)
			_, errs[2] = tx.CloseIncident(ctx, "a", minute(2), status.Up)
			_, errs[3] = tx.OpenIncident(ctx, "b", "waiting_room", minute(3), false)
			_, errs[4] = tx.CloseIncident(ctx, "c", minute(4), status.Up)
			return errors.Join(errs[:]...)
		})
		if err != nil {
			t.Fatal(err)
		}

		ids := func(in []Incident) []string {
			var out []string
			for _, i := range in {
				out = append(out, i.ServiceID)
			}
			return out
		}
		tests := []struct {
			name string
			f    IncidentFilter
			want []string
		}{
			{"all, newest first", IncidentFilter{}, []string{"b", "c", "a"}},
			{"by service", IncidentFilter{ServiceIDs: []string{"a", "c"}}, []string{"c", "a"}},
			{"since: ongoing or ended after", IncidentFilter{Since: minute(3)}, []string{"b", "c"}},
			{"limit", IncidentFilter{Limit: 1}, []string{"b"}},
			{"unknown service", IncidentFilter{ServiceIDs: []string{"zzz"}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Incidents(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(got), tt.want) {
					t.Fatalf("Incidents(%+v) = %v, want %v", tt.f, ids(got), tt.want)
				}
			})
		}
		open, err := s.OpenIncidents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0].ServiceID != "b" || open[0].Reason != "waiting_room" || !open[0].Open() ||
			open[0].Duration(minute(13)) != 10*time.Minute {
			t.Fatalf("OpenIncidents %+v, want b's outage, 10 minutes long at minute 13", open)
		}
	})
}

// OpenIncident and CloseIncident return the incident concerned, closing
// only the open one; the ids of a service's open and latest incidents are
// read in the same transaction.
func TestIncidentOpenClose(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		type ids struct{ opened, open, closed, openAfter, latest, closedAgain int64 }
		var got ids
		err := s.Update(ctx, func(tx *Tx) error {
			var errs [6]error
			got.opened, errs[0] = tx.OpenIncident(ctx, "a", "timeout", minute(0), true)
			got.open, errs[1] = tx.OpenIncidentID(ctx, "a")
			got.closed, errs[2] = tx.CloseIncident(ctx, "a", minute(5), "")
			got.openAfter, errs[3] = tx.OpenIncidentID(ctx, "a")
			got.latest, errs[4] = tx.LatestIncidentID(ctx, "a")
			got.closedAgain, errs[5] = tx.CloseIncident(ctx, "a", minute(6), status.Up)
			return errors.Join(errs[:]...)
		})
		if err != nil {
			t.Fatal(err)
		}
		id := got.opened
		if want := (ids{id, id, id, 0, id, 0}); id == 0 || got != want {
			t.Fatalf("ids %+v, want %+v", got, want)
		}
		inc, err := s.Incidents(ctx, IncidentFilter{})
		if err != nil || len(inc) != 1 || !inc[0].Maintenance || inc[0].EndState != "" || !inc[0].EndedAt.Equal(minute(5)) {
			t.Fatalf("incidents %+v, %v; want one, opened in maintenance, closed at minute 5 without an end state", inc, err)
		}
	})
}
