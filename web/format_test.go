package web

import (
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

func TestFrenchFormats(t *testing.T) {
	loc := parisLoc(t)
	tests := []struct{ name, got, want string }{
		{"time", frenchTime(time.Date(2021, 4, 6, 7, 30, 0, 0, loc)), "mardi 6\u00a0avril à 7\u00a0h\u00a030"},
		{"time in août", frenchTime(time.Date(2021, 8, 15, 23, 5, 0, 0, loc)), "dimanche 15\u00a0août à 23\u00a0h\u00a005"},
		{"time on the hour", frenchTime(time.Date(2021, 3, 1, 10, 0, 0, 0, loc)), "lundi 1er\u00a0mars à 10\u00a0h"},
		{"zero time", frenchTime(time.Time{}), "jamais"},
		{"ms", frenchLatency(420 * time.Millisecond), "420\u00a0ms"},
		{"s", frenchLatency(3250 * time.Millisecond), "3,2\u00a0s"},
		{"whole s", frenchLatency(10 * time.Second), "10\u00a0s"},
		{"percent", frenchPercent(0.99951, true), "99,95\u00a0%"},
		{"percent not rounded up to 100", frenchPercent(0.999999, true), "99,99\u00a0%"},
		{"percent whole", frenchPercent(1, true), "100\u00a0%"},
		{"percent trailing zero", frenchPercent(0.975, true), "97,5\u00a0%"},
		{"percent zero", frenchPercent(0, true), "0\u00a0%"},
		{"no data", frenchPercent(0, false), "—"},
		{"span one day", frenchSpan(time.Date(2021, 4, 6, 0, 0, 0, 0, loc), time.Date(2021, 4, 6, 0, 0, 0, 0, loc), time.Date(2021, 4, 6, 0, 0, 0, 0, loc)), "6 avr."},
		{"span one month", frenchSpan(time.Date(2021, 2, 4, 0, 0, 0, 0, loc), time.Date(2021, 2, 5, 0, 0, 0, 0, loc), time.Date(2021, 4, 6, 0, 0, 0, 0, loc)), "4-5 févr."},
		{"span across years", frenchSpan(time.Date(2020, 12, 28, 0, 0, 0, 0, loc), time.Date(2021, 1, 3, 0, 0, 0, 0, loc), time.Date(2021, 2, 6, 0, 0, 0, 0, loc)), "28 déc. 2020-3 janv."},
		{"reason", reasonLabel("waiting_room"), "file d'attente (trop de connexions)"},
		{"reason ok", reasonLabel("ok"), ""},
		{"reason unknown kept", reasonLabel("dns_hijack"), "dns_hijack"},
		{"days summary", daysSummary([]status.State{"up", "down", "down", "degraded", "maintenance", "unknown"}), "2 jours de panne, 1 jour de lenteurs, 1 jour de maintenance"},
		{"days summary none", daysSummary([]status.State{"up", "unknown"}), "aucune panne"},
		{"days summary empty", daysSummary([]status.State{"unknown"}), "pas encore de données"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestAcademyState: an académie takes the state of its worst service, and
// the time that state began for it.
func TestAcademyState(t *testing.T) {
	loc := parisLoc(t)
	at := func(h int) time.Time { return time.Date(2021, 4, 6, h, 0, 0, 0, loc) }
	svc := func(id string, state status.State, since time.Time) *serviceView {
		v := &serviceView{State: state, Since: since}
		v.ID = id
		return v
	}
	tests := []struct {
		name      string
		services  []*serviceView
		wantState status.State
		wantSince time.Time
	}{
		{"down wins, earliest down", []*serviceView{svc("a", "up", at(1)), svc("b", "down", at(8)), svc("c", "down", at(7))}, "down", at(7)},
		{"degraded over maintenance", []*serviceView{svc("a", "maintenance", time.Time{}), svc("b", "degraded", at(9))}, "degraded", at(9)},
		{"up since the last recovery", []*serviceView{svc("a", "up", at(2)), svc("b", "up", at(5))}, "up", at(5)},
		{"unknown does not hide up", []*serviceView{svc("a", "unknown", time.Time{}), svc("b", "up", at(5))}, "up", at(5)},
		{"no service", nil, "unknown", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			services := map[string]*serviceView{}
			var a academyView
			for _, v := range tt.services {
				services[v.ID] = v
				a.Academy.Services = append(a.Academy.Services, v.ID)
			}
			got := academyOf(a.Academy, services, at(0))
			if got.State != tt.wantState || !got.Since.Equal(tt.wantSince) {
				t.Errorf("got %s since %v, want %s since %v", got.State, got.Since, tt.wantState, tt.wantSince)
			}
		})
	}
}

func TestRunsBar(t *testing.T) {
	loc := parisLoc(t)
	start := time.Date(2021, 4, 1, 0, 0, 0, 0, loc)
	got := string(runsBar(start, []status.State{"up", "up", "down", "down", "up", "degraded"}))
	for _, want := range []string{
		`<line x1="0" x2="29" class="u"><title>1-6 avr. : fonctionne, sauf les jours indiqués</title></line>`,
		`<line x1="10" x2="19" class="d"><title>3-4 avr. : panne</title></line>`,
		`<line x1="25" x2="29" class="g"><title>6 avr. : lenteurs</title></line>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("bar lacks %s\nin %s", want, got)
		}
	}
	if n := strings.Count(got, "<title>"); n != 3 {
		t.Errorf("bar has %d titled segments, want 3: background and two runs", n)
	}
	detail := string(serviceBar([]storage.DayState{{Day: start, State: "down", Totals: storage.UptimeTotals{Down: 2*time.Hour + 10*time.Minute, Degraded: 15 * time.Minute, Up: time.Hour}}}))
	if !strings.Contains(detail, "<title>jeudi 1er\u00a0avril : panne 2\u00a0h\u00a010, lenteurs 15\u00a0min</title>") {
		t.Errorf("service bar title wrong: %s", detail)
	}
}

func TestLatencyChart(t *testing.T) {
	now := time.Date(2021, 4, 6, 12, 0, 0, 0, time.UTC)
	from := now.Add(-24 * time.Hour)
	res := []storage.CheckResult{
		{At: from.Add(1 * time.Minute), State: "up", Latency: 400 * time.Millisecond},      // bucket 0
		{At: from.Add(11 * time.Minute), State: "up", Latency: 800 * time.Millisecond},     // bucket 2
		{At: from.Add(12 * time.Minute), State: "down", Latency: 10 * time.Second},         // bucket 2, failed
		{At: from.Add(3 * time.Hour), State: "degraded", Latency: 1500 * time.Millisecond}, // bucket 36, after a gap
		{At: now.Add(time.Minute), State: "up", Latency: time.Hour},                        // outside the window
	}
	svg, st := latencyChart(res, now, 5*time.Second)
	if st.Checks != 4 || st.Failures != 1 || st.Max != 1500*time.Millisecond || st.Median != 800*time.Millisecond || st.Scale != 2*time.Second {
		t.Errorf("stats = %+v", st)
	}
	got := string(svg)
	for _, want := range []string{`d="M0 47.2L2 36.4M36 17.5"`, `<rect class="fail" x="2" y="56" width="1" height="4"/>`} {
		if !strings.Contains(got, want) {
			t.Errorf("chart lacks %s\nin %s", want, got)
		}
	}
	if strings.Contains(got, `class="slow"`) {
		t.Error("slowness line drawn above the scale")
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		time.Second: time.Second, 1100 * time.Millisecond: 2 * time.Second, 3 * time.Second: 5 * time.Second,
		7 * time.Second: 10 * time.Second, 0: time.Millisecond,
	} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestBitmapSVG(t *testing.T) {
	got := bitmapSVG([][]bool{{true, true, false}, {false, true, true}, {true, false, true}}, "code")
	want := `d="M0 0h2v1h-2zM1 1h2v1h-2zM0 2h1v1h-1zM2 2h1v1h-1z"`
	if !strings.Contains(got, want) || !strings.Contains(got, `viewBox="0 0 3 3"`) {
		t.Errorf("bitmapSVG = %s, want the path %s", got, want)
	}
}

func TestQRCached(t *testing.T) {
	s := New(Options{BotUsername: "@SentinelleENTBot"})
	a, err := s.qrSVG("versailles")
	if err != nil || !strings.HasPrefix(string(a), `<svg class="qr"`) {
		t.Fatalf("qrSVG = %.60q, %v", a, err)
	}
	b, _ := s.qrSVG("versailles")
	c, _ := s.qrSVG("creteil")
	if a != b || a == c {
		t.Error("QR codes not cached per académie, or identical for two académies")
	}
	if got := s.deepLink("versailles"); got != "https://t.me/SentinelleENTBot?start=a_versailles" {
		t.Errorf("deepLink = %q", got)
	}
	if svg, _ := New(Options{}).qrSVG("versailles"); svg != "" {
		t.Error("a QR code without a bot")
	}
}
