package catalog

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DateLayout is how the catalog writes a day: 2026-11-30.
const DateLayout = "2006-01-02"

// Date is a calendar day of the catalog (a source's checked date, an
// alternative's until), written YYYY-MM-DD, with or without quotes. A value
// that is not such a day is kept as written and reported by validation with
// the other problems, rather than stopping the decoding at the first one.
type Date struct {
	t   time.Time // midnight UTC of the day; zero when absent or invalid
	bad string    // what the file said, when it is not a day
}

// NewDate returns the day of year, month and day.
func NewDate(year int, month time.Month, day int) Date {
	return Date{t: time.Date(year, month, day, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads a day written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("%q: not a day, want YYYY-MM-DD such as 2026-11-30", s)
	}
	return Date{t: t}, nil
}

// IsZero reports whether the date is absent (or invalid), which is also
// what makes yaml leave out an absent until:.
func (d Date) IsZero() bool { return d.t.IsZero() }

// String writes the day as the catalog does, "" when absent.
func (d Date) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// DateOf returns the day of an instant in its own location: 23:30 in Paris
// on 30 June is 30 June, whatever UTC says.
func DateOf(t time.Time) Date {
	y, m, day := t.Date()
	return NewDate(y, m, day)
}

// UnmarshalYAML accepts a scalar day, quoted or not.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		*d = Date{bad: fmt.Sprintf("(a YAML %s)", kindName(n.Kind))}
		return nil
	}
	p, err := ParseDate(n.Value)
	if err != nil {
		*d = Date{bad: n.Value}
		if d.bad == "" {
			d.bad = "(empty)"
		}
		return nil
	}
	*d = p
	return nil
}

// MarshalYAML writes the day as YYYY-MM-DD, so that a catalog written back
// (a test's mirror of the embedded one) parses again.
func (d Date) MarshalYAML() (any, error) {
	if d.bad != "" {
		return d.bad, nil
	}
	return d.String(), nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// Source says where a service's or an alternative's facts come from: Ref is
// a URL or a reference a person can look up (a repository path at a commit,
// a letter with its date), Checked the day someone last read it and found
// the entry still true. The staff keep the catalog current by re-reading
// the oldest sources (see StaleBefore).
type Source struct {
	Ref     string `yaml:"ref"`
	Checked Date   `yaml:"checked"`
}

// IsZero reports a source the file leaves out.
func (s Source) IsZero() bool {
	return s.Ref == "" && s.Checked.IsZero() && s.Checked.bad == ""
}

// StaleBefore returns the first day of the school year two years before the
// one of now: a source checked before it is older than two school years. A
// school year starts on 1 September, so on 7 December 2026 (school year
// 2026-2027) that is 1 September 2024.
func StaleBefore(now time.Time) Date {
	y, m, _ := now.Date()
	start := y // the school year of now starts on 1 September of start
	if m < time.September {
		start--
	}
	return NewDate(start-2, time.September, 1)
}

// Stale reports whether the source is missing or was checked before
// StaleBefore(now), which `sentinelle catalog` warns about.
func (s Source) Stale(now time.Time) bool {
	return s.Checked.IsZero() || s.Checked.Before(StaleBefore(now))
}

// Expired reports whether an alternative's until: day has passed on the day
// of now (in now's location): it is still offered on its until day itself,
// and never after.
func (a Alternative) Expired(now time.Time) bool {
	return !a.Until.IsZero() && a.Until.Before(DateOf(now))
}

// checkSource reports a source that is given but incomplete or malformed.
// A missing source is not an error (an operator's own catalog may have
// none); `sentinelle catalog` warns about it.
func checkSource(p *problems, where string, s Source) {
	if s.IsZero() {
		return
	}
	ref := strings.TrimSpace(s.Ref)
	switch {
	case ref == "":
		p.add(where, "source: ref: required, a URL or a reference such as \"education-data.md W19\"")
	case strings.Contains(ref, "://") && !strings.ContainsAny(ref, " \t"):
		// A lone URL; a reference text may quote URLs among its words.
		if u, err := url.Parse(ref); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			p.add(where, "source: ref %q: a URL must be an absolute http(s) URL", s.Ref)
		}
	}
	switch {
	case s.Checked.bad != "":
		p.add(where, "source: checked %q: not a day, want YYYY-MM-DD such as 2026-11-30", s.Checked.bad)
	case s.Checked.IsZero():
		p.add(where, "source: checked: required, the day the source was last read (YYYY-MM-DD)")
	}
}

// checkUntil reports an until: that is not a day.
func checkUntil(p *problems, where string, d Date) {
	if d.bad != "" {
		p.add(where, "until %q: not a day, want YYYY-MM-DD such as 2027-06-30", d.bad)
	}
}
