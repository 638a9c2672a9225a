package notify

import (
	"context"
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
		if wait < 0 {
			wait = time.Hour
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-d.queue.signal:
		case <-timer.C:
		}
		timer.Stop()
	}
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
			d.results.add(d.released(j), time.Now())
			return
		}
		d.queue.sending(j.key, time.Now())
		var again bool
		if r, again = d.attempt(sctx, j, r, msg); again {
			d.queue.requeue(j)
			return
		}
	}
	d.results.add(result{job: j, res: r}, time.Now())
}

// windowPeriod is the period in which at most RateLimit sends may leave.
// It is 2 % longer than Telegram's second: requests leave evenly spaced
// but may arrive bunched after a scheduling hiccup, and that headroom
// keeps them within the limit as Telegram counts.
const windowPeriod = 1020 * time.Millisecond

// pacer decides when each send may leave. Sends book their slot ahead
// (deliveries wait for their turn after reading and rendering), so a
// goroutine waking late delays its own send but not the next slots: the
// rate holds without a burst. A token bucket at RateLimit without burst
// spaces them evenly; a window keeps any windowPeriod to at most RateLimit
// sends, so that even a bucket refilled during a pause never lets one
// second hold more than the limit.
type pacer struct {
	mu      sync.Mutex
	limiter *rate.Limiter
	win     *window
	last    time.Time
}

func newPacer(perSecond float64) *pacer {
	return &pacer{limiter: rate.NewLimiter(rate.Limit(perSecond), 1),
		win: newWindow(int(perSecond), windowPeriod)}
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

// turn waits for the job's slot. It is false when the job must go back to
// the queue: Run is ending, or a 429 paused everything meanwhile.
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
	return ctx.Err() == nil && !d.queue.paused(time.Now())
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
