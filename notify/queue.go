package notify

import (
	"context"
	"sync"
	"time"

	"sentinelle/storage"
)

// chatKey names where a message goes: a chat id, or a channel's @name.
type chatKey struct {
	chat    int64
	channel string
}

// job is a claimed delivery on its way: queued for a token, being sent, or
// finished and waiting to be settled.
type job struct {
	del storage.Delivery
	ev  *storage.Event
	key chatKey
	seq uint64 // claim order, the tie-break within a priority lane
	// fence is the leader's term the job was claimed in: it is sent only
	// while that term lasts (lead.go).
	fence int64
	// plain is set once Telegram refused the message's text: it is
	// rendered again without its optional parts (see PlainRenderer).
	plain bool
	// loc is the recipient's time zone, set by prepare from the académies
	// the event concerns (catalog.LocationOf); nil: none known.
	loc *time.Location
}

// bulk tells the jobs of the bulk lane (outages, recoveries, channel
// posts), which share the send rate with replies and notices.
func (j *job) bulk() bool { return j.del.Priority >= storage.PriorityBulk }

func (j *job) group() bool {
	// Telegram gives groups, supergroups and channels negative ids.
	return j.key.channel != "" || j.key.chat < 0
}

// queue holds the claimed jobs waiting for a send slot, and the pacing
// state: when Telegram last answered a message to each chat, and the
// global pause a 429
// imposes. Pacing uses the real clock, like the rate limiter, because it
// follows Telegram's clock, not the database's.
type queue struct {
	mu      sync.Mutex
	jobs    []*job
	last    map[chatKey]time.Time
	pause   time.Time
	seq     uint64
	private time.Duration
	group   time.Duration
	// window holds, per group, the times of its latest messages (at most
	// perMinute of them) for the sliding-minute cap.
	window    map[chatKey][]time.Time
	perMinute int
	pruneLen  int
	signal    chan struct{}
	// lastBulk is whether the last job picked was of the bulk lane: when
	// both lanes have a job ready, the other lane's goes next.
	lastBulk bool
}

func newQueue(private, group time.Duration, perMinute int) *queue {
	return &queue{last: map[chatKey]time.Time{}, private: private, group: group,
		window: map[chatKey][]time.Time{}, perMinute: perMinute,
		pruneLen: 4096, signal: make(chan struct{}, 1)}
}

// windowSlack is added to the sliding minute, as Telegram's clock and ours
// do not tick together.
const windowSlack = 100 * time.Millisecond

func (q *queue) notify() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// push adds newly claimed jobs in claim order.
func (q *queue) push(js ...*job) {
	q.mu.Lock()
	for _, j := range js {
		q.seq++
		j.seq = q.seq
		q.jobs = append(q.jobs, j)
	}
	q.mu.Unlock()
	q.notify()
}

// requeue puts back a job that could not be sent yet (429), keeping its
// place in line.
func (q *queue) requeue(j *job) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	q.notify()
}

// pick removes and returns the next job whose chat may receive a message
// now. Otherwise it returns how long until one may (wait < 0: nothing
// queued). Replies and notices (the most urgent first) and the bulk lane
// take turns when both have a job ready, so that neither can hold the
// other back: a flood of commands leaves alerts half the rate, and a
// fan-out leaves replies half. Within a lane, jobs go in claim order.
func (q *queue) pick(now time.Time) (j *job, wait time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if now.Before(q.pause) {
		return nil, q.pause.Sub(now)
	}
	urgent, bulk, wait := -1, -1, time.Duration(-1)
	for i, c := range q.jobs {
		if ready := q.readyAt(c); ready.After(now) {
			if d := ready.Sub(now); wait < 0 || d < wait {
				wait = d
			}
			continue
		}
		switch {
		case c.bulk():
			if bulk < 0 || c.seq < q.jobs[bulk].seq {
				bulk = i
			}
		case urgent < 0 || c.del.Priority < q.jobs[urgent].del.Priority ||
			(c.del.Priority == q.jobs[urgent].del.Priority && c.seq < q.jobs[urgent].seq):
			urgent = i
		}
	}
	best := urgent
	if bulk >= 0 && (urgent < 0 || !q.lastBulk) {
		best = bulk
	}
	if best < 0 {
		return nil, wait
	}
	j = q.jobs[best]
	q.lastBulk = j.bulk()
	q.jobs = append(q.jobs[:best], q.jobs[best+1:]...)
	return j, 0
}

func (q *queue) readyAt(j *job) time.Time {
	var ready time.Time
	if last, ok := q.last[j.key]; ok {
		if j.group() {
			ready = last.Add(q.group)
		} else {
			ready = last.Add(q.private)
		}
	}
	if w := q.window[j.key]; j.group() && q.perMinute > 0 && len(w) >= q.perMinute {
		if t := w[len(w)-q.perMinute].Add(time.Minute + windowSlack); t.After(ready) {
			ready = t
		}
	}
	return ready
}

// answered records that Telegram answered a message to a chat at now, and
// forgets chats whose spacing is long over so that the map stays small.
// A chat's spacing runs from the answer, not from the handover: the
// request reached Telegram somewhere in between, so the next one, handed
// over an interval after the answer, arrives at least an interval after
// it however long either took on the way. (The pump holds one job per
// chat at a time, so no other message to the chat leaves meanwhile.)
func (q *queue) answered(k chatKey, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.last[k] = now
	if q.perMinute > 0 && (k.channel != "" || k.chat < 0) {
		w := append(q.window[k], now)
		if len(w) > q.perMinute {
			w = append(w[:0:0], w[len(w)-q.perMinute:]...)
		}
		q.window[k] = w
	}
	if len(q.last) < q.pruneLen {
		return
	}
	horizon := max(q.private, q.group)
	for key, t := range q.last {
		if now.Sub(t) > horizon {
			delete(q.last, key)
		}
	}
	for key, w := range q.window {
		if now.Sub(w[len(w)-1]) > time.Minute+windowSlack {
			delete(q.window, key)
		}
	}
	q.pruneLen = max(4096, 2*len(q.last))
}

// rememberRecentSends seeds the per-chat spacing with what a previous run
// or leader sent (or may have sent: rows left in flight) shortly before
// this term began, so that a restart right after a crash, or another
// instance taking over, keeps Telegram's per-chat limits.
func (d *Dispatcher) rememberRecentSends(ctx context.Context) error {
	clock, real := d.now(), time.Now()
	recent, err := d.store.RecentSends(ctx, clock.Add(-max(d.opt.PrivateInterval, d.opt.GroupInterval)))
	if err != nil {
		return err
	}
	d.queue.mu.Lock()
	defer d.queue.mu.Unlock()
	for _, r := range recent {
		// The database dates sends by the service's clock; the spacing
		// runs on the real one.
		k, at := chatKey{chat: r.ChatID, channel: r.Channel}, real.Add(min(r.At.Sub(clock), 0))
		if at.After(d.queue.last[k]) {
			d.queue.last[k] = at
		}
	}
	return nil
}

// pauseUntil stops every send until t (a 429 is for the whole bot).
func (q *queue) pauseUntil(t time.Time) {
	q.mu.Lock()
	if t.After(q.pause) {
		q.pause = t
	}
	q.mu.Unlock()
	q.notify()
}

func (q *queue) pausedUntil() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pause
}

func (q *queue) paused(now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return now.Before(q.pause)
}

// remove takes out the queued jobs for which drop is true.
func (q *queue) remove(drop func(*job) bool) []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*job
	kept := q.jobs[:0]
	for _, j := range q.jobs {
		if drop(j) {
			out = append(out, j)
		} else {
			kept = append(kept, j)
		}
	}
	clear(q.jobs[len(kept):])
	q.jobs = kept
	return out
}
