package storage

import (
	"context"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
)

func TestIncidentsFilter(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// a: outage 0→2 (closed); b: outage from 3 (open); c: outage 1→4 (closed).
	record(t, s, minute(0), res("a", status.Down, "timeout"), res("b", status.Up, "ok"), res("c", status.Up, "ok"))
	record(t, s, minute(1), res("c", status.Down, "http_status"))
	record(t, s, minute(2), res("a", status.Up, "ok"))
	record(t, s, minute(3), res("b", status.Down, "waiting_room"))
	record(t, s, minute(4), res("c", status.Up, "ok"))

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
}
