package checker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// Store is what a Runner needs from the database; *storage.Store has it:
// the transaction in which Record writes a round, and the pruning of old
// results.
type Store interface {
	Updater
	PruneResults(ctx context.Context, before time.Time) (int64, error)
}

// DefaultRetention is how long raw results are kept; uptime, states and
// incidents are kept beyond it.
const DefaultRetention = 30 * 24 * time.Hour

// Options configures a Runner. cmd fills it from its Config: Probe.Timeout
// is CHECK_TIMEOUT, Concurrency CHECK_CONCURRENCY, DownAfter and UpAfter
// the variables of the same names, CanaryURLs CANARY_URLS, and
// Probe.UserAgent is UserAgent(version, PUBLIC_URL).
type Options struct {
	Catalog     *catalog.Catalog // required
	Store       Store            // required
	Logger      *slog.Logger     // nil discards
	Now         func() time.Time // nil is time.Now; dates rounds (latencies use Probe.Now)
	Probe       ProbeOptions
	Concurrency int // probes at once, canaries included; ≤ 0 means one per service and canary
	DownAfter   int // ≤ 0 means 2
	UpAfter     int // ≤ 0 means 2
	CanaryURLs  []string
	// Vantage names this instance among those sharing the database
	// (VANTAGE): its rounds and results are stored under it, and the
	// leader's vote counts each vantage once. "" is fine for one instance.
	Vantage string
	// Leader, when set, tells at each round whether this instance is the
	// one that runs the state machine: the leader records its round with
	// the vote over every vantage's latest results (Record); another only
	// writes its round and results (WriteRound). Nil: always the leader,
	// as one instance on SQLite is.
	Leader func() bool
	// MaxGap is the longest time between two rounds counted in a service's
	// state for uptime; beyond, unknown (the checker was stopped). Zero
	// means three times the schedule's interval once Start knows it, and
	// DefaultMaxGap for rounds run without Start.
	MaxGap time.Duration
	// Retention is how long raw results are kept; zero means
	// DefaultRetention.
	Retention time.Duration
	// OnEvents, when set, is called after a round that committed event
	// rows, so that the delivery side can wake up instead of polling.
	OnEvents func()
	// OnRound, when set, is called after each recorded round with its
	// report, for /metrics. It must be quick: it runs on the round's
	// goroutine.
	OnRound func(RoundReport)
}

// Runner runs check rounds over every service of a catalog.
type Runner struct {
	opts   Options
	probe  *Probe
	log    *slog.Logger
	now    func() time.Time
	th     Thresholds
	maxGap atomic.Int64 // nanoseconds; set by New, or by Start from the schedule
	// interval is the time between two rounds, in nanoseconds: the
	// schedule's once Start knows it, DefaultInterval before.
	interval atomic.Int64
	// record writes a round: Record on the Store, or a test's stand-in.
	record func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error)
}

// New checks the options and builds a Runner.
func New(opts Options) (*Runner, error) {
	if opts.Catalog == nil {
		return nil, errors.New("checker: nil Catalog")
	}
	if opts.Store == nil {
		return nil, errors.New("checker: nil Store")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = len(opts.Catalog.Services) + len(opts.CanaryURLs)
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	th := Thresholds{DownAfter: opts.DownAfter, UpAfter: opts.UpAfter}
	if th.DownAfter <= 0 {
		th.DownAfter = 2
	}
	if th.UpAfter <= 0 {
		th.UpAfter = 2
	}
	if len(opts.CanaryURLs) == 0 {
		opts.Logger.Warn("no canary URL: the vantage guard is off, a failure of the checker's own network would be announced as an outage of every service")
	}
	r := &Runner{opts: opts, probe: NewProbe(opts.Probe), log: opts.Logger, now: opts.Now, th: th}
	r.record = func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error) {
		return Record(ctx, opts.Store, in, decide)
	}
	r.maxGap.Store(int64(opts.MaxGap))
	r.interval.Store(int64(DefaultInterval))
	return r, nil
}

// DefaultInterval is the time between two rounds that a Runner assumes
// until Start tells it the schedule's: that of the default CHECK_SCHEDULE,
// @every 1m.
const DefaultInterval = time.Minute

// freshRounds is how many intervals old another vantage's latest round
// may be and still be counted by the vote: one round late is fine, two is
// an instance that stopped.
const freshRounds = 2

// RoundReport is what one round saw and changed.
type RoundReport struct {
	RoundID        int64
	StartedAt      time.Time
	Duration       time.Duration // of the probes, before recording
	Results        []Result      // one per service, in catalog order
	Canaries       []Result      // one per canary URL
	Failed         int           // services not judged up by their probe
	CanariesFailed int           // canaries that sent no HTTP response
	Voided         bool          // by this instance's vantage guard
	Vantage        string
	Leader         bool     // this instance ran the state machine
	Counted        []string // the vantages the leader's vote counted; empty when not Leader or when no vantage counted
	Transitions    []Transition
	Events         int
}

// RunOnce runs one round now: every service and canary probed concurrently,
// the vantage guard applied, and everything recorded in one transaction:
// by the leader, its round and the vote over every vantage's latest round
// (Record); by another instance, its round and results alone (WriteRound).
// It returns ctx's error without recording anything when ctx ends during
// the round (a shutdown must not be mistaken for an outage).
func (r *Runner) RunOnce(ctx context.Context) (RoundReport, error) {
	start := r.now()
	began := time.Now() // a measurement, not a date: monotonic even with a fake now
	rep := RoundReport{StartedAt: start}
	rep.Results, rep.Canaries = r.probeAll(ctx)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("checker: round interrupted: %w", err)
	}
	rep.Duration = time.Since(began)
	rep.Failed, rep.CanariesFailed = countFailures(rep.Results, rep.Canaries)
	rep.Voided = voided(len(rep.Results), rep.Failed, len(rep.Canaries), rep.CanariesFailed)
	rep.Vantage, rep.Leader = r.opts.Vantage, r.opts.Leader == nil || r.opts.Leader()
	in, decide := r.roundInput(rep)
	var out RoundOutcome
	var err error
	if rep.Leader {
		out, err = r.record(ctx, in, decide)
	} else {
		out.RoundID, err = WriteRound(ctx, r.opts.Store, in)
	}
	if err != nil {
		return rep, fmt.Errorf("checker: record round: %w", err)
	}
	rep.RoundID, rep.Counted, rep.Transitions, rep.Events = out.RoundID, out.Counted, out.Transitions, out.Events
	r.logRound(rep)
	r.logUnverified(out.Unverified)
	if n, err := r.opts.Store.PruneResults(ctx, start.Add(-r.opts.Retention)); err != nil {
		r.log.Warn("prune old results", "error", err)
	} else if n > 0 {
		r.log.Debug("pruned old results", "results", n)
	}
	if rep.Events > 0 && r.opts.OnEvents != nil {
		r.opts.OnEvents()
	}
	if r.opts.OnRound != nil {
		r.opts.OnRound(rep)
	}
	return rep, nil
}

// probeAll probes canaries (first, so that they never wait behind hanging
// portals) and services in one pool.
func (r *Runner) probeAll(ctx context.Context) (services, canaries []Result) {
	svcs := r.opts.Catalog.Services
	services = make([]Result, len(svcs))
	canaries = make([]Result, len(r.opts.CanaryURLs))
	jobs := make([]func(), 0, len(svcs)+len(canaries))
	for i, u := range r.opts.CanaryURLs {
		jobs = append(jobs, func() {
			canaries[i] = Judge(nil, catalog.Service{ID: storage.CanaryPrefix + u, URL: u}, r.probe.Fetch(ctx, u))
		})
	}
	for i, svc := range svcs {
		jobs = append(jobs, func() { services[i] = r.probe.Check(ctx, r.opts.Catalog, svc) })
	}
	runAll(r.opts.Concurrency, jobs)
	return services, canaries
}

func countFailures(services, canaries []Result) (failed, canariesFailed int) {
	for _, res := range services {
		if res.State != status.Up {
			failed++
		}
	}
	for _, c := range canaries {
		if !c.Answered {
			canariesFailed++
		}
	}
	return failed, canariesFailed
}

// voided is the vantage guard: a round is void when more than half of the
// services failed and every canary failed too, because then the likeliest
// cause is the checker's own network. Without canaries there is no
// evidence either way and the guard never voids: a nationwide outage must
// not be hidden by a missing setting. A canary fails when it sends no HTTP
// response at all; any status proves the network works.
func voided(services, failed, canaries, canariesFailed int) bool {
	return canaries > 0 && canariesFailed == canaries && failed*2 > services
}

// roundInput is what Record writes for a round, and the Decider that
// judges its services: Decide at their catalog URL with the thresholds.
func (r *Runner) roundInput(rep RoundReport) (RoundInput, Decider) {
	in := RoundInput{
		Round: storage.Round{Vantage: rep.Vantage, StartedAt: rep.StartedAt, FinishedAt: rep.StartedAt.Add(rep.Duration),
			Services: len(rep.Results), Failed: rep.Failed, Canaries: len(rep.Canaries),
			CanariesFailed: rep.CanariesFailed, Voided: rep.Voided},
		VoteSince: rep.StartedAt.Add(-freshRounds * time.Duration(r.interval.Load())),
		MaxGap:    time.Duration(r.maxGap.Load()),
	}
	// Events are written, and then sent, in this order: the académies' own
	// portals first, the national services last. A national outage
	// reaches every subscriber; sent first, its fan-out would hold back
	// the news of each family's own ENT (on 6 April 2021, the CNED's).
	for _, national := range []bool{false, true} {
		for _, res := range rep.Results {
			if svc, _ := r.opts.Catalog.Service(res.ServiceID); svc.National == national {
				in.Results = append(in.Results, toStorage(res, rep.StartedAt))
			}
		}
	}
	for _, c := range rep.Canaries {
		in.Canaries = append(in.Canaries, toStorage(c, rep.StartedAt))
	}
	th, cat := r.th, r.opts.Catalog
	at := rep.StartedAt
	decide := func(prev storage.ServiceState, res storage.CheckResult) storage.ServiceState {
		svc, _ := cat.Service(res.ServiceID)
		return Decide(prev, res, svc.URL, th, at)
	}
	return in, decide
}

func toStorage(r Result, at time.Time) storage.CheckResult {
	return storage.CheckResult{ServiceID: r.ServiceID, At: at, State: r.State, Reason: r.Reason,
		HTTPStatus: r.HTTPStatus, Latency: r.Latency, FinalURL: r.FinalURL, Error: r.Error}
}

func (r *Runner) logRound(rep RoundReport) {
	for _, tr := range rep.Transitions {
		attrs := []any{"service", tr.ServiceID, "from", tr.From, "to", tr.To, "reason", tr.Reason, "announced", tr.Announced}
		if len(tr.Sightings) > 1 {
			attrs = append(attrs, "vantages", sightings(tr.Sightings))
		}
		r.log.Info("service changed state", attrs...)
	}
	attrs := []any{"round_id", rep.RoundID, "services", len(rep.Results), "failed", rep.Failed,
		"canaries_failed", rep.CanariesFailed, "duration_ms", rep.Duration.Milliseconds(), "events", rep.Events}
	if len(rep.Counted) > 1 || rep.Voided && len(rep.Counted) > 0 {
		attrs = append(attrs, "vantages", strings.Join(rep.Counted, ","))
	}
	switch {
	case rep.Voided && len(rep.Counted) > 0:
		r.log.Warn("most services and every canary failed from here, the checker's network is probably down: judged on the other vantages", attrs...)
	case rep.Voided:
		r.log.Warn("round voided: most services and every canary failed, the checker's network is probably down", attrs...)
	case len(rep.Transitions) > 0:
		r.log.Info("round done", attrs...)
	case !rep.Leader:
		r.log.Debug("round written for the leader", attrs...)
	default:
		r.log.Debug("round done", attrs...)
	}
}

// sightings is a vote's record for a log: "lyon=down/timeout paris=up/ok".
func sightings(seen []Sighting) string {
	parts := make([]string, len(seen))
	for i, s := range seen {
		parts[i] = s.Vantage + "=" + string(s.State) + "/" + string(s.Reason)
	}
	return strings.Join(parts, " ")
}

// logUnverified tells the operator, once per service, that a portal has
// never been seen up at its catalog URL: the académie staff should check
// the catalog entry. Nobody else is told.
func (r *Runner) logUnverified(results []storage.CheckResult) {
	for _, res := range results {
		svc, _ := r.opts.Catalog.Service(res.ServiceID)
		r.log.Warn("service never seen up at its catalog URL: not announced, check the catalog entry",
			"service", res.ServiceID, "url", svc.URL, "reason", res.Reason, "status_code", res.HTTPStatus, "error", res.Error)
	}
}
