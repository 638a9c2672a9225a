package telegramtest

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Limits are the flood limits the server enforces on send* methods. A zero
// field disables that window.
type Limits struct {
	// Global is messages per second across all chats (Telegram: about 30).
	Global int
	// PerChat is messages per second to one chat, private or not
	// (Telegram: 1).
	PerChat int
	// PerGroup is messages per minute to one group, supergroup or channel
	// (Telegram: 20).
	PerGroup int
}

// TelegramLimits are the published limits, the server's default.
func TelegramLimits() Limits { return Limits{Global: 30, PerChat: 1, PerGroup: 20} }

// Tolerance is how much earlier than the limits allow a send may arrive and
// still pass: a client pacing at exactly the limit sees its requests arrive
// with a few milliseconds of jitter, and must not get spurious 429s.
const Tolerance = 50 * time.Millisecond

// window allows at most n sends in any period of length per (minus
// Tolerance): it remembers the times of the last n accepted sends in a ring.
// Unlike a token bucket of the same size it does not let 20 messages out at
// once and then one every 3 s: "20 messages per minute" means any minute.
// A client spacing its sends evenly at the limit (x/time/rate with burst 1)
// never trips it.
type window struct {
	per   time.Duration
	times []time.Time // ring of the last n accepted sends, oldest at next
	next  int
	full  bool
}

func newWindow(n int, per time.Duration) *window {
	return &window{per: per, times: make([]time.Time, n)}
}

// wait is how long until a send at now would pass (0: now).
func (w *window) wait(now time.Time) time.Duration {
	if !w.full {
		return 0
	}
	free := w.times[w.next].Add(w.per - Tolerance)
	if !now.Before(free) {
		return 0
	}
	return free.Sub(now)
}

func (w *window) take(now time.Time) {
	w.times[w.next] = now
	w.next++
	if w.next == len(w.times) {
		w.next, w.full = 0, true
	}
}

// flood holds the global window and one window per chat and per group.
type flood struct {
	limits Limits
	global *window
	chats  map[int64]*window
	groups map[int64]*window
}

func newFlood(l Limits) flood {
	f := flood{limits: l, chats: map[int64]*window{}, groups: map[int64]*window{}}
	if l.Global > 0 {
		f.global = newWindow(l.Global, time.Second)
	}
	return f
}

// admit records a send to chatID at now in every window that applies, or in
// none when one of them is full; it then returns Telegram's retry_after:
// whole seconds, at least 1. Refused sends cost nothing.
func (f *flood) admit(chatID int64, group bool, now time.Time) int {
	var windows []*window
	if f.global != nil {
		windows = append(windows, f.global)
	}
	if f.limits.PerChat > 0 {
		windows = append(windows, lookup(f.chats, chatID, f.limits.PerChat, time.Second))
	}
	if group && f.limits.PerGroup > 0 {
		windows = append(windows, lookup(f.groups, chatID, f.limits.PerGroup, time.Minute))
	}
	var longest time.Duration
	for _, b := range windows {
		longest = max(longest, b.wait(now))
	}
	if longest > 0 {
		return max(1, int(math.Ceil(longest.Seconds())))
	}
	for _, b := range windows {
		b.take(now)
	}
	return 0
}

func lookup(m map[int64]*window, id int64, n int, per time.Duration) *window {
	b, ok := m[id]
	if !ok {
		b = newWindow(n, per)
		m[id] = b
	}
	return b
}

// Count429 is how many 429 answers the server gave, flood limits and
// FailNext(…, 429) together. A dispatcher pacing at the limits keeps it at 0.
func (s *Server) Count429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n429
}

// Busiest is the most sends the server accepted within any period per, by
// its clock: 30 for a second at Telegram's global limit.
func (s *Server) Busiest(per time.Duration) int {
	s.mu.Lock()
	at := make([]time.Time, len(s.sent))
	for i, m := range s.sent {
		at[i] = m.At
	}
	s.mu.Unlock()
	return PeakWithin(at, per)
}

// PeakWithin is the most instants of ts within any period per (ts in any
// order; it is not changed).
func PeakWithin(ts []time.Time, per time.Duration) int {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, time.Time.Compare)
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= per {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// Clock is a clock a test moves by hand, for WithClock(clock.Now). It is
// safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now is the clock's current time; pass the method value to WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
