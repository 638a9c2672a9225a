package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sentinelle/storage"
)

// lease is how long a claimed row is this term's, on the database's
// clock: a leader beginning its term takes back the rows whose lease ran
// out (storage.Reclaim). Far longer than a job stays in hand, so that no
// live leader's row is taken back.
const lease = 5 * time.Minute

// jobKey identifies a claimed row.
type jobKey struct {
	event   int64
	chat    int64
	channel string
}

func keyOf(d storage.Delivery) jobKey { return jobKey{d.EventID, d.ChatID, d.Channel} }

// exchange commits finished outcomes and claims new rows in one
// transaction, when enough outcomes wait, the oldest waited long enough,
// or slots are free and rows may be due.
func (p *pump) exchange(ctx context.Context, now time.Time) error {
	o := p.d.opt
	n, first := p.d.results.peek()
	free := o.BatchSize - len(p.inflight) + n
	flush := n > 0 && (p.forceFlush || n >= max(1, o.BatchSize/4) || now.Sub(first) >= o.FlushInterval)
	claim := p.mayClaim() && p.claimHint && (free >= max(1, o.BatchSize/4) || len(p.inflight) == n)
	if !flush && !claim {
		return nil
	}
	p.forceFlush = false
	taken := p.d.results.take()
	rs := make([]storage.DeliveryResult, len(taken))
	for i, t := range taken {
		rs[i] = t.res
	}
	want := 0
	if p.mayClaim() {
		want = o.BatchSize - len(p.inflight) + len(taken)
	}
	got, err := p.d.store.SettleAndClaim(ctx, rs, want, storage.ClaimFilter{
		ChatBusy:    func(id int64) bool { return p.busyChat[id] > 0 },
		ChannelBusy: func(ch string) bool { return p.busyChan[ch] > 0 },
		Bulk:        p.bulkShare(taken),
		AfterEvent:  p.bulkAfter,
		Lease:       p.d.opt.Lease,
		Fence:       p.fence,
	}, lease)
	if errors.Is(err, storage.ErrNotLeader) {
		for _, t := range taken {
			p.settled(t) // committed: each where its row was still this term's
		}
		p.deposed(now)
		return nil
	}
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
		j := &job{del: del, ev: ref.ev, key: chatKey{chat: del.ChatID, channel: del.Channel}, fence: p.fence}
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
