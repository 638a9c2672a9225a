package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"sentinelle/status"
	"sentinelle/storage"
)

// watchStore adds the metrics read from the database at scrape time: the
// outbox depth per lane, the judged state of each service and the last
// round, as checker says it (the Server's checkerStatus, so that /metrics
// and the page agree on when checking is suspended). The first store given
// wins.
func (m *Metrics) watchStore(store metricsStore, now func() time.Time, log *slog.Logger, checker checkerFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.watching {
		return
	}
	m.watching = true
	m.reg.MustRegister(newStoreCollector(store, now, log, checker))
}

// watchLeader adds sentinelle_leader, read at scrape time: 1 on the
// instance that polls Telegram and sends, 0 on the others. The first
// function given wins.
func (m *Metrics) watchLeader(leading func() (int64, bool)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leader {
		return
	}
	m.leader = true
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sentinelle_leader", Help: "1 on the leader among the instances sharing the database (it polls Telegram and sends), 0 on the others.",
	}, func() float64 {
		if _, ok := leading(); ok {
			return 1
		}
		return 0
	}))
}

// outboxSizeEvery is how long a read of the outbox's size is reused: it
// scans the outbox tables (tens of milliseconds with 100,000 deliveries),
// and more than one scraper may read /metrics.
const outboxSizeEvery = 10 * time.Second

// storeCollector reads the database on each scrape, with a short timeout
// so that a stuck database does not hang Prometheus.
type storeCollector struct {
	store                      metricsStore
	checker                    checkerFunc
	now                        func() time.Time
	log                        *slog.Logger
	outboxDepth, serviceState  *prometheus.Desc
	unverified                 *prometheus.Desc
	lastRound, lastRoundVoided *prometheus.Desc
	lastJudged                 *prometheus.Desc
	outboxRows, outboxBytes    *prometheus.Desc
	outboxSize                 *ttlCache // the last read of the outbox's size
}

// checkerFunc reads the last round and whether checking is suspended.
type checkerFunc func(ctx context.Context, now time.Time) (checkerStatus, error)

func newStoreCollector(store metricsStore, now func() time.Time, log *slog.Logger, checker checkerFunc) *storeCollector {
	return &storeCollector{store: store, now: now, log: log, checker: checker, outboxSize: newTTLCache(outboxSizeEvery, 1),
		outboxDepth: prometheus.NewDesc("sentinelle_outbox_depth",
			"Messages waiting to be sent, by priority lane (reply, notice, bulk).", []string{"priority"}, nil),
		outboxRows: prometheus.NewDesc("sentinelle_outbox_rows",
			"Rows the outbox keeps, sent or not, by lane (reply, notice, bulk) and table (events, deliveries, channel_posts).",
			[]string{"lane", "table"}, nil),
		outboxBytes: prometheus.NewDesc("sentinelle_outbox_bytes",
			"Bytes of the payloads (texts to send and their data) of the events the outbox keeps, by lane.", []string{"lane"}, nil),
		serviceState: prometheus.NewDesc("sentinelle_service_state",
			"1 for the shown state of each service (up, degraded, down, unknown, maintenance, unverified), 0 for the others.", []string{"service", "state"}, nil),
		unverified: prometheus.NewDesc("sentinelle_services_unverified",
			"Services never seen up at their catalog address: catalog entries for the académie staff to check.", nil, nil),
		lastRound: prometheus.NewDesc("sentinelle_last_round_timestamp_seconds",
			"End of the last finished check round, Unix time.", nil, nil),
		lastJudged: prometheus.NewDesc("sentinelle_last_judged_round_timestamp_seconds",
			"End of the last round the leader judged (states move only then), Unix time: with several instances, alert when it lags while followers' rounds go on (no instance leads, or the leader's checker is stuck).", nil, nil),
		lastRoundVoided: prometheus.NewDesc("sentinelle_last_round_voided",
			"1 when checks are suspended: the vantage guard voided the latest round of every live vantage (of the one instance, its last round).", nil, nil),
	}
}

// lane names an outbox priority, in storage's order.
func lane(p int) string {
	switch p {
	case storage.PriorityReply:
		return "reply"
	case storage.PriorityNotice:
		return "notice"
	}
	return "bulk"
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.outboxDepth
	ch <- c.serviceState
	ch <- c.unverified
	ch <- c.lastRound
	ch <- c.lastRoundVoided
	ch <- c.lastJudged
	ch <- c.outboxRows
	ch <- c.outboxBytes
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if depth, err := c.store.OutboxDepth(ctx); err != nil {
		c.fail(ch, c.outboxDepth, err)
	} else {
		for i, n := range depth {
			ch <- prometheus.MustNewConstMetric(c.outboxDepth, prometheus.GaugeValue, float64(n), lane(i))
		}
	}
	c.collectOutboxSize(ctx, ch)
	if states, err := c.store.ServiceStates(ctx); err != nil {
		c.fail(ch, c.serviceState, err)
	} else {
		c.collectStates(ch, states)
	}
	cs, err := c.checker(ctx, c.now())
	switch {
	case err != nil:
		c.fail(ch, c.lastRound, err)
	case cs.HasRound:
		ch <- prometheus.MustNewConstMetric(c.lastRound, prometheus.GaugeValue, float64(cs.Round.FinishedAt.UnixMilli())/1000)
		voided := 0.0
		if cs.Suspended {
			voided = 1
		}
		ch <- prometheus.MustNewConstMetric(c.lastRoundVoided, prometheus.GaugeValue, voided)
	}
	if err == nil && cs.HasJudged {
		ch <- prometheus.MustNewConstMetric(c.lastJudged, prometheus.GaugeValue, float64(cs.Judged.FinishedAt.UnixMilli())/1000)
	}
}

// collectOutboxSize sends the outbox's rows and bytes by lane, read at most
// once per outboxSizeEvery.
func (c *storeCollector) collectOutboxSize(ctx context.Context, ch chan<- prometheus.Metric) {
	v, err := c.outboxSize.get(c.now(), "size", func() (any, error) { return c.store.OutboxSize(ctx) })
	if err != nil {
		c.fail(ch, c.outboxRows, err)
		return
	}
	for p, l := range v.([3]storage.LaneSize) {
		for table, n := range map[string]int64{"events": l.Events, "deliveries": l.Deliveries, "channel_posts": l.ChannelPosts} {
			ch <- prometheus.MustNewConstMetric(c.outboxRows, prometheus.GaugeValue, float64(n), lane(p), table)
		}
		ch <- prometheus.MustNewConstMetric(c.outboxBytes, prometheus.GaugeValue, float64(l.PayloadBytes), lane(p))
	}
}

func (c *storeCollector) fail(ch chan<- prometheus.Metric, d *prometheus.Desc, err error) {
	c.log.Warn("metrics: read database", "error", err)
	ch <- prometheus.NewInvalidMetric(d, err)
}

// collectStates sends each service's shown state and the number of
// services never seen up.
func (c *storeCollector) collectStates(ch chan<- prometheus.Metric, states []storage.ServiceState) {
	now := c.now()
	unverified := 0
	for _, st := range states {
		shown := st.State
		if st.Unverified {
			shown = stateUnverified
			unverified++
		}
		if st.InMaintenance(now) {
			shown = stateMaintenance
		}
		for _, s := range []status.State{status.Up, status.Degraded, status.Down, status.Unknown, stateMaintenance, stateUnverified} {
			v := 0.0
			if s == shown {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.serviceState, prometheus.GaugeValue, v, st.ServiceID, string(s))
		}
	}
	ch <- prometheus.MustNewConstMetric(c.unverified, prometheus.GaugeValue, float64(unverified))
}
