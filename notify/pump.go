package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sentinelle/storage"
)

// lease is recorded on claimed rows. One process owns the database, so
// nothing reads it yet; it is there for a multi-process future.
const lease = 5 * time.Minute

// dbRetry is how long the pump waits after a database error.
const dbRetry = time.Second

// jobKey identifies a claimed row.
type jobKey struct {
	event   int64
	chat    int64
	channel string
}

func keyOf(d storage.Delivery) jobKey { return jobKey{d.EventID, d.ChatID, d.Channel} }

// pump is the dispatcher's database side, run by one goroutine: it expands
// events, settles outcomes and claims rows, keeping at most BatchSize rows
// claimed and unsettled.
type pump struct {
	d          *Dispatcher
	inflight   map[jobKey]*job
	busyChat   map[int64]int
	busyChan   map[string]int
	bulk       int   // inflight jobs of the bulk lane
	bulkAfter  int64 // the bulk event last claimed from: its turn is over
	events     map[int64]*eventRef
	superseded map[int64]storage.Superseded // service events whose Supersede ran
	expanded   map[int64]int64              // rows written so far per expanding event
	claimHint  bool                         // rows may be due: try to claim
	expandHint bool                         // events may wait for expansion
	forceFlush bool
	nextDue    time.Time
	retryAt    time.Time // after a database error
	lastWork   time.Time
}

type eventRef struct {
	ev   *storage.Event
	refs int
}

func newPump(d *Dispatcher) *pump {
	return &pump{d: d, inflight: map[jobKey]*job{}, busyChat: map[int64]int{}, busyChan: map[string]int{},
		events: map[int64]*eventRef{}, superseded: map[int64]storage.Superseded{}, expanded: map[int64]int64{},
		claimHint: true, expandHint: true}
}

// Run delivers until ctx is done, then lets the sends in progress finish,
// puts the rest back in the outbox and returns. Rows left inflight by a
// previous run (a crash) are made pending again first: one process owns
// the database. Run returns an error only if it cannot start.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run is already running")
	}
	defer d.running.Store(false)
	if err := d.rememberRecentSends(ctx); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	n, err := d.store.ResetInflight(ctx)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if n > 0 {
		d.log.Warn("messages in flight when the last run stopped will be sent again", "count", n)
	}
	p := newPump(d)
	schedCtx, stop := context.WithCancel(ctx)
	defer stop()
	var workers sync.WaitGroup
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		d.schedule(schedCtx, ctx, &workers)
	}()
	var purger sync.WaitGroup
	purger.Go(func() { d.purgeLoop(schedCtx) })
	p.loop(ctx)
	stop()
	<-schedDone
	purger.Wait()
	workers.Wait()
	p.shutdown()
	return nil
}

// loop runs steps until ctx is done, sleeping when there is nothing to do
// until a Wake, a finished send, a due retry or the safety poll.
func (p *pump) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for ctx.Err() == nil {
		if p.step(ctx) {
			continue
		}
		timer.Reset(p.sleepFor(time.Now()))
		select {
		case <-ctx.Done():
		case <-p.d.wake:
			p.claimHint, p.expandHint = true, true
		case <-p.d.results.signal:
		case <-timer.C:
			p.claimHint, p.expandHint = true, true
		}
		timer.Stop()
	}
}

// step settles and claims, then expands; it reports whether more work is
// ready at once.
func (p *pump) step(ctx context.Context) bool {
	now := time.Now()
	if now.Before(p.retryAt) {
		return false
	}
	if err := p.exchange(ctx, now); err != nil {
		p.dbError(ctx, "settle and claim", err)
		return false
	}
	// Settling may have freed chats whose next row is due: claim again.
	more := p.claimHint && p.d.opt.BatchSize-len(p.inflight) >= max(1, p.d.opt.BatchSize/4)
	if p.expandHint {
		expanded, err := p.expand(ctx)
		if err != nil {
			p.dbError(ctx, "expand", err)
			return false
		}
		more = more || expanded
	}
	p.refreshDepth(ctx, now)
	return more
}

func (p *pump) dbError(ctx context.Context, op string, err error) {
	if ctx.Err() != nil {
		return
	}
	p.d.log.Error("outbox database error; retrying", "op", op, "error", err)
	p.retryAt = time.Now().Add(dbRetry)
}

// sleepFor is how long the pump may sleep: until the oldest outcome must
// be committed, the next retry is due, or the safety poll.
func (p *pump) sleepFor(now time.Time) time.Duration {
	wake := p.lastWork.Add(p.d.opt.PollInterval)
	if now.After(wake) {
		wake = now.Add(p.d.opt.PollInterval)
	}
	soonest := func(t time.Time) {
		if !t.IsZero() && t.Before(wake) {
			wake = t
		}
	}
	if n, first := p.d.results.peek(); n > 0 {
		soonest(first.Add(p.d.opt.FlushInterval))
	}
	if !p.claimHint {
		soonest(p.nextDue)
	}
	soonest(p.retryAt)
	return max(wake.Sub(now), 0)
}

// exchange commits finished outcomes and claims new rows in one
// transaction, when enough outcomes wait, the oldest waited long enough,
// or slots are free and rows may be due.
func (p *pump) exchange(ctx context.Context, now time.Time) error {
	o := p.d.opt
	n, first := p.d.results.peek()
	free := o.BatchSize - len(p.inflight) + n
	flush := n > 0 && (p.forceFlush || n >= max(1, o.BatchSize/4) || now.Sub(first) >= o.FlushInterval)
	claim := p.claimHint && (free >= max(1, o.BatchSize/4) || len(p.inflight) == n)
	if !flush && !claim {
		return nil
	}
	p.forceFlush = false
	taken := p.d.results.take()
	rs := make([]storage.DeliveryResult, len(taken))
	for i, t := range taken {
		rs[i] = t.res
	}
	want := o.BatchSize - len(p.inflight) + len(taken)
	got, err := p.d.store.SettleAndClaim(ctx, rs, want, storage.ClaimFilter{
		ChatBusy:    func(id int64) bool { return p.busyChat[id] > 0 },
		ChannelBusy: func(ch string) bool { return p.busyChan[ch] > 0 },
		Bulk:        p.bulkShare(taken),
		AfterEvent:  p.bulkAfter,
	}, lease)
	if err != nil {
		for _, t := range taken {
			p.d.results.add(t, now)
		}
		return err
	}
	for _, t := range taken {
		p.settled(t)
	}
	claimed := got.Deliveries
	for _, del := range claimed {
		if del.Priority == storage.PriorityBulk && del.Channel == "" {
			p.bulkAfter = del.EventID
		}
	}
	p.claimHint = len(claimed) == want || len(taken) > 0
	if len(claimed) > 0 || len(taken) > 0 {
		p.lastWork = now
	}
	if len(claimed) < want {
		p.nextDue = time.Time{}
		if !got.NextDue.IsZero() {
			// The database dates rows by the service's clock (a rehearsal's
			// may be years away); the pump sleeps on the real one.
			p.nextDue = now.Add(got.NextDue.Sub(p.d.now()))
		}
	}
	return p.enqueue(ctx, claimed)
}

// bulkShare is how many bulk rows the claim takes before replies and
// notices: enough for the bulk lane to hold half the batch once taken's
// jobs are settled. The queue alternates between the lanes, so half the
// batch is half the send rate whenever both have work.
func (p *pump) bulkShare(taken []result) int {
	left := p.bulk
	for _, t := range taken {
		if _, ok := p.inflight[keyOf(t.job.del)]; ok && t.job.bulk() {
			left--
		}
	}
	return max((p.d.opt.BatchSize+1)/2-left, 0)
}

// settled forgets a job whose outcome is committed.
func (p *pump) settled(t result) {
	p.d.stats.count(t.res.Outcome)
	p.d.logResult(t.res)
	p.forget(t.job)
	if t.res.Outcome == storage.OutcomeDead {
		p.dropQueued(func(j *job) bool { return j.del.EventID == t.job.del.EventID }, "event dead")
	}
}

func (p *pump) forget(j *job) {
	k := keyOf(j.del)
	if _, ok := p.inflight[k]; !ok {
		return
	}
	delete(p.inflight, k)
	if j.bulk() {
		p.bulk--
	}
	if j.key.channel != "" {
		decr(p.busyChan, j.key.channel)
	} else {
		decr(p.busyChat, j.key.chat)
	}
	if ref := p.events[j.del.EventID]; ref != nil {
		if ref.refs--; ref.refs <= 0 {
			delete(p.events, j.del.EventID)
		}
	}
	p.d.stats.inflight.Store(int64(len(p.inflight)))
}

func decr[K comparable](m map[K]int, k K) {
	if m[k]--; m[k] <= 0 {
		delete(m, k)
	}
}

// enqueue turns claimed rows into jobs for the scheduler. A row whose
// event cannot be read is put back at once rather than left inflight.
func (p *pump) enqueue(ctx context.Context, claimed []storage.Delivery) error {
	jobs := make([]*job, 0, len(claimed))
	var failed error
	for _, del := range claimed {
		ref := p.events[del.EventID]
		if ref == nil {
			// Claimed rows must become jobs even if Run is ending.
			ev, err := p.d.store.Event(context.WithoutCancel(ctx), del.EventID)
			if err != nil {
				failed = fmt.Errorf("load event %d: %w", del.EventID, err)
				p.d.results.add(result{job: &job{del: del, ev: &storage.Event{ID: del.EventID}}, res: storage.DeliveryResult{
					Delivery: del, Outcome: storage.OutcomeRequeue, Error: failed.Error(), RetryAt: p.d.now().Add(dbRetry)}}, time.Now())
				continue
			}
			ref = &eventRef{ev: &ev}
			p.events[del.EventID] = ref
		}
		ref.refs++
		j := &job{del: del, ev: ref.ev, key: chatKey{chat: del.ChatID, channel: del.Channel}}
		p.inflight[keyOf(del)] = j
		if j.bulk() {
			p.bulk++
		}
		if del.Channel != "" {
			p.busyChan[del.Channel]++
		} else {
			p.busyChat[del.ChatID]++
		}
		jobs = append(jobs, j)
	}
	p.d.stats.inflight.Store(int64(len(p.inflight)))
	if len(jobs) > 0 {
		p.d.queue.push(jobs...)
	}
	return failed
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

// refreshDepth reads the outbox depth for Stats about once a second.
func (p *pump) refreshDepth(ctx context.Context, now time.Time) {
	c := &p.d.stats
	c.mu.Lock()
	due := now.Sub(c.depthAt) >= time.Second
	c.mu.Unlock()
	if !due {
		return
	}
	depth, err := p.d.store.OutboxDepth(ctx)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.pending, c.depthAt = depth, now
	c.mu.Unlock()
}

// shutdown puts the jobs that were not sent back in the outbox without
// counting an attempt, and commits every outcome. It uses its own context:
// Run's is already done.
func (p *pump) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now()
	for _, j := range p.d.queue.remove(func(*job) bool { return true }) {
		p.d.results.add(result{job: j, res: storage.DeliveryResult{Delivery: j.del,
			Outcome: storage.OutcomeRequeue, RetryAt: p.d.now()}}, now)
	}
	taken := p.d.results.take()
	rs := make([]storage.DeliveryResult, len(taken))
	for i, t := range taken {
		rs[i] = t.res
	}
	if _, err := p.d.store.SettleAndClaim(ctx, rs, 0, storage.ClaimFilter{}, lease); err != nil {
		p.d.log.Error("cannot record the last outcomes; those messages may be sent again", "count", len(rs), "error", err)
		return
	}
	for _, t := range taken {
		p.settled(t)
	}
}
