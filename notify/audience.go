package notify

// Who hears an event: the meaning of a storage.ExpandSpec, written once.
//
// Hears is THE definition of which chats an expansion gives a delivery
// row. storage implements the same rule in SQL for speed (one INSERT …
// SELECT per chunk of chats: a national outage reaches 100,000 chats in a
// third of a second; see deliveriesQuery, audienceClause and prefClause
// in storage/outbox_expand.go), and TestHearsMatchesExpansion holds the
// two together over random worlds and specs: a change to one is a change
// to the other. Some branches look odd; they are the SQL's, kept as they
// are, and said where they are written below.

import (
	"math"
	"slices"

	"sentinelle/status"
	"sentinelle/storage"
)

// ChatFacts is what the database holds about one chat that decides
// whether it hears an event: its row of chats, its subscriptions with
// their départements, its class memberships, and the events it was sent.
type ChatFacts struct {
	ID     int64
	Active bool
	// Levels is chats.levels (status.LevelMask); 0 when the person
	// gave none.
	Levels        status.LevelMask
	AlertOutage   bool
	AlertDegraded bool
	AlertRecovery bool
	Subscriptions []SubscriptionFacts
	Classes       []ClassFacts
	// Sent are the events whose delivery to the chat was sent (state
	// "sent"); those among the spec's Prior are the news it was told.
	Sent []int64
}

// SubscriptionFacts is one académie a chat follows.
type SubscriptionFacts struct {
	Academie string
	// Departements narrows the subscription to those départements
	// (catalog codes); none means the whole académie.
	Departements []string
}

// ClassFacts is one class a chat is a member of, as it stands.
type ClassFacts struct {
	ClassID  int64
	Academie string
	Closed   bool
	PlanB    string // the text; "" when there is none
	// ServiceID is the ENT the class is bound to, "" when unbound.
	ServiceID string
}

// Hears tells whether expanding an event with spec gives the chat a
// delivery row: THE meaning of a spec, which storage's SQL implements for
// speed (see the top of this file). A spec storage refuses (no audience,
// an unknown Pref) reaches nobody.
func Hears(spec storage.ExpandSpec, c ChatFacts) bool {
	// The expansion's cursor starts at the smallest int64, excluded.
	return HearsInStep(spec, math.MinInt64, math.MaxInt64, c)
}

// HearsInStep tells whether one expansion step, over the chats whose ids
// are in (lo, hi], gives the chat its row. A spec with ChatID or ClassID
// is expanded in one step over every chat; the others in chunks of
// spec.ChunkSize chats (storage.DefaultExpandChunk when not positive).
func HearsInStep(spec storage.ExpandSpec, lo, hi int64, c ChatFacts) bool {
	if c.ID <= lo || c.ID > hi || !expandable(spec) || !inAudience(spec, c) {
		return false
	}
	// Members of a class with a plan B hear its ENT's outage whatever
	// their levels and settings, as long as the audience holds them.
	return passesFilters(spec, c) || hearsForPlanB(spec, c)
}

// expandable tells whether storage accepts the spec: it names an audience
// and a known preference.
func expandable(spec storage.ExpandSpec) bool {
	if spec.ChatID == 0 && spec.ClassID == 0 && !spec.Everyone && len(spec.Academies) == 0 {
		return false
	}
	switch spec.Pref {
	case storage.PrefNone, storage.PrefOutage, storage.PrefDegraded, storage.PrefDegradedAfterDown, storage.PrefRecovery:
		return true
	}
	return false
}

// inAudience tells whether the chat is among the people the spec chooses,
// before levels and settings. The first of ChatID, ClassID, Everyone and
// Academies that is set chooses; the others are then ignored (except
// Academies by PlanBMembers, see hearsForPlanB).
func inAudience(spec storage.ExpandSpec, c ChatFacts) bool {
	switch {
	case spec.ChatID != 0:
		// A reply answers whoever asked, active or not.
		return c.ID == spec.ChatID
	case spec.ClassID != 0:
		return c.Active && slices.ContainsFunc(c.Classes, func(k ClassFacts) bool {
			return k.ClassID == spec.ClassID && !k.Closed
		})
	case spec.Everyone:
		// Départements and ClassService narrow nothing here.
		return c.Active && (len(c.Subscriptions) > 0 ||
			spec.WithClasses && slices.ContainsFunc(c.Classes, func(k ClassFacts) bool { return !k.Closed }))
	case len(spec.Academies) > 0:
		return c.Active && (slices.ContainsFunc(c.Subscriptions, func(s SubscriptionFacts) bool {
			return slices.Contains(spec.Academies, s.Academie) && followsDepartements(spec, s)
		}) || spec.WithClasses && slices.ContainsFunc(c.Classes, func(k ClassFacts) bool {
			// Classes are not narrowed by départements. With no
			// ClassService, a class bound to any ENT is kept.
			return !k.Closed && slices.Contains(spec.Academies, k.Academie) &&
				(spec.ClassService == "" || k.ServiceID == "" || k.ServiceID == spec.ClassService)
		}))
	}
	return false
}

// followsDepartements tells whether a subscription to one of the spec's
// académies concerns the event: it follows the whole académie, or one of
// the spec's départements (which, when none, narrow nothing).
func followsDepartements(spec storage.ExpandSpec, s SubscriptionFacts) bool {
	return len(spec.Departements) == 0 || len(s.Departements) == 0 ||
		slices.ContainsFunc(s.Departements, func(d string) bool { return slices.Contains(spec.Departements, d) })
}

// passesFilters tells whether the chat's levels meet the spec's (a chat
// that gave none meets every mask; a zero mask keeps everybody) and its
// settings ask for this kind of news.
func passesFilters(spec storage.ExpandSpec, c ChatFacts) bool {
	levels := spec.LevelMask == 0 || c.Levels == 0 || c.Levels&spec.LevelMask != 0
	return levels && wantsNews(spec, c)
}

// wantsNews applies spec.Pref to the chat's alert settings.
func wantsNews(spec storage.ExpandSpec, c ChatFacts) bool {
	switch spec.Pref {
	case storage.PrefNone:
		return true
	case storage.PrefOutage:
		return c.AlertOutage
	case storage.PrefDegraded:
		return c.AlertDegraded
	case storage.PrefDegradedAfterDown:
		// Slowness alerts, or told of the outage and wanting its end.
		return c.AlertDegraded || c.AlertRecovery && wasSentPrior(spec, c)
	case storage.PrefRecovery:
		// Told of the outage; or, RecoveryOnly, asking for recoveries and
		// not for outages (whatever it was told).
		return c.AlertRecovery && (wasSentPrior(spec, c) || spec.RecoveryOnly && !c.AlertOutage)
	}
	return false
}

// wasSentPrior tells whether the chat was sent one of the spec's Prior
// events.
func wasSentPrior(spec storage.ExpandSpec, c ChatFacts) bool {
	return slices.ContainsFunc(c.Sent, func(id int64) bool { return slices.Contains(spec.Prior, id) })
}

// hearsForPlanB tells whether PlanBMembers lets the chat past the filters:
// it is a member of an open class with a plan B of one of the spec's
// académies, bound to no ENT or to spec.ClassService. It applies whatever
// audience chose the chat, as soon as Academies is set. Unlike the
// audience's, the service test is not lifted by an empty ClassService:
// then only unbound classes count. A plan B of blanks counts as one
// (hasPlanB, at send time, does not).
func hearsForPlanB(spec storage.ExpandSpec, c ChatFacts) bool {
	if !spec.PlanBMembers || len(spec.Academies) == 0 {
		return false
	}
	return slices.ContainsFunc(c.Classes, func(k ClassFacts) bool {
		return !k.Closed && k.PlanB != "" && slices.Contains(spec.Academies, k.Academie) &&
			(k.ServiceID == "" || k.ServiceID == spec.ClassService)
	})
}
