package bot

import (
	"sync"
	"time"
)

// Abuse limits. They are in memory: a restart forgives everybody, which is
// harmless, and costs no write per command.
const (
	// commandsPerMinute is how many updates a chat may send a minute; the
	// next gets one « doucement » reply, the rest silence until the minute
	// passes, so that a flood does not spend our own sending budget.
	commandsPerMinute = 20
	// userCommandsPerMinute is how many updates one person may send a
	// minute across all their chats: the per-chat limit alone lets a
	// person with ten groups send ten times as much. Updates from admins
	// posting anonymously as a group share one user id and are held by
	// the per-chat limit only.
	userCommandsPerMinute = 30
	// joinFailures wrong class codes per joinWindow make /rejoindre refuse
	// to look further: 8 characters from 31 are 8·10¹¹ codes, and this
	// keeps guessing hopeless.
	joinFailures = 5
	joinWindow   = 10 * time.Minute
	// broadcastsPerDay is how many notices a class may receive in 24 hours.
	broadcastsPerDay = 10
	// maxNoticeRunes is the longest notice or announcement: room is left for
	// its header under Telegram's 4096.
	maxNoticeRunes = 3500
	// maxPlanBRunes is the longest plan B: it is appended to an outage
	// message, possibly with others.
	maxPlanBRunes = 1000
	// maxClassName is the longest class name.
	maxClassName = 64
	// maxAcademies is how many académies a chat may follow.
	maxAcademies = 10
	// maxOpenClasses is how many open classes a teacher may have.
	maxOpenClasses = 30
	// excerptRunes is the most a reply repeats of what a person typed
	// (a plan B just saved): replies are kept in the database.
	excerptRunes = 120
	// confirmTTL is how long a preview waits for « Envoyer ».
	confirmTTL = time.Hour
)

// verdict is what a limiter says about one more hit.
type verdict int

const (
	verdictAllow  verdict = iota
	verdictWarn           // the first hit over the limit: say so once
	verdictSilent         // further hits: ignore
)

// windowLimiter counts hits per key in fixed windows that start at a key's
// first hit. It is safe for concurrent use.
type windowLimiter struct {
	max  int
	per  time.Duration
	mu   sync.Mutex
	keys map[int64]*window
	seen int // hits since the last sweep
}

type window struct {
	start time.Time
	n     int
}

func newWindowLimiter(max int, per time.Duration) *windowLimiter {
	return &windowLimiter{max: max, per: per, keys: map[int64]*window{}}
}

// hit counts one hit for key at now and says whether it is allowed.
func (l *windowLimiter) hit(key int64, now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.current(key, now)
	w.n++
	switch {
	case w.n <= l.max:
		return verdictAllow
	case w.n == l.max+1:
		return verdictWarn
	}
	return verdictSilent
}

// full reports whether key has used up its window, without counting.
func (l *windowLimiter) full(key int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.keys[key]
	return ok && now.Sub(w.start) < l.per && w.n >= l.max
}

// current returns key's window at now, starting a new one when the last
// is over. l.mu held.
func (l *windowLimiter) current(key int64, now time.Time) *window {
	l.seen++
	if l.seen >= 4096 {
		l.sweep(now)
	}
	w, ok := l.keys[key]
	if !ok || now.Sub(w.start) >= l.per || now.Before(w.start) {
		w = &window{start: now}
		l.keys[key] = w
	}
	return w
}

// sweep forgets the windows that are over, so that the map holds only the
// chats active in the last window. l.mu held.
func (l *windowLimiter) sweep(now time.Time) {
	l.seen = 0
	for k, w := range l.keys {
		if now.Sub(w.start) >= l.per {
			delete(l.keys, k)
		}
	}
}
