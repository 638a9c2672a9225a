package web

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
	"time"

	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// The daily bars: each day is dayW units wide, separated by a gap drawn as
// one dashed line over the whole bar rather than one element per day.
const (
	dayW   = 5
	dayGap = 1
	barH   = 10
)

// dayLabel names a day's state in its title; a day without data is not
// "not yet checked" but simply unknown.
func dayLabel(state status.State) string {
	if state == status.Unknown || state == "" {
		return "pas de données"
	}
	return stateLabel(state)
}

// shortDate writes a day without its year when it is the year of ref:
// « 6 avr. », « 28 déc. 2020 ».
func shortDate(t, ref time.Time) string {
	if t.Year() == ref.Year() {
		return fmt.Sprintf("%d %s", t.Day(), frenchMonth(t.Month()))
	}
	return frenchDate(t)
}

// frenchSpan writes a range of days for a bar's title: « 6 avr. » for one
// day, « 4-5 févr. » or « 7 janv.-5 avr. » for several; the year only when
// it is not that of ref.
func frenchSpan(from, to, ref time.Time) string {
	switch {
	case from.Equal(to):
		return shortDate(from, ref)
	case from.Year() == to.Year() && from.Month() == to.Month():
		return fmt.Sprintf("%d-%s", from.Day(), shortDate(to, ref))
	}
	return shortDate(from, ref) + "-" + shortDate(to, ref)
}

// barOpen starts a bar's SVG. Each day is a segment of a line 10 units
// thick, the cheapest shape to write. The bar is hidden from screen readers:
// the text under it says the same in words.
func barOpen(b *strings.Builder, n int) {
	fmt.Fprintf(b, `<svg class="bar" viewBox="0 -5 %d %d" preserveAspectRatio="none" aria-hidden="true">`, n*dayW, barH)
}

// barClose draws the separators between days and ends the SVG.
func barClose(b *strings.Builder, n int) {
	fmt.Fprintf(b, `<line class="gap" x1="%d" x2="%d"/></svg>`, dayW-dayGap, n*dayW)
}

// segment draws days [i, j] of a bar in one state, with a title.
func segment(b *strings.Builder, i, j int, state status.State, title string) {
	fmt.Fprintf(b, `<line x1="%d" x2="%d" class="%s"><title>%s</title></line>`,
		i*dayW, (j+1)*dayW-dayGap, stateClass(state), html.EscapeString(title))
}

// runsBar draws a 90-day bar from the worst state of each day, starting on
// start. The most frequent state is drawn once under the whole bar, titled
// for the whole period; every run of consecutive days in another state is
// one segment on top, titled with its dates. So every day has a title, and
// the overview of 34 académies stays under the 100 KB it is allowed where a
// segment per day would not.
func runsBar(start time.Time, days []status.State) template.HTML {
	var b strings.Builder
	n := len(days)
	if n == 0 {
		return ""
	}
	ref := start.AddDate(0, 0, n-1)
	base := commonest(days)
	title := frenchSpan(start, ref, ref) + " : " + dayLabel(base)
	if slices.ContainsFunc(days, func(d status.State) bool { return d != base }) {
		title += ", sauf les jours indiqués"
	}
	barOpen(&b, n)
	fmt.Fprintf(&b, `<line x1="0" x2="%d" class="%s"><title>%s</title></line>`, n*dayW-dayGap, stateClass(base), html.EscapeString(title))
	for i := 0; i < n; {
		j := i
		for j+1 < n && days[j+1] == days[i] {
			j++
		}
		if days[i] != base {
			segment(&b, i, j, days[i], frenchSpan(start.AddDate(0, 0, i), start.AddDate(0, 0, j), ref)+" : "+dayLabel(days[i]))
		}
		i = j + 1
	}
	barClose(&b, n)
	return template.HTML(b.String())
}

// commonest is the state of most days; up wins a tie, then the order of
// first appearance.
func commonest(days []status.State) status.State {
	count := map[status.State]int{}
	best := days[0]
	for _, d := range days {
		count[d]++
	}
	for _, d := range days {
		if count[d] > count[best] || (count[d] == count[best] && d == status.Up) {
			best = d
		}
	}
	return best
}

// serviceBar draws the 90-day bar of one service, one rectangle per day,
// its title giving the time spent in each bad state.
func serviceBar(days []storage.DayState) template.HTML {
	var b strings.Builder
	barOpen(&b, len(days))
	for i, d := range days {
		segment(&b, i, i, d.State, french.Date(d.Day)+" : "+dayDetail(d))
	}
	barClose(&b, len(days))
	return template.HTML(b.String())
}

// dayStates lists the state of each day, for runsBar and daysSummary.
func dayStates(days []storage.DayState) []status.State {
	out := make([]status.State, len(days))
	for i, d := range days {
		out[i] = d.State
	}
	return out
}

// dayDetail says how long a day was spent in each bad state.
func dayDetail(d storage.DayState) string {
	var parts []string
	for _, p := range []struct {
		state status.State
		dur   time.Duration
	}{{status.Down, d.Totals.Down}, {status.Degraded, d.Totals.Degraded}, {stateMaintenance, d.Totals.Maintenance}} {
		if p.dur > 0 {
			parts = append(parts, stateLabel(p.state)+" "+french.Duration(p.dur))
		}
	}
	if len(parts) == 0 {
		return dayLabel(d.State)
	}
	return strings.Join(parts, ", ")
}

// daysSummary counts the bad days of a bar in words, for whoever cannot
// tell the colours apart: « 2 jours de panne, 1 jour de lenteurs ».
func daysSummary(days []status.State) string {
	count := map[status.State]int{}
	for _, d := range days {
		count[d]++
	}
	var parts []string
	for _, p := range []struct {
		state status.State
		what  string
	}{
		{status.Down, "de panne"}, {status.Degraded, "de lenteurs"}, {stateMaintenance, "de maintenance"},
	} {
		if n := count[p.state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s %s", n, plural(n, "jour", "jours"), p.what))
		}
	}
	if len(parts) == 0 {
		if count[status.Up] == 0 {
			return "pas encore de données"
		}
		return "aucune panne"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n > 1 {
		return many
	}
	return one
}

// The latency chart covers 24 hours in buckets of five minutes.
const (
	chartBuckets = 288
	chartSpan    = 24 * time.Hour
	chartH       = 60
	chartJoin    = 6 // buckets without a probe that the line still bridges (30 minutes)
)

// latencyStats is the text that goes with a chart, so that the numbers are
// readable without the drawing.
type latencyStats struct {
	Checks, Failures int
	Median, Max      time.Duration
	Scale            time.Duration // the value at the top of the chart
}

// chartData is the 24 hours of a service in five-minute buckets: the
// slowest successful answer of each, whether it had one, whether a probe
// failed in it.
type chartData struct {
	peak   []time.Duration
	seen   []bool
	failed []bool
	stats  latencyStats
}

// bucket sorts a service's results into the buckets of the 24 hours
// before now; results outside are ignored.
func bucket(results []storage.CheckResult, now time.Time) chartData {
	from := now.Add(-chartSpan)
	c := chartData{peak: make([]time.Duration, chartBuckets), seen: make([]bool, chartBuckets), failed: make([]bool, chartBuckets)}
	var ok []time.Duration
	for _, r := range results {
		i := int(r.At.Sub(from) * chartBuckets / chartSpan)
		if i < 0 || i >= chartBuckets {
			continue
		}
		c.stats.Checks++
		if r.State == status.Down {
			c.stats.Failures++
			c.failed[i] = true
			continue
		}
		ok = append(ok, r.Latency)
		c.seen[i] = true
		c.peak[i] = max(c.peak[i], r.Latency)
	}
	if len(ok) > 0 {
		slices.Sort(ok)
		c.stats.Median, c.stats.Max = ok[len(ok)/2], ok[len(ok)-1]
	}
	c.stats.Scale = niceCeil(max(c.stats.Max, time.Second))
	return c
}

// latencyChart draws a service's response times over the 24 hours before
// now: the slowest answer of each five minutes as a line, a red mark under
// every five minutes with a failed probe, and the service's slowness
// threshold as a dashed line.
func latencyChart(results []storage.CheckResult, now time.Time, slow time.Duration) (template.HTML, latencyStats) {
	c := bucket(results, now)
	y := func(d time.Duration) float64 {
		return float64(chartH-2) - float64(d)/float64(c.stats.Scale)*float64(chartH-6)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="lat" viewBox="0 0 %d %d" preserveAspectRatio="none" role="img" aria-label="Temps de réponse sur 24 heures">`, chartBuckets, chartH)
	if slow > 0 && slow < c.stats.Scale {
		fmt.Fprintf(&b, `<line class="slow" x1="0" y1="%.1f" x2="%d" y2="%.1f"/>`, y(slow), chartBuckets, y(slow))
	}
	var path strings.Builder
	last := -chartJoin - 1
	for i := range c.peak {
		if !c.seen[i] {
			continue
		}
		cmd := "L"
		if i-last > chartJoin {
			cmd = "M" // the checker did not run for a while: leave a gap
		}
		fmt.Fprintf(&path, "%s%d %.1f", cmd, i, y(c.peak[i]))
		last = i
	}
	if path.Len() > 0 {
		fmt.Fprintf(&b, `<path class="line" d="%s"/>`, path.String())
	}
	for i, f := range c.failed {
		if f {
			fmt.Fprintf(&b, `<rect class="fail" x="%d" y="%d" width="1" height="4"/>`, i, chartH-4)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), c.stats
}

// vantageChart is one vantage's 24 hours of a service; Vantage is empty
// when there is one chart.
type vantageChart struct {
	Vantage string
	Chart   template.HTML
	Stats   latencyStats
}

// chartsOf draws a service's 24 hours, one chart per vantage: latencies
// measured from two places are not one series, and a failure seen from
// one is not a failure seen from all. With one vantage (or only rows
// written before vantages existed, in an empty vantage) it is the one
// chart of before; with several, the rows of no vantage are left out.
func chartsOf(results []storage.CheckResult, now time.Time, slow time.Duration) []vantageChart {
	var names []string
	byVantage := map[string][]storage.CheckResult{}
	for _, r := range results {
		if _, ok := byVantage[r.Vantage]; !ok && r.Vantage != "" {
			names = append(names, r.Vantage)
		}
		byVantage[r.Vantage] = append(byVantage[r.Vantage], r)
	}
	if len(names) < 2 {
		chart, stats := latencyChart(results, now, slow)
		return []vantageChart{{Chart: chart, Stats: stats}}
	}
	slices.Sort(names)
	out := make([]vantageChart, len(names))
	for i, v := range names {
		chart, stats := latencyChart(byVantage[v], now, slow)
		out[i] = vantageChart{Vantage: v, Chart: chart, Stats: stats}
	}
	return out
}

// niceCeil rounds a duration up to 1, 2 or 5 times a power of ten
// milliseconds, so that the chart's scale reads as a round number.
func niceCeil(d time.Duration) time.Duration {
	step := time.Millisecond
	for {
		for _, m := range []time.Duration{1, 2, 5} {
			if m*step >= d {
				return m * step
			}
		}
		step *= 10
	}
}
