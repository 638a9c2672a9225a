// Package leader elects one leader among Sentinelle's instances sharing a
// PostgreSQL database: only the leader polls Telegram and sends; the
// others serve the status page and check the portals from where they are.
// It holds the policy (how long a lease lasts, how often it is renewed,
// when to stop believing in it); storage holds the lease itself and
// measures it on the database's clock.
//
// # Why the timings are safe
//
// Lease (LEADER_LEASE) is the promise: a leader that dies is replaced
// within Lease. An Elector attempts every Lease/4 (every), and each
// acquisition or renewal holds the lease on the database for the rest,
// held = Lease - every, three quarters of it. Before each attempt it notes
// t0 on its own monotonic clock; when the attempt succeeds it believes
// itself leader until t0 + held - margin, margin being held/5, and not
// one instant longer, whatever happens to the attempts that follow (a
// renewal that fails or says another holder has the lease ends it at once;
// one that hangs, as on a cut network, is abandoned at that instant).
//
// The database wrote expires_at = its now + held, its now being taken when
// the statement arrived: after t0, in real time. Another instance can take
// the lease only once the database's now reaches expires_at, so no sooner
// than t0 + held in real time. The old leader stopped margin before that.
// Only the database's clock and each instance's monotonic clock are read,
// never two wall clocks against each other: a skew between machines
// changes nothing. The margin covers what separates the instance's stop from
// the real instant: the rate error of its monotonic clock (parts per
// million: microseconds over a lease), a timer or goroutine woken late,
// a garbage-collection or VM pause between reading Leading and acting
// (milliseconds, rarely a second: 2.25 s for the default 15 s lease). What
// a longer pause lets through is what the fence is for: every claim and
// send will carry it, and the database will refuse an old one.
//
// The Elector reads time.Now's monotonic clock, never the wall clock cmd
// injects elsewhere (SENTINELLE_FAKE_CLOCK_FILE moves dates, and must not
// move a lease); its tests run in testing/synctest's bubble instead.
//
// A leader that dies without releasing (SIGKILL, power, network) is
// replaced within Lease. At worst it renewed at t0 and died just after:
// its lease ends at t0 + held on the database's clock, and a follower,
// attempting every Lease/4, takes it at most every later, at
// t0 + held + every = t0 + Lease: within Lease of the death, plus the
// time the renewal took to reach the database (its clock dated the lease
// then, a round trip at most after t0). A leader
// stopping cleanly releases the lease (Resign), and a follower takes over
// at its next attempt, within Lease/4.
//
// With SQLite one process runs: Always is the leader, with no lease and no
// background work. An Elector on SQLite would work too, but its renewals
// would queue behind the single writer's long transactions (a fan-out),
// and a late renewal would make the only instance stop sending.
package leader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"sentinelle/storage"
)

// Leases is what an Elector needs from the database: storage.Lease, on
// either engine.
type Leases interface {
	Acquire(ctx context.Context, name, holder string, d time.Duration) (storage.LeaseState, error)
	Release(ctx context.Context, name, holder string) (bool, error)
}

var _ Leases = storage.Lease{}

// DefaultName is the name of the lease of the leader.
const DefaultName = "leader"

// Role is what an instance is at an instant: leader with a fence, or
// follower.
type Role struct {
	Leading bool
	// Fence is the leader's fencing token; 0 for a follower.
	Fence int64
	// At is when the Elector changed role, on the instance's clock.
	At time.Time
	// Reason says why, for the log: "acquired", "refused", "error",
	// "expired", "stopped".
	Reason string
}

// Options are an Elector's settings.
type Options struct {
	Leases Leases
	// Name is the lease's name; empty: DefaultName.
	Name string
	// Holder names this process among instances and restarts: a restarted
	// process with its predecessor's name would inherit its fence. Empty:
	// InstanceName().
	Holder string
	// Lease is LEADER_LEASE: a leader that dies is replaced within it.
	// An acquisition or renewal holds the lease for three quarters of it
	// on the database's clock, and one is attempted every quarter.
	Lease  time.Duration
	Logger *slog.Logger
	// OnChange, when set, is called on Run's goroutine at every change of
	// role, in order. It must return quickly.
	OnChange func(Role)
}

// Elector keeps or seeks the lease. Leading is safe for concurrent use.
type Elector struct {
	leases   Leases
	name     string
	holder   string
	every    time.Duration // Lease/4: between two attempts
	held     time.Duration // Lease - every: how long the database holds a lease granted
	margin   time.Duration // held/5: how much sooner than the database the leader stops
	log      *slog.Logger
	onChange func(Role)
	always   bool

	mu       sync.Mutex
	leading  bool
	fence    int64
	deadline time.Time // with a monotonic reading: when leadership ends, unless renewed
}

// New returns an Elector over opts.Leases, a follower until Run acquires
// the lease.
func New(opts Options) (*Elector, error) {
	if opts.Leases == nil {
		return nil, errors.New("leader: no leases")
	}
	if opts.Lease <= 0 {
		return nil, fmt.Errorf("leader: lease %v, want > 0", opts.Lease)
	}
	every := opts.Lease / 4
	held := opts.Lease - every
	e := &Elector{leases: opts.Leases, name: opts.Name, holder: opts.Holder,
		every: every, held: held, margin: held / 5, log: opts.Logger, onChange: opts.OnChange}
	if e.name == "" {
		e.name = DefaultName
	}
	if e.holder == "" {
		e.holder = InstanceName()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e, nil
}

// Always is the leader of a single process (SQLite): it leads from the
// start with fence 1, its Run returns at once and Resign does nothing.
func Always() *Elector {
	return &Elector{always: true, leading: true, fence: 1, log: slog.New(slog.DiscardHandler)}
}

// InstanceName names this process uniquely: HolderFor the host name.
func InstanceName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return HolderFor(host)
}

// HolderFor names this process uniquely after name (an instance's
// VANTAGE, a host): name, process id and a random suffix, so that two
// processes never share a holder name, not even a restarted one with the
// same pid in a container, nor two instances given one name by mistake.
func HolderFor(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", name, os.Getpid(), hex.EncodeToString(b))
}

// Holder is the name this Elector holds the lease under.
func (e *Elector) Holder() string { return e.holder }

// Name is the lease's name in the leases table, for the database to check
// the fence of what the leader does (notify.Options.Lease); "" for Always,
// which holds no lease: there is nothing to check.
func (e *Elector) Name() string { return e.name }

// Leading returns the fence and true while this instance is the leader:
// the lease was renewed and its deadline, on this instance's monotonic
// clock, has not passed. It is read at the instant of acting, so that a
// leader cut from the database stops at its deadline even while Run waits
// on a renewal.
func (e *Elector) Leading() (fence int64, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leading || (!e.always && !time.Now().Before(e.deadline)) {
		return 0, false
	}
	return e.fence, true
}

// Run seeks or renews the lease every Lease/4 until ctx is done, then
// reports follower and returns, without releasing the lease: a process
// killed does the same, and its lease runs out. On a clean stop, call
// Resign after Run returned.
func (e *Elector) Run(ctx context.Context) error {
	if e.always {
		return nil
	}
	for {
		t0 := time.Now()
		e.attempt(ctx, t0)
		if !e.sleep(ctx, t0.Add(e.every)) {
			e.set(Role{Reason: "stopped"})
			return nil
		}
	}
}

// attempt acquires or renews the lease once. A leader's attempt may last
// until its deadline, a follower's until the next attempt.
func (e *Elector) attempt(ctx context.Context, t0 time.Time) {
	limit := t0.Add(e.every)
	e.mu.Lock()
	if e.leading {
		limit = e.deadline
	}
	e.mu.Unlock()
	actx, cancel := context.WithDeadline(ctx, limit)
	st, err := e.leases.Acquire(actx, e.name, e.holder, e.held)
	cancel()
	switch {
	case ctx.Err() != nil:
		return // Run reports the stop
	case err != nil:
		e.log.Warn("leader: lease attempt failed", "lease", e.name, "error", err)
		e.set(Role{Reason: "error"})
	case !st.Held:
		e.set(Role{Reason: "refused"})
	case !time.Now().Before(t0.Add(e.held - e.margin)):
		e.set(Role{Reason: "expired"}) // granted, but the answer came too late to act on
	default:
		e.renewed(st.Fence, t0.Add(e.held-e.margin))
	}
}

// sleep waits until next, reporting follower if the deadline passes
// meanwhile (it cannot while attempts last less than held - margin -
// every, 0.35 Lease, but a slow database could). It returns false when
// ctx is done.
func (e *Elector) sleep(ctx context.Context, next time.Time) bool {
	for {
		wake := next
		e.mu.Lock()
		leading, deadline := e.leading, e.deadline
		e.mu.Unlock()
		if leading && deadline.Before(wake) {
			wake = deadline
		}
		t := time.NewTimer(time.Until(wake))
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		if !time.Now().Before(next) {
			return true
		}
		e.set(Role{Reason: "expired"})
	}
}

// renewed records a successful acquisition or renewal.
func (e *Elector) renewed(fence int64, deadline time.Time) {
	e.mu.Lock()
	was, wasFence := e.leading, e.fence
	e.leading, e.fence, e.deadline = true, fence, deadline
	e.mu.Unlock()
	if !was || wasFence != fence {
		e.log.Info("leader: leading", "lease", e.name, "holder", e.holder, "fence", fence)
		e.changed(Role{Leading: true, Fence: fence, Reason: "acquired"})
	}
}

// set makes the Elector a follower, reporting it if it was the leader.
func (e *Elector) set(r Role) {
	e.mu.Lock()
	was := e.leading
	e.leading, e.fence = false, 0
	e.mu.Unlock()
	if was {
		e.log.Warn("leader: following", "lease", e.name, "holder", e.holder, "reason", r.Reason)
		e.changed(r)
	}
}

func (e *Elector) changed(r Role) {
	r.At = time.Now()
	if e.onChange != nil {
		e.onChange(r)
	}
}

// Resign releases the lease, on a clean stop after Run returned, so that
// another instance takes over at its next attempt instead of when the
// lease runs out.
func (e *Elector) Resign(ctx context.Context) error {
	if e.always {
		return nil
	}
	e.set(Role{Reason: "stopped"})
	if _, err := e.leases.Release(ctx, e.name, e.holder); err != nil {
		return fmt.Errorf("leader: resign: %w", err)
	}
	return nil
}
