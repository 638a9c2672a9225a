package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

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
// earlier events about the same service obsolete (once); a recovery then
// waits until none of their messages is being sent, because who heard the
// outage decides who hears the recovery.
func (p *pump) expandOne(ctx context.Context, ev storage.Event) (bool, error) {
	spec, err := p.d.specFor(ev)
	if err != nil {
		p.d.log.Error("event cannot be delivered; abandoned", "event_id", ev.ID, "kind", ev.Kind,
			"audience", ev.Audience, "error", err)
		return true, p.d.store.MarkEventDead(ctx, ev.ID, err.Error())
	}
	if isServiceEvent(ev) && p.d.now().Sub(ev.At) > p.d.opt.MaxEventAge {
		p.d.log.Warn("service event too old to announce; dropped", "event_id", ev.ID, "kind", ev.Kind,
			"service", ev.ServiceID, "age", p.d.now().Sub(ev.At).Round(time.Second).String())
		return true, p.d.store.MarkEventDead(ctx, ev.ID, "too old to announce")
	}
	if isServiceEvent(ev) {
		sup, ok := p.superseded[ev.ID]
		if !ok {
			if sup, err = p.d.store.Supersede(ctx, ev); err != nil {
				return false, err
			}
			p.superseded[ev.ID] = sup
			// The same words as the rows cancelled in the database.
			p.dropQueued(func(j *job) bool { return olderSameService(j.ev, ev) },
				fmt.Sprintf("superseded by event %d", ev.ID))
		}
		if ev.Kind == storage.KindRecovery || (ev.Kind == storage.KindDegraded && ev.FromState == storage.StateDown) {
			if p.priorInflight(ev) {
				p.forceFlush = true
				return false, nil
			}
			spec.Prior = sup.Prior
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

// olderSameService tells whether old is an earlier event about the same
// service as ev, whose news ev makes untrue.
func olderSameService(old *storage.Event, ev storage.Event) bool {
	return isServiceEvent(*old) && old.ServiceID == ev.ServiceID && old.ID < ev.ID
}

// priorInflight tells whether a message of an earlier event about ev's
// service is claimed and not yet settled.
func (p *pump) priorInflight(ev storage.Event) bool {
	for _, j := range p.inflight {
		if olderSameService(j.ev, ev) {
			return true
		}
	}
	return false
}
