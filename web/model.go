package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// historyDays is the length of the daily bars: a school term and a bit, the
// span over which a family judges whether its ENT can be relied upon.
const historyDays = 90

// availability is one uptime figure, ok false without data.
type availability struct {
	Ratio float64
	OK    bool
}

// serviceView is one service as every page shows it. State is what is
// shown: the judged state, or maintenance while one is declared.
type serviceView struct {
	catalog.Service
	State            status.State
	Reason           status.Reason
	Since            time.Time // in the page's location; zero when never judged
	MaintenanceUntil time.Time
	// The Last fields are the judged view's latest probe: that of the
	// vantage the leader's vote took the state from (service_states).
	LastCheckedAt  time.Time
	LastHTTPStatus int
	LastLatency    time.Duration
	// Seen is what each live vantage saw in its latest round, by vantage
	// name; one entry with one instance.
	Seen        []vantageSeen
	Up24h, Up7d availability
	Up30d       availability
	Days        []storage.DayState
}

// academyView is an académie with the state of its worst own service.
type academyView struct {
	catalog.Academy
	State    status.State
	Since    time.Time // when the shown state began; zero when unknown
	Until    time.Time // end of the maintenance when State is maintenance
	Services []*serviceView
	Days     []status.State // worst state of each of the last historyDays days
	DayStart time.Time
}

// regionView groups académies as the ministry does, in régions académiques.
type regionView struct {
	Name      string
	Academies []*academyView
}

// incidentView is an incident with what a reader needs around it.
type incidentView struct {
	storage.Incident
	Service   catalog.Service
	Academies []catalog.Academy
	Lasted    time.Duration // until now while open
	// Seen is what each vantage saw during the incident, by name; filled
	// where it is shown (withSightings), nil elsewhere.
	Seen []storage.IncidentSighting
}

// checkerStatus says whether the states shown can be trusted now.
type checkerStatus struct {
	Round     storage.Round // the latest round of any vantage
	HasRound  bool
	Suspended bool // the vote counted no vantage: each live one's latest round was voided by its guard
	Stale     bool // no round finished within MaxRoundAge
	// Judged is the latest round the vote judged (the leader's, see
	// storage.Round.Judged), HasJudged false when there is none. The
	// states move only with judged rounds: JudgementStale says that none
	// finished within MaxRoundAge (without any, that the service started
	// longer ago than that), whatever the followers' rounds say. With one
	// instance every round is judged, and it says what Stale says.
	Judged         storage.Round
	HasJudged      bool
	JudgementStale bool
	// Vantages is the latest round of each live vantage (see liveSince),
	// by name; with one instance, its latest round.
	Vantages []storage.VantageRound
}

// Online is the checker_online of the API: a round finished recently, it
// was not voided and one was judged recently, so the states are current.
func (c checkerStatus) Online() bool {
	return c.HasRound && !c.Suspended && !c.Stale && !c.JudgementStale
}

// Unjudged tells that instances still probe (the rounds are fresh) but
// none judges (no instance leads, or the leader's checker is stuck): the
// states stand still although the page's « dernière vérification » is
// recent. It is what the page and /readyz say then, before a suspension,
// which would promise an update that nobody is there to make.
func (c checkerStatus) Unjudged() bool { return c.HasRound && !c.Stale && c.JudgementStale }

// snapshot is everything the overview and the API show, read at one moment.
type snapshot struct {
	Now       time.Time
	Checker   checkerStatus
	Services  map[string]*serviceView
	National  []*serviceView
	Regions   []regionView
	Academies map[string]*academyView
	Open      []incidentView
	DayStart  time.Time // first day of the bars

	// page is the overview rendered from this snapshot, once: a rush of
	// parents then costs a copy of bytes, not a template execution each.
	page struct {
		once sync.Once
		body []byte
		err  error
	}
}

// buildSnapshot reads the states, uptimes and open incidents of every
// service of the catalog.
func (s *Server) buildSnapshot(ctx context.Context, now time.Time) (*snapshot, error) {
	snap := &snapshot{Now: now, Services: map[string]*serviceView{}, Academies: map[string]*academyView{}}
	var err error
	if snap.Checker, err = s.checkerStatus(ctx, now); err != nil {
		return nil, err
	}
	states, err := s.store.ServiceStates(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]storage.ServiceState, len(states))
	for _, st := range states {
		byID[st.ServiceID] = st
	}
	seen := seenBy(snap.Checker.Vantages)
	for _, svc := range s.cat.Services {
		v, err := s.serviceView(ctx, svc, byID[svc.ID], now)
		if err != nil {
			return nil, err
		}
		v.Seen = seen[svc.ID]
		snap.Services[svc.ID] = v
		if svc.National {
			snap.National = append(snap.National, v)
		}
	}
	dayStart := firstDay(now.In(s.loc), historyDays)
	snap.DayStart = dayStart
	for _, region := range s.cat.Regions() {
		rv := regionView{Name: region}
		for _, a := range s.cat.AcademiesIn(region) {
			av := academyOf(a, snap.Services, dayStart)
			rv.Academies = append(rv.Academies, av)
			snap.Academies[a.Slug] = av
		}
		snap.Regions = append(snap.Regions, rv)
	}
	open, err := s.store.OpenIncidents(ctx)
	if err != nil {
		return nil, err
	}
	snap.Open = s.incidentViews(open, now)
	return snap, nil
}

// checkerStatus reads the last round and judges whether it is recent, and
// the latest round of each live vantage: checking is suspended when the
// vote could count none of them (each voided by its own guard), not when
// one vantage's network failed while another's worked. Without a live
// vantage's round (rows written before vantages existed), the last round
// says it, as with one instance. The freshness of the states is that of
// the latest judged round (see lastJudged).
func (s *Server) checkerStatus(ctx context.Context, now time.Time) (checkerStatus, error) {
	live, err := s.store.LatestRounds(ctx, s.liveSince(now))
	if err != nil {
		return checkerStatus{}, err
	}
	c, err := s.lastRound(ctx, now)
	if err != nil {
		return c, err
	}
	if err := s.lastJudged(ctx, now, &c); err != nil {
		return checkerStatus{}, err
	}
	if len(live) > 0 {
		c.Vantages, c.Suspended = live, allVoided(live)
	}
	return c, nil
}

// lastJudged reads the latest judged round into c and judges whether it
// is recent, as lastRound does for the latest round of any vantage.
func (s *Server) lastJudged(ctx context.Context, now time.Time, c *checkerStatus) error {
	r, err := s.store.LastJudgedRound(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		c.JudgementStale = s.tooOld(now, s.startedAt)
		return nil
	}
	if err != nil {
		return err
	}
	c.Judged, c.HasJudged, c.JudgementStale = r, true, s.tooOld(now, r.FinishedAt)
	c.Judged.StartedAt, c.Judged.FinishedAt = s.local(r.StartedAt), s.local(r.FinishedAt)
	return nil
}

// tooOld reports whether what happened at t is older than MaxRoundAge.
func (s *Server) tooOld(now, t time.Time) bool {
	return s.maxRoundAge > 0 && now.Sub(t) > s.maxRoundAge
}

// lastRound reads the latest round of any vantage and judges whether it
// is recent.
func (s *Server) lastRound(ctx context.Context, now time.Time) (checkerStatus, error) {
	r, err := s.store.LastRound(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return checkerStatus{Stale: s.tooOld(now, s.startedAt)}, nil
	}
	if err != nil {
		return checkerStatus{}, err
	}
	c := checkerStatus{Round: r, HasRound: true, Suspended: r.Voided}
	c.Stale = s.tooOld(now, r.FinishedAt)
	c.Round.StartedAt, c.Round.FinishedAt = s.local(r.StartedAt), s.local(r.FinishedAt)
	return c, nil
}

// serviceView combines the catalog entry, the stored state and the uptime
// of one service.
func (s *Server) serviceView(ctx context.Context, svc catalog.Service, st storage.ServiceState, now time.Time) (*serviceView, error) {
	v := &serviceView{Service: svc, State: status.Unknown}
	if st.ServiceID != "" {
		v.State, v.Reason = st.State, st.Reason
		v.Since = s.local(st.Since)
		v.LastCheckedAt, v.LastHTTPStatus, v.LastLatency = s.local(st.LastCheckedAt), st.LastHTTPStatus, st.LastLatency
		if st.State == status.Unknown {
			v.Since = time.Time{}
		}
		if st.Unverified {
			v.State, v.Reason = stateUnverified, st.LastReason
		}
		if st.InMaintenance(now) {
			v.State, v.MaintenanceUntil = stateMaintenance, s.local(st.MaintenanceUntil)
		}
	}
	for _, p := range []struct {
		dst  *availability
		span time.Duration
	}{{&v.Up24h, 24 * time.Hour}, {&v.Up7d, 7 * 24 * time.Hour}, {&v.Up30d, 30 * 24 * time.Hour}} {
		u, err := s.store.Uptime(ctx, svc.ID, now.Add(-p.span), now)
		if err != nil {
			return nil, err
		}
		p.dst.Ratio, p.dst.OK = u.Availability()
	}
	days, err := s.store.DailyStates(ctx, svc.ID, historyDays, now.In(s.loc))
	if err != nil {
		return nil, fmt.Errorf("web: daily states: %w", err)
	}
	v.Days = days
	return v, nil
}

// academyOf gives an académie the state of its worst own service, dated
// from when that state began for it.
func academyOf(a catalog.Academy, services map[string]*serviceView, dayStart time.Time) *academyView {
	av := &academyView{Academy: a, State: status.Unknown, Days: make([]status.State, historyDays), DayStart: dayStart}
	for _, id := range a.Services {
		if v, ok := services[id]; ok {
			av.Services = append(av.Services, v)
			if stateRank(v.State) > stateRank(av.State) {
				av.State = v.State
			}
		}
	}
	for _, v := range av.Services {
		switch {
		case v.State != av.State:
		case av.State == stateMaintenance:
			if v.MaintenanceUntil.After(av.Until) {
				av.Until = v.MaintenanceUntil
			}
		case av.State == status.Up:
			// Up since the last of its services came back.
			if v.Since.After(av.Since) {
				av.Since = v.Since
			}
		case av.Since.IsZero() || v.Since.Before(av.Since):
			av.Since = v.Since
		}
	}
	for i := range av.Days {
		av.Days[i] = status.Unknown
		for _, v := range av.Services {
			if i < len(v.Days) && stateRank(v.Days[i].State) > stateRank(av.Days[i]) {
				av.Days[i] = v.Days[i].State
			}
		}
	}
	return av
}

// firstDay is the local midnight starting the first of the last n days
// ending with the day of now, as storage.DailyStates counts them.
func firstDay(now time.Time, n int) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d-n+1, 0, 0, 0, 0, now.Location())
}

// incidentViews attaches the catalog entries to incidents, leaving out
// services the catalog no longer has.
func (s *Server) incidentViews(list []storage.Incident, now time.Time) []incidentView {
	out := make([]incidentView, 0, len(list))
	for _, in := range list {
		svc, ok := s.cat.Service(in.ServiceID)
		if !ok {
			continue
		}
		lasted := in.Duration(now)
		in.StartedAt, in.EndedAt = s.local(in.StartedAt), s.local(in.EndedAt)
		out = append(out, incidentView{Incident: in, Service: svc, Academies: s.cat.AcademiesOf(svc.ID), Lasted: lasted})
	}
	return out
}

// local moves a stored time into the page's location; the zero time stays
// zero.
func (s *Server) local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(s.loc)
}
