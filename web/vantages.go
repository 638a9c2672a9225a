package web

import (
	"context"
	"strings"
	"time"

	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// Several instances may share the database, each probing from where it runs
// (its vantage, VANTAGE) and writing its own rounds and results; the leader
// alone judges, by a vote over the latest round of each vantage, and writes
// the states, uptime and incidents. So what the pages read is of two kinds:
//
//   - the judged view, one per service whatever the number of vantages:
//     service_states (state, reason, since, and the « dernier essai »: the
//     result of the vantage the vote took the state from), uptime_hourly
//     (the availability figures and the 90-day bars) and incidents;
//   - the raw rounds and results, one set per vantage, which must never be
//     mixed: what each vantage saw last (vantageSeen), what each saw during
//     an incident (storage.IncidentSighting), the 24-hour latency charts (one
//     per vantage, see chartsOf) and whether checking is suspended (every
//     live vantage voided, see checkerStatus). « Dernière vérification »
//     and checked_at are the end of the latest round of any vantage: the
//     last time anyone checked.
//
// Whether the judged view is current is read from the latest round the
// leader judged (storage.Round.Judged), not from the latest round of any
// vantage: a follower that goes on probing while no instance leads, or
// while the leader's checker is stuck, keeps checked_at fresh, yet the
// states stand still. Then the page says « Mises à jour interrompues »,
// /api/status judgement_stale (and judged_at, the last judgement) and
// /readyz fails on every instance (see checkerStatus.Unjudged, readyz).
//
// With one vantage nothing visible changes on the pages; the API always
// lists the vantages, one entry then.

// vantageSeen is what one vantage saw of a service in its latest round.
type vantageSeen struct {
	Vantage string
	Result  storage.CheckResult
	Voided  bool // its own guard voided that round: the vote did not count it
}

// liveSince is the start from which a vantage's latest round is shown as
// live: that of a round the page does not call stale (MaxRoundAge; a day
// when nothing is ever stale). The vote counts a vantage for two intervals
// and MaxRoundAge is three: a vantage one round late is still shown.
func (s *Server) liveSince(now time.Time) time.Time {
	if s.maxRoundAge < 0 {
		return now.Add(-24 * time.Hour)
	}
	return now.Add(-s.maxRoundAge)
}

// seenBy sorts the live vantages' latest results by service.
func seenBy(rounds []storage.VantageRound) map[string][]vantageSeen {
	out := map[string][]vantageSeen{}
	for _, vr := range rounds {
		for _, r := range vr.Results {
			out[r.ServiceID] = append(out[r.ServiceID], vantageSeen{Vantage: vr.Round.Vantage, Result: r, Voided: vr.Round.Voided})
		}
	}
	return out
}

// allVoided reports whether every live vantage's latest round was voided by
// its own guard: then the vote counted none and states stand still. False
// without any.
func allVoided(rounds []storage.VantageRound) bool {
	for _, vr := range rounds {
		if !vr.Round.Voided {
			return false
		}
	}
	return len(rounds) > 0
}

// seenSentence says in French what each vantage saw of a service in its
// latest round, for a page: « Vu depuis paris-1 : panne, ne répond pas ;
// depuis lyon-2 : fonctionne. » Empty with one vantage or none: one point
// of view is the state already shown.
func seenSentence(seen []vantageSeen) string {
	if len(seen) < 2 {
		return ""
	}
	parts := make([]string, len(seen))
	for i, v := range seen {
		what := stateLabel(v.Result.State)
		if text := reasonLabel(v.Result.Reason); text != "" && v.Result.State != status.Up {
			what += ", " + text
		}
		if v.Voided {
			what += " (non compté : sa propre connexion était en panne)"
		}
		parts[i] = "depuis " + v.Vantage + " : " + what
	}
	return "Vu " + strings.Join(parts, " ; ") + "."
}

// incidentSentence says in French which vantages saw an incident's
// failure: « Vu en panne depuis paris-1 (12 contrôles sur 12) ; vu en ligne
// depuis lyon-2. » Empty with one vantage or none.
func incidentSentence(seen []storage.IncidentSighting) string {
	if len(seen) < 2 {
		return ""
	}
	parts := make([]string, len(seen))
	for i, v := range seen {
		if v.Failed == 0 {
			parts[i] = "vu en ligne depuis " + v.Vantage
			continue
		}
		parts[i] = "vu en panne depuis " + v.Vantage + " (" + french.Number(v.Failed) + " " +
			plural(v.Failed, "contrôle", "contrôles") + " sur " + french.Number(v.Rounds) + ")"
	}
	s := strings.Join(parts, " ; ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// withSightings attaches to each incident what each vantage saw during it.
func (s *Server) withSightings(ctx context.Context, list []incidentView, now time.Time) error {
	incidents := make([]storage.Incident, len(list))
	for i, in := range list {
		incidents[i] = in.Incident
	}
	seen, err := s.store.IncidentSightings(ctx, incidents, now)
	if err != nil {
		return err
	}
	byID := map[int64][]storage.IncidentSighting{}
	for _, v := range seen {
		byID[v.IncidentID] = append(byID[v.IncidentID], v)
	}
	for i := range list {
		list[i].Seen = byID[list[i].ID]
	}
	return nil
}

// apiVantage is what one vantage saw of a service in its latest round, in
// /api/status: the probe's own judgement (State up, degraded or down; OK
// when usable, up or degraded), not the judged state of the service.
// Voided: that round's own guard voided it (every canary failed: its
// network, not the service), so the vote did not count it.
type apiVantage struct {
	Vantage    string        `json:"vantage"`
	State      status.State  `json:"state"`
	OK         bool          `json:"ok"`
	Reason     status.Reason `json:"reason"` // empty when up
	ReasonText string        `json:"reason_text"`
	HTTPStatus int           `json:"http_status"` // 0 without an HTTP answer
	LatencyMS  int64         `json:"latency_ms"`
	At         *string       `json:"at"`
	Voided     bool          `json:"voided"`
}

func toAPIVantages(seen []vantageSeen) []apiVantage {
	out := make([]apiVantage, 0, len(seen))
	for _, v := range seen {
		r := v.Result
		a := apiVantage{Vantage: v.Vantage, State: r.State, OK: r.State != status.Down, Reason: r.Reason,
			ReasonText: reasonLabel(r.Reason), HTTPStatus: r.HTTPStatus, LatencyMS: r.Latency.Milliseconds(), At: apiTime(r.At), Voided: v.Voided}
		if r.State == status.Up || r.Reason == status.ReasonOK {
			a.Reason, a.ReasonText = "", ""
		}
		out = append(out, a)
	}
	return out
}

// apiIncidentVantage is what one vantage saw during an incident, in
// /api/incidents: of its Rounds that probed the service (rounds its own
// guard voided left out), Failed saw it down, the first and last at those
// times, the last for LastReason.
type apiIncidentVantage struct {
	Vantage        string        `json:"vantage"`
	Rounds         int           `json:"rounds"`
	Failed         int           `json:"failed"`
	FirstFailureAt *string       `json:"first_failure_at"`
	LastFailureAt  *string       `json:"last_failure_at"`
	LastReason     status.Reason `json:"last_reason"`
	LastReasonText string        `json:"last_reason_text"`
}

func toAPIIncidentVantages(seen []storage.IncidentSighting) []apiIncidentVantage {
	out := make([]apiIncidentVantage, 0, len(seen))
	for _, v := range seen {
		out = append(out, apiIncidentVantage{Vantage: v.Vantage, Rounds: v.Rounds, Failed: v.Failed,
			FirstFailureAt: apiTime(v.FirstFailure), LastFailureAt: apiTime(v.LastFailure),
			LastReason: v.LastReason, LastReasonText: reasonLabel(v.LastReason)})
	}
	return out
}
