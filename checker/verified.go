package checker

import (
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// Seen reports whether a probe shows the portal itself answering: up,
// degraded (slow but right), or its own waiting room (the portal speaking,
// too busy to let people in). Anything else could as well be a wrong
// address in the catalog.
func Seen(r storage.CheckResult) bool {
	return r.State != status.Down || r.Reason == status.ReasonWaitingRoom
}

// Decide is the state machine of one service at its catalog URL: Next,
// behind the rule that nobody is told a portal is down when Sentinelle has
// never seen it up. A service whose every result since it entered the
// catalog at url failed is unverified: a catalog problem for the académie
// staff, not an outage for families. It stays unknown (no event, no
// uptime) until its first result that Seen accepts; from then on it is a
// normal service. A change of url in the catalog starts it over.
func Decide(prev storage.ServiceState, r storage.CheckResult, url string, th Thresholds, at time.Time) storage.ServiceState {
	if prev.SeenURL == storage.SeenURLUnrecorded {
		prev.SeenURL = url // seen before its URL was recorded: trust the catalog's
	}
	if prev.SeenURL != url {
		if !Seen(r) {
			return unverified(prev, at)
		}
		prev.SeenURL, prev.Unverified = url, false
	}
	return Next(prev, r, th, at)
}

// unverified is prev never seen at its current URL: unknown (since at,
// unless it already was), without a streak.
func unverified(prev storage.ServiceState, at time.Time) storage.ServiceState {
	next := clearCandidate(prev)
	if next.State != status.Unknown {
		next.State, next.Since = status.Unknown, at
	}
	next.Reason, next.SeenURL, next.Unverified = "", "", true
	return next
}
