package notify

import (
	"context"
	"errors"
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
// hand, then takes back the rows whose claimer is gone (storage.Reclaim:
// claimed under an older fence, or their lease run out; every inflight
// row when there is no lease, one process after a crash), seeds the
// per-chat spacing with what was sent lately and resumes the pause
// Telegram imposed on whoever led before, then claims.
//
// The database has the last word (Options.Lease): every claim and the
// term's reclaim check that the lease is still held with the term's
// fence. When it is not (this instance was paused past its lease, and its
// own Leading has not noticed yet), the database refuses
// (storage.ErrNotLeader), and the term is over here as if Leading had
// said so, until Leading reports another fence. Outcomes settle only rows
// still inflight under the fence that claimed them, so a deposed leader's
// late results cannot overwrite what the next one did.

// leaderEvery is how often the pump asks Leading again when nothing else
// wakes it, while following or holding jobs; an idle leader sleeps as
// before (PollInterval, Wake).
const leaderEvery = time.Second

// leading returns the fence of this instance's term and true while it
// leads; always fence 1 without Options.Leading. A term the database
// refused (deposed) is over whatever Leading says.
func (d *Dispatcher) leading() (fence int64, ok bool) {
	fence, ok = 1, true
	if d.opt.Leading != nil {
		fence, ok = d.opt.Leading()
	}
	if !ok || fence == d.deposedFence.Load() {
		return 0, false
	}
	return fence, true
}

// deposed ends, in this process, the term the database refused: the
// queued jobs go back at once, and the pump claims nothing more until
// Leading reports another fence.
func (p *pump) deposed(now time.Time) {
	p.d.log.Warn("the database says this instance no longer leads (its lease expired or was taken): claims and sends stop",
		"fence", p.fence)
	p.d.deposedFence.Store(p.fence)
	p.follow(now)
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

// beginTerm takes back, once per term, the rows whose claimer is gone, as
// soon as none of an earlier term is in this pump's hand; then it carries
// Telegram's limits over from the previous leader: the per-chat spacing
// from the latest sends, and the global pause of a 429.
func (p *pump) beginTerm(ctx context.Context, now time.Time) error {
	if !p.resetDue || !p.leads {
		return nil
	}
	for _, j := range p.inflight {
		if j.fence != p.fence {
			return nil
		}
	}
	// The rows still inflight count as just sent: read them before they
	// are taken back.
	if err := p.d.rememberRecentSends(ctx); err != nil {
		return err
	}
	n, err := p.d.store.Reclaim(ctx, p.d.opt.Lease, p.fence)
	if errors.Is(err, storage.ErrNotLeader) {
		p.deposed(now)
		return nil
	}
	if err != nil {
		return err
	}
	if n > 0 {
		p.d.log.Warn("messages in flight when the last leader stopped will be sent again", "count", n)
	}
	left, err := p.d.store.SendsPaused(ctx)
	if err != nil {
		return err
	}
	if left > 0 {
		until := time.Now().Add(left)
		p.d.queue.pauseUntil(until)
		p.pauseSaved = until
		p.d.log.Warn("Telegram's pause of the last leader still runs: sending waits", "wait_ms", left.Milliseconds())
	}
	p.resetDue, p.claimHint, p.expandHint = false, true, true
	return nil
}

// savePause records a pause longer than the one last recorded, so that
// whoever leads next waits it out too (see storage.PauseSends).
func (p *pump) savePause(ctx context.Context, now time.Time) error {
	until := p.d.queue.pausedUntil()
	if !until.After(p.pauseSaved) || !until.After(now) {
		return nil
	}
	if err := p.d.store.PauseSends(ctx, until.Sub(now)); err != nil {
		return err
	}
	p.pauseSaved = until
	return nil
}

// pause stops every send until t, and wakes the pump to record it.
func (d *Dispatcher) pause(t time.Time) {
	d.queue.pauseUntil(t)
	select {
	case d.results.signal <- struct{}{}:
	default:
	}
}
