package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// TestMetrics feeds every kind of observation and reads them back from
// /metrics, with the values read from the database at scrape time.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	m := srv.metrics
	m.ObserveProbe("monlycee", 900*time.Millisecond, "down")
	m.ObserveProbe("monlycee", 300*time.Millisecond, "up")
	m.ObserveProbe("toutatice", 300*time.Millisecond, "bogus")
	m.RoundDone(false)
	m.RoundDone(false)
	m.RoundDone(true)
	m.EventWritten("outage")
	m.EventWritten("nonsense")
	for _, r := range []string{"ok", "ok", "429", "retried", "undeliverable", "boom"} {
		m.SendResult(r)
	}
	m.UpdateProcessed()
	m.CommandLatency("etat", 20*time.Millisecond)
	m.CommandLatency("Bad Command", time.Millisecond)
	for i := range 40 {
		m.CommandLatency(fmt.Sprintf("c%d", i), time.Millisecond)
	}

	res, body := get(t, srv.Handler(), "/metrics")
	if res.StatusCode != 200 {
		t.Fatalf("/metrics = %d", res.StatusCode)
	}
	text := string(body)
	wantMetrics(t, text,
		`sentinelle_probe_duration_seconds_count{service="monlycee"} 2`,
		`sentinelle_probe_results_total{service="monlycee",state="down"} 1`,
		`sentinelle_probe_results_total{service="toutatice",state="other"} 1`,
		`sentinelle_rounds_total{voided="false"} 2`,
		`sentinelle_rounds_total{voided="true"} 1`,
		`sentinelle_events_total{kind="outage"} 1`,
		`sentinelle_events_total{kind="other"} 1`,
		`sentinelle_sends_total{result="ok"} 2`,
		`sentinelle_sends_total{result="429"} 1`,
		`sentinelle_sends_total{result="retried"} 1`,
		`sentinelle_sends_total{result="undeliverable"} 1`,
		`sentinelle_sends_total{result="other"} 1`,
		`sentinelle_updates_processed_total 1`,
		`sentinelle_command_duration_seconds_count{command="etat"} 1`,
		`sentinelle_outbox_depth{priority="bulk"} 0`,
		`sentinelle_outbox_depth{priority="reply"} 0`,
		`sentinelle_service_state{service="monlycee",state="down"} 1`,
		`sentinelle_service_state{service="monlycee",state="up"} 0`,
		`sentinelle_service_state{service="ent-aura",state="maintenance"} 1`,
		`sentinelle_last_round_voided 0`,
		`sentinelle_last_round_timestamp_seconds 1.61769476e+09`,
		`sentinelle_last_judged_round_timestamp_seconds 1.61769476e+09`,
		`sentinelle_leader 1`,
		`go_goroutines`,
	)
	if n := strings.Count(text, "sentinelle_command_duration_seconds_count{"); n != maxCommandLabels+1 {
		t.Errorf("%d command labels, want %d plus other", n, maxCommandLabels)
	}
	if !strings.Contains(text, `sentinelle_command_duration_seconds_count{command="other"} 10`) {
		t.Error("bad and surplus commands not counted as other")
	}
}

// TestMetricsNil: a part wired without metrics calls them safely.
func TestMetricsNil(t *testing.T) {
	var m *Metrics
	m.ObserveProbe("x", time.Second, "up")
	m.RoundDone(true)
	m.EventWritten("outage")
	m.SendResult("ok")
	m.UpdateProcessed()
	m.CommandLatency("etat", time.Second)
	m.Panic("update")
	if m.Registry() != nil {
		t.Error("nil Metrics has a registry")
	}
}

// TestMetricsButtons: the bot reports a button press as "bouton:<prefix>";
// presses get labels of their own, bounded apart from the commands'.
func TestMetricsButtons(t *testing.T) {
	m := NewMetrics()
	for _, cmd := range []string{"bouton:r", "bouton:r", "bouton:ok", "bouton:inconnu", "bouton:", "bouton:Zz!", "etat"} {
		m.CommandLatency(cmd, time.Millisecond)
	}
	for i := range 2 * maxButtonLabels {
		m.CommandLatency(fmt.Sprintf("bouton:x%d", i), time.Millisecond)
	}
	text := scrape(t, m)
	wantMetrics(t, text,
		`sentinelle_command_duration_seconds_count{command="bouton_r"} 2`,
		`sentinelle_command_duration_seconds_count{command="bouton_ok"} 1`,
		`sentinelle_command_duration_seconds_count{command="etat"} 1`,
	)
	if n := strings.Count(text, `sentinelle_command_duration_seconds_count{command="bouton_`); n != maxButtonLabels+1 {
		t.Errorf("%d button labels, want %d plus bouton_inconnu", n, maxButtonLabels)
	}
	// inconnu, the empty and malformed prefixes, and the surplus.
	want := fmt.Sprintf(`sentinelle_command_duration_seconds_count{command="bouton_inconnu"} %d`, 3+2*maxButtonLabels-(maxButtonLabels-2))
	if !strings.Contains(text, want) {
		t.Errorf("/metrics lacks %s", want)
	}
	if strings.Contains(text, `command="other"`) {
		t.Error("a button press counted as other")
	}
}

// scrape reads /metrics from a server that has only m.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	res, body := get(t, New(Options{Metrics: m}).Handler(), "/metrics")
	if res.StatusCode != 200 {
		t.Fatalf("/metrics = %d", res.StatusCode)
	}
	return string(body)
}

// TestMetricsLeader: sentinelle_leader follows the elector at each
// scrape; without one (SQLite, one process) it is always 1.
func TestMetricsLeader(t *testing.T) {
	if text := scrape(t, NewMetrics()); !strings.Contains(text, "\nsentinelle_leader 1\n") {
		t.Errorf("without an elector, /metrics lacks sentinelle_leader 1:\n%s", text)
	}
	leading := true
	m := NewMetrics()
	h := New(Options{Metrics: m, Leading: func() (int64, bool) { return 3, leading }}).Handler()
	for _, tt := range []struct {
		leading bool
		want    string
	}{{true, "1"}, {false, "0"}, {true, "1"}} {
		leading = tt.leading
		_, body := get(t, h, "/metrics")
		if !strings.Contains(string(body), "\nsentinelle_leader "+tt.want+"\n") {
			t.Errorf("leading %v: /metrics lacks sentinelle_leader %s", tt.leading, tt.want)
		}
	}
}

// TestMetricsOutboxSize: /metrics shows how much the outbox holds, in rows
// by table and in payload bytes, per lane, read from the database.
func TestMetricsOutboxSize(t *testing.T) {
	now := storyNow(t)
	st := openStore(t, now)
	payload := `{"text":"Réponse à /etat"}`
	_, _, err := storagetest.Do2(st.Update, context.Background(), func(tx *storage.Tx) (int64, bool, error) {
		return tx.InsertEvent(context.Background(), storage.NewEvent{DedupKey: "reply:1:1", Kind: status.KindReply,
			Priority: storage.PriorityReply, Audience: status.AudienceChat(1), Payload: payload})
	})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Metrics: m, Now: func() time.Time { return now }})
	text := scrape(t, m)
	wantMetrics(t, text,
		`sentinelle_outbox_rows{lane="reply",table="events"} 1`,
		`sentinelle_outbox_rows{lane="reply",table="deliveries"} 0`,
		`sentinelle_outbox_rows{lane="bulk",table="events"} 0`,
		`sentinelle_outbox_rows{lane="notice",table="channel_posts"} 0`,
		fmt.Sprintf(`sentinelle_outbox_bytes{lane="reply"} %d`, len(payload)),
		`sentinelle_outbox_bytes{lane="bulk"} 0`,
	)
}

// TestMetricsPanics counts the panics recovered while handling an update
// or rendering a delivery, both shown from the start.
func TestMetricsPanics(t *testing.T) {
	m := NewMetrics()
	if text := scrape(t, m); !strings.Contains(text, `sentinelle_panics_total{where="render"} 0`) {
		t.Error(`/metrics lacks sentinelle_panics_total{where="render"} 0 before any panic`)
	}
	for _, where := range []string{"update", "update", "render", "ailleurs"} {
		m.Panic(where)
	}
	text := scrape(t, m)
	wantMetrics(t, text,
		`sentinelle_panics_total{where="update"} 2`,
		`sentinelle_panics_total{where="render"} 1`,
		`sentinelle_panics_total{where="other"} 1`,
	)
}

// wantMetrics reports each line of want that the /metrics text lacks.
func wantMetrics(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}
