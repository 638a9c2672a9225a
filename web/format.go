package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sentinelle/french"
	"sentinelle/status"
)

// stateMaintenance is the state shown for a service an operator declared in
// maintenance: its judged state is hidden, as families are not told about it
// either.
const stateMaintenance = status.Maintenance

// stateUnverified is the state shown for a service the checker has never
// seen up at its catalog address (storage.ServiceState.Unverified): a
// catalog problem, not an outage, so it is neither red nor counted.
const stateUnverified status.State = "unverified"

// frenchMonth is the abbreviation of the Imprimerie nationale, the one
// French newspapers print: time.Format only knows English.
func frenchMonth(m time.Month) string {
	names := [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin",
		"juil.", "août", "sept.", "oct.", "nov.", "déc."}
	return names[(m+11)%12]
}

// frenchDate writes a day with the abbreviation of the Imprimerie
// nationale, compact for the titles of the 90-day bars: « 6 avr. 2021 ».
// Pages and the feed write days in full with frenchTime.
func frenchDate(t time.Time) string {
	return fmt.Sprintf("%d %s %d", t.Day(), frenchMonth(t.Month()), t.Year())
}

// frenchTime writes a moment as package french does everywhere:
// « mardi 6 avril à 7 h 30 » (no year: the pages speak of the last 90
// days, and the weekday tells them apart); t must already be in the
// page's location.
func frenchTime(t time.Time) string {
	if t.IsZero() {
		return "jamais"
	}
	return french.Date(t) + " à " + french.Time(t)
}

// frenchLatency writes a response time: « 420 ms », « 3,2 s », « 10 s »,
// a no-break space between the number and its unit as french.Duration
// does.
func frenchLatency(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + french.NBSP + "ms"
	}
	v := strings.TrimSuffix(strconv.FormatFloat(d.Seconds(), 'f', 1, 64), ".0")
	return strings.Replace(v, ".", ",", 1) + french.NBSP + "s"
}

// frenchPercent writes an availability as « 99,95 % » (non-breaking space
// before the sign, as French typography wants), or « — » without data.
// It never rounds up to 100 % a period that had an outage.
func frenchPercent(ratio float64, ok bool) string {
	if !ok {
		return "—"
	}
	v := ratio * 100
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if ratio < 1 && s == "100.00" {
		s = "99.99"
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".0")
	s = strings.TrimSuffix(s, ".")
	return strings.Replace(s, ".", ",", 1) + "\u00a0%"
}

// stateLabel is the word shown next to a colour, so that the page reads
// without colour.
func stateLabel(state status.State) string {
	switch state {
	case status.Up:
		return "fonctionne"
	case status.Degraded:
		return "lenteurs"
	case status.Down:
		return "panne"
	case stateMaintenance:
		return "maintenance"
	case stateUnverified:
		return "non vérifié"
	}
	return "pas encore vérifié"
}

// reasonLabel puts the checker's cause of a failure into the words a family
// understands; an unknown code is shown as is rather than hidden.
func reasonLabel(reason status.Reason) string {
	if text, ok := reason.Text(); ok {
		return text
	}
	return string(reason)
}

// stateRank orders the shown states from best to worst, so that an
// académie takes the state of its worst service. Unknown ranks lowest: a
// service not yet checked must not hide a known one, nor one never seen up
// a service that works.
func stateRank(state status.State) int {
	switch state {
	case stateUnverified:
		return 1
	case status.Up:
		return 2
	case stateMaintenance:
		return 3
	case status.Degraded:
		return 4
	case status.Down:
		return 5
	}
	return 0
}

// stateClass is the CSS class of a state: short, since the 90-day bars
// repeat it thousands of times.
func stateClass(state status.State) string {
	switch state {
	case status.Up:
		return "u"
	case status.Degraded:
		return "g"
	case status.Down:
		return "d"
	case stateMaintenance:
		return "m"
	}
	return "n"
}
