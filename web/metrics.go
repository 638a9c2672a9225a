package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sentinelle/status"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxCommandLabels bounds the command label: commands come from what users
// type, and each distinct label is a time series kept forever.
// maxButtonLabels bounds the labels of button presses apart, so that
// presses (whose callback data a client may forge) and commands do not
// take each other's places.
const (
	maxCommandLabels = 32
	maxButtonLabels  = 16
)

// buttonPrefix is how the bot names a button press to CommandLatency
// ("bouton:r", "bouton:ok"); buttonUnknown the label of a press the bot did
// not recognise, and of those beyond maxButtonLabels.
const (
	buttonPrefix  = "bouton:"
	buttonUnknown = "bouton_inconnu"
)

// Metrics is what /metrics exposes, in its own registry (never the global
// default one, so that two servers in one test do not collide). The
// checker, the dispatcher and the bot cannot import web: cmd passes these
// methods to them as plain callbacks. Every method is safe on a nil
// *Metrics and does nothing, so a part wired without metrics needs no
// special case.
type Metrics struct {
	reg             *prometheus.Registry
	probeDuration   *prometheus.HistogramVec
	probeResults    *prometheus.CounterVec
	rounds          *prometheus.CounterVec
	events          *prometheus.CounterVec
	sends           *prometheus.CounterVec
	updates         prometheus.Counter
	commandDuration *prometheus.HistogramVec
	panics          *prometheus.CounterVec

	mu       sync.Mutex
	commands map[string]bool // command labels seen, at most maxCommandLabels
	buttons  map[string]bool // button labels seen, at most maxButtonLabels
	watching bool            // the store collector is registered
	leader   bool            // sentinelle_leader is registered
}

// NewMetrics builds the registry with the Go runtime and process metrics
// and Sentinelle's own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), commands: map[string]bool{}, buttons: map[string]bool{}}
	m.probeDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sentinelle_probe_duration_seconds", Help: "Time to fetch and judge a service's page, by service.",
		Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 8, 12, 20, 30},
	}, []string{"service"})
	m.probeResults = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sentinelle_probe_results_total", Help: "Probes by service and by the state that probe alone showed (before thresholds).",
	}, []string{"service", "state"})
	m.rounds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sentinelle_rounds_total", Help: "Check rounds finished; voided=\"true\" when the vantage guard voided the round.",
	}, []string{"voided"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sentinelle_events_total", Help: "Events written to the outbox, by kind.",
	}, []string{"kind"})
	m.sends = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sentinelle_sends_total", Help: "Telegram sends by result: ok, 429, retried, undeliverable, other.",
	}, []string{"result"})
	m.updates = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sentinelle_updates_processed_total", Help: "Telegram updates processed by the bot.",
	})
	m.commandDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sentinelle_command_duration_seconds", Help: "Time from receiving a bot command to queueing its reply, by command.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"command"})
	m.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sentinelle_panics_total", Help: "Panics recovered, by where: update (handling a Telegram update), render (a delivery's text).",
	}, []string{"where"})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.probeDuration, m.probeResults, m.rounds, m.events, m.sends, m.updates, m.commandDuration, m.panics)
	for _, w := range []string{"update", "render"} {
		m.panics.WithLabelValues(w)
	}
	for _, v := range []string{"false", "true"} {
		m.rounds.WithLabelValues(v)
	}
	for _, r := range []string{"ok", "429", "retried", "undeliverable", "other"} {
		m.sends.WithLabelValues(r)
	}
	return m
}

// Registry lets cmd register more collectors on the same /metrics.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// ObserveProbe records one probe: how long it took and the state that
// probe alone showed (up, degraded or down).
func (m *Metrics) ObserveProbe(service string, latency time.Duration, state status.State) {
	if m == nil {
		return
	}
	switch state {
	case status.Up, status.Degraded, status.Down:
	default:
		state = "other"
	}
	m.probeDuration.WithLabelValues(service).Observe(latency.Seconds())
	m.probeResults.WithLabelValues(service, string(state)).Inc()
}

// RoundDone counts a finished round, voided or not.
func (m *Metrics) RoundDone(voided bool) {
	if m == nil {
		return
	}
	m.rounds.WithLabelValues(strconv.FormatBool(voided)).Inc()
}

// EventWritten counts an event written to the outbox (outage, degraded,
// recovery, class_notice, announcement, reply).
func (m *Metrics) EventWritten(kind status.Kind) {
	if m == nil {
		return
	}
	if !slices.Contains(status.AllKinds(), kind) {
		kind = "other"
	}
	m.events.WithLabelValues(string(kind)).Inc()
}

// SendResult counts one attempt to send a message: "ok", "429" (Telegram
// asked to slow down), "retried" (a temporary failure, sent again later)
// or "undeliverable" (blocked, chat gone: given up).
func (m *Metrics) SendResult(result string) {
	if m == nil {
		return
	}
	switch result {
	case "ok", "429", "retried", "undeliverable":
	default:
		result = "other"
	}
	m.sends.WithLabelValues(result).Inc()
}

// UpdateProcessed counts one Telegram update handled by the bot.
func (m *Metrics) UpdateProcessed() {
	if m == nil {
		return
	}
	m.updates.Inc()
}

// Panic counts a panic recovered: "update" while the bot handled an
// update, "render" while the dispatcher rendered a delivery; anything else
// is counted as "other". Any of them is a bug to look at.
func (m *Metrics) Panic(where string) {
	if m == nil {
		return
	}
	if where != "update" && where != "render" {
		where = "other"
	}
	m.panics.WithLabelValues(where).Inc()
}

// CommandLatency records how long a bot command took, by command name
// (without the slash). Names that are not plain lower-case words, and new
// names beyond the first 32, are counted as "other". A button press,
// reported as "bouton:<prefix>", is counted as "bouton_<prefix>", and
// beyond the first 16 prefixes as "bouton_inconnu".
func (m *Metrics) CommandLatency(cmd string, d time.Duration) {
	if m == nil {
		return
	}
	m.commandDuration.WithLabelValues(m.commandLabel(cmd)).Observe(d.Seconds())
}

func (m *Metrics) commandLabel(cmd string) string {
	if prefix, ok := strings.CutPrefix(cmd, buttonPrefix); ok {
		label := "bouton_" + prefix
		if label == buttonUnknown || !plainWord(prefix, 16, '_') {
			return buttonUnknown
		}
		return m.bounded(m.buttons, maxButtonLabels, label, buttonUnknown)
	}
	if !plainWord(cmd, 32, '_') {
		return "other"
	}
	return m.bounded(m.commands, maxCommandLabels, cmd, "other")
}

// plainWord accepts 1 to n lower-case ASCII letters, digits and joiner
// bytes: what a label ('_') or an académie slug ('-') may be.
func plainWord(s string, n int, joiner byte) bool {
	if s == "" || len(s) > n {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != joiner {
			return false
		}
	}
	return true
}

// bounded returns label when seen holds it or has room for it, else
// surplus.
func (m *Metrics) bounded(seen map[string]bool, max int, label, surplus string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !seen[label] {
		if len(seen) >= max {
			return surplus
		}
		seen[label] = true
	}
	return label
}

// handler serves the registry, never cached.
func (m *Metrics) handler() http.Handler {
	if m == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			noStore(w)
			http.Error(w, "métriques non configurées", http.StatusNotFound)
		})
	}
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		h.ServeHTTP(w, r)
	})
}
