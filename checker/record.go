package checker

import (
	"context"
	"errors"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// Decider computes a service's next state from its previous one and the
// round's result: Decide with the thresholds and the catalog URL. It must
// be pure (no Store call: it runs inside the round's transaction). Only the
// State, Reason, Since, Candidate, SeenURL and Unverified fields of what it
// returns are used.
type Decider func(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState

// Updater lends one write transaction; *storage.Store has it. Record runs a
// whole round in one, so that a crash mid-round leaves nothing half-written.
type Updater interface {
	Update(ctx context.Context, fn func(tx *storage.Tx) error) error
}

// RoundInput is everything Record writes for one round.
type RoundInput struct {
	Round    storage.Round
	Results  []storage.CheckResult // one per service, in the order events are to be written; At is taken from Round.StartedAt when zero
	Canaries []storage.CheckResult // stored for the record, never judged
	// VoteSince, when not zero, makes the round a vote among the instances
	// sharing the database (see vote): Record reads, in its transaction,
	// the latest round of every other vantage started at or after
	// VoteSince, and judges each service on their combined observation
	// instead of Results alone. Round.Vantage names this instance, and
	// Round's counts and Voided stay its own. Zero: Results alone, which
	// is the same vote with one vantage.
	VoteSince time.Time
	// MaxGap is the longest time between two checks of a service that is
	// counted in the state it held; beyond it (the checker was stopped) the
	// time counts as unknown. Zero means DefaultMaxGap.
	MaxGap time.Duration
}

// DefaultMaxGap is the MaxGap of a RoundInput that leaves it zero: ten
// rounds of the default schedule.
const DefaultMaxGap = 10 * time.Minute

// Transition is a confirmed change of a service's judged state. Announced
// tells whether an event row was written for it (not during a maintenance,
// not for unknown→up).
type Transition struct {
	ServiceID  string
	From, To   status.State
	Reason     status.Reason
	At         time.Time
	Since      time.Time
	IncidentID int64
	Announced  bool
	EventID    int64
	EventKind  status.Kind // the kind of event EventID, "" when none was written
	Sightings  []Sighting  // what each vantage counted by the vote saw of the service
}

// RoundOutcome tells the checker what its round changed.
type RoundOutcome struct {
	RoundID     int64
	Transitions []Transition
	Events      int // event rows written, including announcements of states hidden by a maintenance that ended
	// Unverified lists the results whose service the Decider has just
	// marked unverified (it was not before this round): never seen
	// answering since it entered the catalog at its URL.
	Unverified []storage.CheckResult
	// Voided tells that the round changed no state: no vantage was
	// counted (with one vantage, its guard voided the round).
	Voided bool
	// Counted lists the vantages the vote counted: this instance first
	// (when counted), then by name.
	Counted []string
}

// Record stores a round in one transaction: the round row, every result,
// and, unless the round is voided, for each service its next state (from
// decide), the time elapsed since its previous check (uptime), the opening
// or closing of its incident and, for a change families must hear about,
// an event row. What decide judges is the vote's observation of the
// service (see RoundInput.VoteSince): with one vantage, its result. A
// voided round only stores its rows and counts the elapsed time as
// unknown: no state, candidate or event changes. Each service's previous
// state is read inside the transaction, so that a maintenance declared
// meanwhile (the bot's /maintenance) is never overwritten.
func Record(ctx context.Context, u Updater, in RoundInput, decide Decider) (RoundOutcome, error) {
	if decide == nil && (!in.Round.Voided || !in.VoteSince.IsZero()) {
		return RoundOutcome{}, errors.New("checker: record round: nil Decider")
	}
	if in.MaxGap <= 0 {
		in.MaxGap = DefaultMaxGap
	}
	in.Round.Judged = true // what the pages' freshness reads (LastJudgedRound), voided or not
	var out RoundOutcome
	err := u.Update(ctx, func(tx *storage.Tx) error {
		out = RoundOutcome{}
		id, err := insertRound(ctx, tx, in)
		if err != nil {
			return err
		}
		out.RoundID = id
		t, err := tallyRound(ctx, tx, in)
		if err != nil {
			return err
		}
		out.Voided, out.Counted = t.voided, t.counted
		at := in.Round.StartedAt
		for _, o := range t.observations {
			r := dated(o.result, at)
			if len(o.sightings) == 0 {
				err = tx.VoidUptime(ctx, r.ServiceID, at)
			} else {
				err = apply(ctx, tx, in, decide, r, o.sightings, &out)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return RoundOutcome{}, err
	}
	return out, nil
}

// WriteRound stores a round's rows alone, in one transaction: the round
// and its results, under Round.Vantage. It is what an instance that is not
// the leader does with its probes, which the leader's next vote reads; no
// state, uptime, incident or event changes, and the round is not Judged.
func WriteRound(ctx context.Context, u Updater, in RoundInput) (int64, error) {
	in.Round.Judged = false
	var id int64
	err := u.Update(ctx, func(tx *storage.Tx) error {
		var err error
		id, err = insertRound(ctx, tx, in)
		return err
	})
	return id, err
}

// insertRound writes the round row and its results (services, then
// canaries), each under the round's vantage, and returns the round's id.
func insertRound(ctx context.Context, tx *storage.Tx, in RoundInput) (int64, error) {
	id, err := tx.InsertRound(ctx, in.Round)
	if err != nil {
		return 0, err
	}
	for _, list := range [][]storage.CheckResult{in.Results, in.Canaries} {
		for _, r := range list {
			r = dated(r, in.Round.StartedAt)
			r.Vantage = in.Round.Vantage
			if err := tx.InsertResult(ctx, id, r); err != nil {
				return 0, err
			}
		}
	}
	return id, nil
}

// tallyRound is the vote over this round and, when in.VoteSince is set,
// the latest rounds of the other vantages since then.
func tallyRound(ctx context.Context, tx *storage.Tx, in RoundInput) (tally, error) {
	own := ballot{vantage: in.Round.Vantage, startedAt: in.Round.StartedAt, voided: in.Round.Voided, results: in.Results}
	if in.VoteSince.IsZero() {
		return vote(own, nil, in.Round.StartedAt), nil
	}
	rounds, err := tx.OtherVantageRounds(ctx, in.Round.Vantage, in.VoteSince)
	if err != nil {
		return tally{}, err
	}
	others := make([]ballot, 0, len(rounds))
	for _, vr := range rounds {
		others = append(others, ballot{vantage: vr.Round.Vantage, startedAt: vr.Round.StartedAt, voided: vr.Round.Voided, results: vr.Results})
	}
	return vote(own, others, in.VoteSince), nil
}

// dated is r dated at when it carries no time of its own.
func dated(r storage.CheckResult, at time.Time) storage.CheckResult {
	if r.At.IsZero() {
		r.At = at
	}
	return r
}

// apply moves one service forward: uptime since its previous check, the
// judged state, its incident and its announcement.
func apply(ctx context.Context, tx *storage.Tx, in RoundInput, decide Decider, r storage.CheckResult, seen []Sighting, out *RoundOutcome) error {
	at := in.Round.StartedAt
	prev, err := tx.ServiceState(ctx, r.ServiceID, at)
	if err != nil {
		return err
	}
	if err := tx.AttributeUptime(ctx, prev, at, in.MaxGap); err != nil {
		return err
	}
	j := decide(prev, r)
	next := prev
	next.State, next.Reason, next.Since = j.State, j.Reason, j.Since
	next.CandidateState, next.CandidateReason = j.CandidateState, j.CandidateReason
	next.CandidateCount, next.CandidateSince = j.CandidateCount, j.CandidateSince
	next.SeenURL, next.Unverified = j.SeenURL, j.Unverified
	if next.Unverified && !prev.Unverified {
		out.Unverified = append(out.Unverified, r)
	}
	next.LastCheckedAt, next.LastState, next.LastReason = at, r.State, r.Reason
	next.LastHTTPStatus, next.LastLatency = r.HTTPStatus, r.Latency
	var tr *Transition
	if next.State != prev.State {
		tr = &Transition{ServiceID: r.ServiceID, From: prev.State, To: next.State, Reason: next.Reason, At: at, Since: next.Since,
			Sightings: seen}
		if tr.IncidentID, err = moveIncident(ctx, tx, prev, next, at); err != nil {
			return err
		}
	}
	if !next.InMaintenance(at) && next.State != next.AnnouncedState {
		evID, kind, err := announce(ctx, tx, next, r, at)
		if err != nil {
			return err
		}
		if evID != 0 {
			out.Events++
		}
		if tr != nil {
			tr.Announced, tr.EventID, tr.EventKind = evID != 0, evID, kind
		}
		next.AnnouncedState, next.AnnouncedSince = next.State, next.Since
	}
	if tr != nil {
		out.Transitions = append(out.Transitions, *tr)
	}
	return tx.PutServiceState(ctx, next)
}

// moveIncident opens an incident when a service becomes down and closes it
// when it leaves down. It returns the incident concerned, or 0.
func moveIncident(ctx context.Context, tx *storage.Tx, prev, next storage.ServiceState, at time.Time) (int64, error) {
	switch {
	case prev.State == status.Down:
		end := next.State
		if end == status.Unknown { // its URL changed in the catalog: no end state to tell
			end = ""
		}
		return tx.CloseIncident(ctx, next.ServiceID, next.Since, end)
	case next.State == status.Down:
		return tx.OpenIncident(ctx, next.ServiceID, next.Reason, next.Since, prev.InMaintenance(at))
	}
	return 0, nil
}
