package notify

import (
	"context"
	"fmt"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// supersede makes the earlier events about ev's service obsolete, once per
// event: their rows not yet sent are cancelled in the database and their
// jobs taken out of the queue. A recovery (or a down ENT come back slow)
// goes to those who heard the outage: ready is false while a message of
// the earlier events is still being sent, and then spec learns who heard
// them.
func (p *pump) supersede(ctx context.Context, ev storage.Event, spec *storage.ExpandSpec) (ready bool, err error) {
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
	if ev.Kind == status.KindRecovery || (ev.Kind == status.KindDegraded && ev.FromState == status.Down) {
		if p.priorInflight(ev) {
			p.forceFlush = true
			return false, nil
		}
		spec.Prior = sup.Prior
	}
	return true, nil
}

// olderSameService tells whether old is an earlier event about the same
// service as ev, whose news ev makes untrue (see Supersedes).
func olderSameService(old *storage.Event, ev storage.Event) bool {
	return Supersedes(ev, *old)
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

// dropQueued takes jobs out of the queue before they are sent and settles
// them as cancelled.
func (p *pump) dropQueued(drop func(*job) bool, why string) {
	now := time.Now()
	for _, j := range p.d.queue.remove(drop) {
		p.d.results.add(result{job: j, res: storage.DeliveryResult{Delivery: j.del,
			Outcome: storage.OutcomeCancelled, Error: why}}, now)
		p.forceFlush = true
	}
}
