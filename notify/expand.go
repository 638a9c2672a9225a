package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// expandBatch is how many new events one step looks at; each gets one
// chunk per step, so a reply written during a 100,000-recipient expansion
// waits for one chunk, not for the whole expansion.
const expandBatch = 16

// expand gives every event still to expand one step. It reports whether it
// made progress (then the pump steps again at once, claiming between
// chunks so that the first messages leave early).
func (p *pump) expand(ctx context.Context) (bool, error) {
	evs, err := p.d.store.NewEvents(ctx, expandBatch)
	if err != nil {
		return false, err
	}
	if len(evs) == 0 {
		p.expandHint = false
		return false, nil
	}
	progress := false
	for _, ev := range evs {
		did, err := p.expandOne(ctx, ev)
		if err != nil {
			return progress, err
		}
		progress = progress || did
	}
	return progress, nil
}

// expandOne runs one expansion step of ev. A service event first makes the
// earlier events about the same service obsolete (once, see supersede); a
// recovery then waits until none of their messages is being sent, because
// who heard the outage decides who hears the recovery.
func (p *pump) expandOne(ctx context.Context, ev storage.Event) (bool, error) {
	spec, err := p.d.specFor(ev)
	if err != nil {
		p.d.log.Error("event cannot be delivered; abandoned", "event_id", ev.ID, "kind", ev.Kind,
			"audience", ev.Audience, "error", err)
		return true, p.d.store.MarkEventDead(ctx, ev.ID, err.Error())
	}
	if ev.Kind.IsService() && p.d.now().Sub(ev.At) > p.d.opt.MaxEventAge {
		p.d.log.Warn("service event too old to announce; dropped", "event_id", ev.ID, "kind", ev.Kind,
			"service", ev.ServiceID, "age", p.d.now().Sub(ev.At).Round(time.Second).String())
		return true, p.d.store.MarkEventDead(ctx, ev.ID, "too old to announce")
	}
	if ev.Kind.IsService() {
		if ready, err := p.supersede(ctx, ev, &spec); !ready || err != nil {
			return false, err
		}
	}
	prog, err := p.d.store.ExpandStep(ctx, spec)
	if errors.Is(err, storage.ErrNotFound) {
		delete(p.superseded, ev.ID)
		return true, nil
	}
	if err != nil {
		return false, err
	}
	p.expanded[ev.ID] += prog.Inserted
	if prog.Inserted > 0 {
		p.claimHint = true
	}
	if prog.Done {
		p.d.log.Info("event expanded", "event_id", ev.ID, "kind", ev.Kind, "service", ev.ServiceID,
			"recipients", p.expanded[ev.ID])
		delete(p.expanded, ev.ID)
		delete(p.superseded, ev.ID)
		p.claimHint = true
	}
	return true, nil
}

// specFor says who an event reaches, from its audience and the catalog.
// An error means the event can never be delivered (unknown service, bad
// audience): it is marked dead.
func (d *Dispatcher) specFor(ev storage.Event) (storage.ExpandSpec, error) {
	spec := storage.ExpandSpec{EventID: ev.ID, ChunkSize: d.opt.ExpandChunk}
	switch a := ev.Audience; a.Scope() {
	case status.ScopeService:
		return d.serviceSpec(spec, ev, a.Name())
	case status.ScopeAcademie:
		spec.Academies = []string{a.Name()}
	case status.ScopeAll:
		spec.Everyone = true
	case status.ScopeClass:
		spec.ClassID = a.ID()
	case status.ScopeChat:
		spec.ChatID = a.ID()
	default:
		return spec, errors.New("unreadable audience")
	}
	return spec, nil
}

// serviceSpec is the audience of a change of a service's state: the
// subscribers of the académies that use it (everybody for a national
// service; for a service of some départements only, the subscriptions
// whole or narrowed to one of them, as catalog.ServicesFor says) and the members of their open classes, whose levels meet the
// service's, whose preferences ask for this kind of news; plus the
// académies' channels for outages and recoveries.
func (d *Dispatcher) serviceSpec(spec storage.ExpandSpec, ev storage.Event, id string) (storage.ExpandSpec, error) {
	svc, ok := d.cat.Service(id)
	if !ok {
		return spec, fmt.Errorf("service %q is not in the catalog", id)
	}
	spec.LevelMask = status.Mask(svc.Levels...)
	spec.WithClasses = true
	academies := d.cat.Academies
	if svc.National {
		spec.Everyone = true
	} else {
		academies = d.cat.AcademiesOf(id)
		if len(academies) == 0 {
			return spec, fmt.Errorf("no académie uses service %q", id)
		}
		for _, a := range academies {
			spec.Academies = append(spec.Academies, a.Slug)
		}
		spec.Departements = departementCodes(d.cat, svc)
		spec.ClassService = id
	}
	switch ev.Kind {
	case status.KindOutage:
		spec.Pref = storage.PrefOutage
		spec.PlanBMembers = !svc.National
	case status.KindDegraded:
		spec.Pref = storage.PrefDegraded
		if ev.FromState == status.Down {
			// The outage is over (the ENT is usable, if slow): those who
			// heard of it hear that too.
			spec.Pref = storage.PrefDegradedAfterDown
		}
	case status.KindRecovery:
		spec.Pref = storage.PrefRecovery
		// Those who asked for recoveries only want to know a broken ENT
		// works again, not that a slow one is fast again.
		spec.RecoveryOnly = ev.FromState != status.Degraded
	default:
		return spec, fmt.Errorf("event kind %q has a service audience", ev.Kind)
	}
	if ev.Kind != status.KindDegraded {
		for _, a := range academies {
			if a.Channel != "" {
				spec.Channels = append(spec.Channels, storage.ChannelTarget{Channel: a.Channel, Academie: a.Slug})
			}
		}
	}
	return spec, nil
}

// classHearsService says whether an event about service svc concerns a
// class (its members reached through it, its plan B sent): a class bound
// to an ENT hears of that ENT alone; a class not bound yet (made before
// classes were) hears of every ENT of its académie. National services
// concern every class. The expansion carries the same rule
// (storage.ExpandSpec.ClassService).
func classHearsService(cat *catalog.Catalog, c storage.ClassRef, svc catalog.Service) bool {
	if svc.National {
		return true
	}
	if c.ServiceID != "" {
		return c.ServiceID == svc.ID
	}
	return slices.ContainsFunc(cat.AcademiesOf(svc.ID), func(a catalog.Academy) bool { return a.Slug == c.Academie })
}

// planBOnly says whether a recipient of svc's outage hears it only for
// their classes' plan B: their settings or levels leave the outage itself
// out (a pupil's default), as the expansion's filters do
// (storage.ExpandSpec.PlanBMembers).
func planBOnly(rc storage.Recipient, svc catalog.Service) bool {
	mask := status.Mask(svc.Levels...)
	return !rc.AlertOutage || (rc.Levels != 0 && mask != 0 && rc.Levels&mask == 0)
}

// hasPlanB tells whether one of the classes has a plan B.
func hasPlanB(classes []storage.ClassRef) bool {
	return slices.ContainsFunc(classes, func(c storage.ClassRef) bool { return strings.TrimSpace(c.PlanB) != "" })
}

// departementCodes are the catalog codes of the départements a local
// service serves (the codes subscriptions are narrowed with), nil for a
// service of whole académies.
func departementCodes(cat *catalog.Catalog, svc catalog.Service) []string {
	var out []string
	for _, code := range svc.Departements {
		if dep, _, ok := cat.Departement(code); ok {
			code = dep.Code
		}
		out = append(out, code)
	}
	return out
}
