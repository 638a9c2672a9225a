package web

import (
	"time"

	"sentinelle/catalog"
)

// academyZone is an académie page's view of the snapshot in the académie's
// own time: a family in La Réunion reads its portal's outage at 7 h 32,
// not 5 h 32. The snapshot is shared with the overview, which stays in
// the server's time (Paris), so the views are copied, not changed.
type academyZone struct {
	loc *time.Location
	// Label names the zone (« heure de La Réunion ») when it is not the
	// server's; empty otherwise.
	Label string
}

func (s *Server) zoneOf(a catalog.Academy) academyZone {
	loc := a.Location()
	z := academyZone{loc: loc}
	if loc.String() != s.loc.String() {
		z.Label = catalog.ZoneLabel(loc)
	}
	return z
}

// at moves t into the zone; the zero time stays zero.
func (z academyZone) at(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(z.loc)
}

func (z academyZone) service(v *serviceView) *serviceView {
	c := *v
	c.Since, c.MaintenanceUntil, c.LastCheckedAt = z.at(v.Since), z.at(v.MaintenanceUntil), z.at(v.LastCheckedAt)
	return &c
}

func (z academyZone) services(vs []*serviceView) []*serviceView {
	out := make([]*serviceView, len(vs))
	for i, v := range vs {
		out[i] = z.service(v)
	}
	return out
}

func (z academyZone) academy(av *academyView) *academyView {
	c := *av
	c.Since, c.Until = z.at(av.Since), z.at(av.Until)
	c.Services = z.services(av.Services)
	return &c
}

func (z academyZone) checker(c checkerStatus) checkerStatus {
	c.Round.StartedAt, c.Round.FinishedAt = z.at(c.Round.StartedAt), z.at(c.Round.FinishedAt)
	c.Judged.StartedAt, c.Judged.FinishedAt = z.at(c.Judged.StartedAt), z.at(c.Judged.FinishedAt)
	return c
}

func (z academyZone) incidents(list []incidentView) []incidentView {
	for i := range list {
		list[i].StartedAt, list[i].EndedAt = z.at(list[i].StartedAt), z.at(list[i].EndedAt)
	}
	return list
}
