package status

// Kind is the kind of an event, as stored in events.kind. The first three
// are written by the checker when a service's state changes; the others by
// the bot.
type Kind string

// The event kinds.
const (
	KindOutage       Kind = "outage"
	KindDegraded     Kind = "degraded"
	KindRecovery     Kind = "recovery"
	KindClassNotice  Kind = "class_notice"
	KindAnnouncement Kind = "announcement"
	KindReply        Kind = "reply"
)

// AllKinds returns every event kind, in a new slice each time: a kind not
// listed is not an event's.
func AllKinds() []Kind {
	return []Kind{KindOutage, KindDegraded, KindRecovery, KindClassNotice, KindAnnouncement, KindReply}
}

// IsService tells the kinds that tell a change of a service's state: a
// later event about the same service makes their news untrue, so it
// supersedes them.
func (k Kind) IsService() bool {
	return k == KindOutage || k == KindDegraded || k == KindRecovery
}

// Announce is the kind of the event that tells families about a change
// from the state they were last told (from) to the judged one (to), or ""
// when there is nothing to tell:
//
//	to down                    outage (also from unknown: a fresh start during an outage announces it)
//	to degraded                degraded (also from down: the outage is over, the ENT is slow but usable)
//	to up from down/degraded   recovery
//	to up from unknown         nothing (a fresh start of a healthy service)
//	to the state it was        nothing
func Announce(from, to State) Kind {
	switch {
	case from == to:
		return ""
	case to == Down:
		return KindOutage
	case to == Degraded:
		return KindDegraded
	case to == Up && (from == Down || from == Degraded):
		return KindRecovery
	}
	return ""
}
