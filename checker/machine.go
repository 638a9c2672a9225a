package checker

import (
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// Thresholds are how many consecutive rounds confirm a change: DownAfter
// rounds worse than the current state (up→degraded, up→down,
// degraded→down, unknown→degraded or down), UpAfter rounds better
// (down→degraded, down→up, degraded→up, unknown→up). With both at 2 or
// more, a service that alternates good and bad every round never changes
// state, so it never notifies anybody.
type Thresholds struct {
	DownAfter, UpAfter int
}

// severity orders the probe states; unknown is handled apart.
func severity(s status.State) int {
	switch s {
	case status.Down:
		return 2
	case status.Degraded:
		return 1
	}
	return 0
}

// direction is +1 when obs is worse than the current state, -1 when
// better, 0 when equal. From unknown, any bad probe points down and an up
// probe points up.
func direction(current, obs status.State) int {
	if current == status.Unknown {
		if obs == status.Up {
			return -1
		}
		return +1
	}
	switch d := severity(obs) - severity(current); {
	case d > 0:
		return +1
	case d < 0:
		return -1
	}
	return 0
}

// Next is the state machine of one service: it returns prev moved forward
// by the result r of a round at time at. It is pure, so that Record can
// run it inside the round's transaction.
//
// A result equal to the current state clears the candidate. A result on
// the same side of the current state as the candidate continues the
// streak; the candidate becomes the milder of the two (the state closest
// to the current one), so that up with rounds down, degraded, down is two
// rounds « at least degraded » and confirms degraded, not down. A result on
// the other side starts a new streak. When the streak reaches the
// threshold of its direction, the candidate becomes the state, dated from
// the streak's first round (the time families started to feel it).
func Next(prev storage.ServiceState, r storage.CheckResult, th Thresholds, at time.Time) storage.ServiceState {
	next := prev
	obs := r.State
	dir := direction(prev.State, obs)
	if dir == 0 {
		return clearCandidate(next)
	}
	if next.CandidateState != "" && next.CandidateCount > 0 && direction(prev.State, next.CandidateState) == dir {
		next.CandidateCount++
		switch {
		case obs == next.CandidateState:
			next.CandidateReason = r.Reason
		case milder(obs, next.CandidateState, dir):
			next.CandidateState, next.CandidateReason = obs, r.Reason
		}
	} else {
		next.CandidateState, next.CandidateReason, next.CandidateCount, next.CandidateSince = obs, r.Reason, 1, at
	}
	need := th.UpAfter
	if dir > 0 {
		need = th.DownAfter
	}
	if next.CandidateCount >= max(need, 1) {
		next.State, next.Reason, next.Since = next.CandidateState, next.CandidateReason, next.CandidateSince
		next = clearCandidate(next)
	}
	return next
}

// milder reports whether a is closer than b to the current state in
// direction dir: less bad when things get worse, less good when they get
// better.
func milder(a, b status.State, dir int) bool {
	if dir > 0 {
		return severity(a) < severity(b)
	}
	return severity(a) > severity(b)
}

func clearCandidate(s storage.ServiceState) storage.ServiceState {
	s.CandidateState, s.CandidateReason, s.CandidateCount, s.CandidateSince = "", "", 0, time.Time{}
	return s
}
