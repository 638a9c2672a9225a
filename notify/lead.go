package notify

import (
	"context"
	"time"

	"sentinelle/storage"
)

// Several instances may share one database; only the leader expands,
// claims, sends and purges (Options.Leading). The pump asks at each step
// and the deliveries right before sending: a job carries the fence of the
// term it was claimed in, and goes out only while that term lasts. When it
// ends, the jobs in hand go back to the outbox as on shutdown (pending,
// due at once, no attempt counted) and the pump claims nothing. When a
// term begins, the pump first waits until nothing of an earlier term is in
// hand, then makes pending again the rows left in flight (by a leader that
// died, or by this process before a crash), then claims.

// leaderEvery is how often the pump asks Leading again when nothing else
// wakes it, while following or holding jobs; an idle leader sleeps as
// before (PollInterval, Wake).
const leaderEvery = time.Second

// leading returns the fence of this instance's term and true while it
// leads; always fence 1 without Options.Leading.
func (d *Dispatcher) leading() (fence int64, ok bool) {
	if d.opt.Leading == nil {
		return 1, true
	}
	return d.opt.Leading()
}

// leads tells whether the term of fence still lasts.
func (d *Dispatcher) leads(fence int64) bool {
	f, ok := d.leading()
	return ok && f == fence
}

// released is a job put back in the outbox without being tried: pending,
// due at once, no attempt counted.
func (d *Dispatcher) released(j *job) result {
	return result{job: j, res: storage.DeliveryResult{Delivery: j.del, Outcome: storage.OutcomeRequeue, RetryAt: d.now()}}
}

// release puts back the queued jobs for which drop is true; their
// outcomes are committed at the next exchange.
func (p *pump) release(drop func(*job) bool, now time.Time) {
	jobs := p.d.queue.remove(drop)
	for _, j := range jobs {
		p.d.results.add(p.d.released(j), now)
	}
	if len(jobs) > 0 {
		p.forceFlush = true
	}
}

// follow reads the term at the start of a step: the queued jobs of
// another term go back, and a new term asks for the reset of what was
// left in flight.
func (p *pump) follow(now time.Time) {
	fence, ok := p.d.leading()
	switch {
	case !ok && p.leads:
		p.d.log.Warn("no longer leading: claims and sends stop; what was claimed goes back to the outbox")
	case ok && (!p.leads || fence != p.fence):
		if p.d.opt.Leading != nil {
			p.d.log.Info("leading: claiming and sending", "fence", fence)
		}
		p.resetDue = true
	}
	same := ok && p.leads && fence == p.fence
	p.leads, p.fence = ok, fence
	if same {
		return // every queued job was claimed in this term: no scan of the queue at each step
	}
	p.release(func(j *job) bool { return !ok || j.fence != fence }, now)
}

// mayClaim tells whether the pump may claim (and expand) now.
func (p *pump) mayClaim() bool { return p.leads && !p.resetDue }

// resetInflight makes pending again, once per term, the rows left in
// flight, as soon as none of an earlier term is in this pump's hand.
func (p *pump) resetInflight(ctx context.Context) error {
	if !p.resetDue || !p.leads {
		return nil
	}
	for _, j := range p.inflight {
		if j.fence != p.fence {
			return nil
		}
	}
	n, err := p.d.store.ResetInflight(ctx)
	if err != nil {
		return err
	}
	p.resetDue, p.claimHint, p.expandHint = false, true, true
	if n > 0 {
		p.d.log.Warn("messages in flight when the last leader stopped will be sent again", "count", n)
	}
	return nil
}
