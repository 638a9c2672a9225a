package notify

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// schedule hands queued jobs, most urgent first, to at most Workers
// concurrent deliveries. Pacing is the deliveries' business (see turn): a
// delivery reads and renders first, then waits for its turn, so that
// nothing slow stands between the turn and the request. schedule returns
// when ctx is done; deliveries already started go on with their own
// deadline.
func (d *Dispatcher) schedule(ctx, sendCtx context.Context, workers *sync.WaitGroup) {
	slots := make(chan struct{}, d.opt.Workers)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		j := d.nextJob(ctx, timer)
		if j == nil {
			return
		}
		workers.Add(1)
		go func() {
			defer workers.Done()
			defer func() { <-slots }()
			d.deliver(ctx, sendCtx, j)
		}()
	}
}

// nextJob waits for a job whose chat may receive a message now; nil when
// ctx is done.
func (d *Dispatcher) nextJob(ctx context.Context, timer *time.Timer) *job {
	for {
		j, wait := d.queue.pick(time.Now())
		if j != nil {
			return j
		}
		if !await(ctx, timer, wait, d.queue.signal) {
			return nil
		}
	}
}

// await waits on timer until wake, or until wait has passed (wait < 0:
// until wake); false when ctx ends first.
func await(ctx context.Context, timer *time.Timer, wait time.Duration, wake <-chan struct{}) bool {
	if wait < 0 {
		wait = time.Hour
	}
	timer.Reset(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-timer.C:
	}
	return true
}

// deliver checks, renders and sends one job, and hands its outcome to the
// pump; or it puts the job back in the queue when it may not go now (Run
// ends, Telegram asked everyone to wait), or in the outbox when the term
// it was claimed in ended. The send itself runs to its end
// even if Run's context is cancelled meanwhile.
func (d *Dispatcher) deliver(ctx, sendCtx context.Context, j *job) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(sendCtx), d.opt.SendTimeout)
	defer cancel()
	if !d.leads(j.fence) {
		d.results.add(d.released(j), time.Now())
		return
	}
	r, msg, ok := d.prepare(sctx, j)
	if ok {
		if !d.turn(ctx) {
			d.queue.requeue(j)
			return
		}
		if !d.leads(j.fence) { // the instant of sending: the term may have ended while waiting
			d.pacer.flight.leave(time.Time{})
			d.results.add(d.released(j), time.Now())
			return
		}
		var again bool
		r, again = d.attempt(sctx, j, r, msg)
		answered := time.Now()
		d.pacer.flight.leave(answered)
		d.queue.answered(j.key, answered)
		if again {
			d.queue.requeue(j)
			return
		}
	}
	d.results.add(result{job: j, res: r}, time.Now())
}

// windowPeriod is the period in which at most RateLimit sends may leave,
// and reach Telegram. It is 2 % longer than Telegram's second, for the
// clocks' disagreement and Telegram's own way of counting.
const windowPeriod = 1020 * time.Millisecond

// pacer decides when each send may leave. Sends book their slot ahead
// (deliveries wait for their turn after reading and rendering), so a
// goroutine waking late delays its own send but not the next slots: the
// rate holds without a burst. A token bucket at RateLimit without burst
// spaces them evenly; a window keeps any windowPeriod to at most RateLimit
// sends, so that even a bucket refilled during a pause never lets one
// second hold more than the limit. Sends leaving evenly may still arrive
// bunched (a request delayed on a loaded machine or on the network lands
// beside the next ones): flight holds the limit at arrival.
type pacer struct {
	mu      sync.Mutex
	limiter *rate.Limiter
	win     *window
	last    time.Time
	flight  *flight
}

func newPacer(perSecond float64) *pacer {
	return &pacer{limiter: rate.NewLimiter(rate.Limit(perSecond), 1),
		win: newWindow(int(perSecond), windowPeriod), flight: newFlight(int(perSecond), windowPeriod)}
}

// reserve books the next slot and returns when it is.
func (p *pacer) reserve(now time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := now.Add(p.limiter.ReserveN(now, 1).DelayFrom(now))
	if w := p.win.wait(at); w > 0 {
		at = at.Add(w)
	}
	if at.Before(p.last) {
		at = p.last
	}
	p.last = at
	p.win.take(at)
	return at
}

// turn waits for the job's slot, then for room in flight. It is false
// when the job must go back to the queue: Run is ending, or a 429 paused
// everything meanwhile. When it is true the send has entered flight: the
// caller must leave it, with the time of the answer or, when nothing was
// sent after all, the zero time.
func (d *Dispatcher) turn(ctx context.Context) bool {
	at := d.pacer.reserve(time.Now())
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	if !d.pacer.flight.enter(ctx) {
		return false
	}
	if ctx.Err() != nil || d.queue.paused(time.Now()) {
		d.pacer.flight.leave(time.Time{})
		return false
	}
	return true
}

// flight holds the global limit as Telegram counts it, at the requests'
// arrival, which the dispatcher never sees: a request reaches Telegram
// after its handover and before its answer. So a send counts from its
// handover until per after its answer, and one more may leave only while
// fewer than n count: then no period per, wherever Telegram's clock puts
// it, holds more than n arrivals. (If n+1 arrivals fell within per, the
// last handed over of them left while the n others were unanswered or
// answered after its handover minus per: n counted.) The cost is the
// round trip: at most n sends per (per + round trip), which the bucket's
// even spacing reaches only when the round trip is short.
type flight struct {
	mu    sync.Mutex
	n     int
	per   time.Duration
	open  int         // handed over, not answered
	done  []time.Time // answers less than per ago, oldest first
	freed chan struct{}
}

func newFlight(n int, per time.Duration) *flight {
	return &flight{n: max(n, 1), per: per, freed: make(chan struct{})}
}

// enter waits until a send may leave, and counts it; false if ctx ends
// first.
func (f *flight) enter(ctx context.Context) bool {
	wait, freed := f.try(time.Now())
	if wait == 0 {
		return true
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for await(ctx, timer, wait, freed) {
		if wait, freed = f.try(time.Now()); wait == 0 {
			return true
		}
	}
	return false
}

// try counts a send leaving now if it may, and returns 0; otherwise how
// long until the oldest answer stops counting (-1: when an open send is
// answered) and a channel closed when that may change.
func (f *flight) try(now time.Time) (time.Duration, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := 0
	for old < len(f.done) && now.Sub(f.done[old]) >= f.per {
		old++
	}
	f.done = f.done[old:]
	if f.open+len(f.done) < f.n {
		f.open++
		return 0, nil
	}
	if len(f.done) == 0 {
		return -1, f.freed
	}
	return f.done[0].Add(f.per).Sub(now), f.freed
}

// leave ends a send that entered: answered at at, or not sent at all (zero
// at), which frees its room at once.
func (f *flight) leave(at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.open--
	if !at.IsZero() {
		i := len(f.done)
		for i > 0 && f.done[i-1].After(at) {
			i--
		}
		f.done = slices.Insert(f.done, i, at)
		if len(f.done) > 1 {
			return // waiters already wait for an older answer to age
		}
	}
	close(f.freed)
	f.freed = make(chan struct{})
}

// window remembers the times of the last n sends, so that no period of
// length per holds more than n.
type window struct {
	per   time.Duration
	times []time.Time // ring, oldest at next once full
	next  int
	full  bool
}

func newWindow(n int, per time.Duration) *window {
	return &window{per: per, times: make([]time.Time, max(n, 1))}
}

// wait is how long after now one more send fits in the window.
func (w *window) wait(now time.Time) time.Duration {
	if !w.full {
		return 0
	}
	return w.times[w.next].Add(w.per).Sub(now)
}

func (w *window) take(now time.Time) {
	w.times[w.next] = now
	if w.next++; w.next == len(w.times) {
		w.next, w.full = 0, true
	}
}
