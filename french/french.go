// Package french writes what Sentinelle tells people the French way, in
// one place: times (« 7 h 32 »), dates (« mardi 6 avril »), durations
// (« 2 h 30 », « 45 min », « 3 jours »), numbers (« 3 612 ») and the
// non-breaking spaces French typography puts before « : ; ? ! » and inside
// « ». The bot, the command line and the status page call it so that a
// duration or a time reads the same wherever it appears. It imports no
// project package: everyone may use it.
package french

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NBSP (U+00A0) is the space before « : ; ? ! », inside « », and between
// a number and its unit (« 7 h 32 », « 45 min »): a line never breaks there.
const NBSP = "\u00a0"

// NNBSP (U+202F, narrow no-break space) separates thousands (« 3 612 »);
// it is also accepted before « ; ? ! » and inside « ».
const NNBSP = "\u202f"

// Time writes a clock time as families read it: « 7 h 32 », « 10 h »
// (not « 07:32 »), in t's own location.
func Time(t time.Time) string {
	if t.Minute() == 0 {
		return strconv.Itoa(t.Hour()) + NBSP + "h"
	}
	return fmt.Sprintf("%d%sh%s%02d", t.Hour(), NBSP, NBSP, t.Minute())
}

var (
	weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}
	months   = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
		"septembre", "octobre", "novembre", "décembre"}
)

// Date writes a day as a person says it: « mardi 6 avril », « lundi
// 1er mars ». The year is left out: messages speak of the days around now.
func Date(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return weekdays[t.Weekday()] + " " + day + NBSP + months[t.Month()-1]
}

// FullDate writes a day with its year: « mardi 6 avril 2021 ».
func FullDate(t time.Time) string { return Date(t) + " " + strconv.Itoa(t.Year()) }

// Duration writes how long something lasted, one way everywhere:
// « moins d'une minute », « 45 min », « 2 h », « 2 h 05 », « 2 h 30 »,
// « 1 jour », « 3 jours », « 1 jour 4 h ». Minutes are rounded; past a
// day they are left out.
func Duration(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d/time.Minute)%60
	switch {
	case d < time.Minute:
		return "moins d'une minute"
	case h >= 24:
		days := plural(h/24, "jour", "jours")
		if h%24 == 0 {
			return days
		}
		return days + " " + strconv.Itoa(h%24) + NBSP + "h"
	case h > 0 && m == 0:
		return strconv.Itoa(h) + NBSP + "h"
	case h > 0:
		return fmt.Sprintf("%d%sh%s%02d", h, NBSP, NBSP, m)
	}
	return strconv.Itoa(m) + NBSP + "min"
}

func plural(n int, one, many string) string {
	if n <= 1 {
		return strconv.Itoa(n) + NBSP + one
	}
	return Number(n) + NBSP + many
}

// Number writes an integer with its thousands separated by a narrow
// no-break space (U+202F, NNBSP): « 3 612 », « 40 000 », « -1 200 ».
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteString("-")
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(NNBSP)
		}
		b.WriteRune(c)
	}
	return b.String()
}
