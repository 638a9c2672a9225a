package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/status"
)

// TestJudgementStale: a follower (lyon-2) keeps writing fresh rounds while
// the leader's last judged round is old (its checker stuck) or missing (no
// instance leads): the states stand still, so the page says so, the API
// says judgement_stale with the time of the last judgement, and /readyz
// fails on every instance, follower or leader; a judged round, voided or
// not, is a judgement. Probing times are what « dernière vérification »
// and checked_at say, judged or not.
func TestJudgementStale(t *testing.T) {
	const (
		unjudged  = "Mises à jour interrompues."
		suspended = "Vérification suspendue."
		stale     = "Vérifications interrompues."
	)
	follows := func() (int64, bool) { return 0, false }
	leads := func() (int64, bool) { return 4, true }
	tests := []struct {
		name        string
		judgedAge   time.Duration // end of the leader's last judged round, before now; 0: none
		judgedVoid  bool
		lyonVoided  bool
		started     time.Duration // before now
		leading     func() (int64, bool)
		banner      string
		wantStale   bool
		wantReady   string // /readyz's body; its code is 200 when it starts with "ok\n", else 503
		wantJudgedS string // judged_at, "" for null
	}{
		{"leader stuck, on a follower", 10 * time.Minute, false, false, time.Hour, follows, unjudged, true,
			"états mis à jour pour la dernière fois il y a 10\u00a0min : aucune instance ne juge les vérifications (limite 3\u00a0min)\nfollower\n", "-10m"},
		{"leader stuck, on the leader", 10 * time.Minute, false, false, time.Hour, leads, unjudged, true,
			"états mis à jour pour la dernière fois il y a 10\u00a0min : aucune instance ne juge les vérifications (limite 3\u00a0min)\nleader\n", "-10m"},
		{"never judged, long after start", 0, false, false, time.Hour, follows, unjudged, true,
			"aucun état mis à jour depuis le démarrage, il y a 1\u00a0h : aucune instance ne juge les vérifications (limite 3\u00a0min)\nfollower\n", ""},
		{"never judged, just started", 0, false, false, time.Minute, follows, "", false, "ok\nfollower\n", ""},
		{"leader judging", time.Minute, false, false, time.Hour, follows, "", false, "ok\nfollower\n", "-1m"},
		{"leader stuck, lyon voided", 10 * time.Minute, false, true, time.Hour, follows, unjudged, true,
			"états mis à jour pour la dernière fois il y a 10\u00a0min : aucune instance ne juge les vérifications (limite 3\u00a0min)\nfollower\n", "-10m"},
		{"leader voided, lyon voided", time.Minute, true, true, time.Hour, follows, suspended, false, "ok\nfollower\n", "-1m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := storyNow(t)
			st := openStore(t, now)
			if tt.judgedAge > 0 {
				in := roundOf(storyVantage, []string{"monlycee"}, now.Add(-tt.judgedAge-20*time.Second), upScenario)
				in.Round.Voided = tt.judgedVoid
				if _, err := checker.Record(t.Context(), st, in, immediate); err != nil {
					t.Fatal(err)
				}
			}
			lyon := roundOf("lyon-2", []string{"monlycee"}, now.Add(-50*time.Second), upScenario)
			lyon.Round.Voided = tt.lyonVoided
			if _, err := checker.WriteRound(t.Context(), st, lyon); err != nil {
				t.Fatal(err)
			}
			srv := New(Options{Store: st, Catalog: mustCatalog(t, storyCatalog), Now: func() time.Time { return now },
				Location: now.Location(), MaxRoundAge: 3 * time.Minute, StartedAt: now.Add(-tt.started), Leading: tt.leading,
				Metrics: NewMetrics()})

			for _, page := range []string{"/", "/academie/versailles"} {
				_, body := get(t, srv.Handler(), page)
				for _, b := range []string{unjudged, suspended, stale} {
					if got := strings.Contains(string(body), b); got != (b == tt.banner) {
						t.Errorf("%s: banner %q shown = %v, want %v", page, b, got, !got)
					}
				}
			}
			_, body := get(t, srv.Handler(), "/")
			if tt.banner == unjudged && tt.judgedAge > 0 && !strings.Contains(string(body), "mis à jour depuis le "+frenchTime(now.Add(-tt.judgedAge))) {
				t.Errorf("the banner does not give the last judgement's time %s", frenchTime(now.Add(-tt.judgedAge)))
			}

			_, body = get(t, srv.Handler(), "/api/status")
			var api struct {
				CheckedAt      *string `json:"checked_at"`
				CheckerOnline  bool    `json:"checker_online"`
				JudgedAt       *string `json:"judged_at"`
				JudgementStale bool    `json:"judgement_stale"`
			}
			if err := json.Unmarshal(body, &api); err != nil {
				t.Fatal(err)
			}
			wantJudged := "<nil>"
			if tt.wantJudgedS != "" {
				d, _ := time.ParseDuration(tt.wantJudgedS)
				wantJudged = now.Add(d).UTC().Format(time.RFC3339)
			}
			if got := deref(api.JudgedAt); api.JudgementStale != tt.wantStale || got != wantJudged {
				t.Errorf("judgement_stale %v, judged_at %s; want %v, %s", api.JudgementStale, got, tt.wantStale, wantJudged)
			}
			if got, want := deref(api.CheckedAt), now.Add(-30*time.Second).UTC().Format(time.RFC3339); got != want {
				t.Errorf("checked_at %s, want lyon-2's round %s", got, want)
			}
			if wantOnline := tt.banner == ""; api.CheckerOnline != wantOnline {
				t.Errorf("checker_online %v, want %v", api.CheckerOnline, wantOnline)
			}

			_, body = get(t, srv.Handler(), "/metrics")
			gauge := "sentinelle_last_judged_round_timestamp_seconds"
			if tt.judgedAge > 0 {
				gauge += " " + strconv.FormatFloat(float64(now.Add(-tt.judgedAge).UnixMilli())/1000, 'g', -1, 64)
			}
			if got := strings.Contains(string(body), gauge); got != (tt.judgedAge > 0) {
				t.Errorf("/metrics has %q: %v, want %v", gauge, got, !got)
			}

			wantCode := http.StatusServiceUnavailable
			if strings.HasPrefix(tt.wantReady, "ok\n") {
				wantCode = http.StatusOK
			}
			if res, body := get(t, srv.Handler(), "/readyz"); res.StatusCode != wantCode || string(body) != tt.wantReady {
				t.Errorf("/readyz = %d %q, want %d %q", res.StatusCode, body, wantCode, tt.wantReady)
			}
		})
	}
}

// upScenario probes every service up.
func upScenario(string, time.Time) probe {
	return probe{State: status.Up, Reason: "ok", Status: 200, Latency: time.Second}
}

// deref is *p, or "<nil>".
func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
