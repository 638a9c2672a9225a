package catalog

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"sentinelle/status"
)

// problems collects validation errors so that all of them reach the person
// editing the catalog in one go.
type problems []error

func (p *problems) add(where, format string, args ...any) {
	*p = append(*p, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
}

// validate checks a decoded catalog and completes it in place: levels are
// made canonical and SlowMS gets its default. It returns every problem found.
func validate(c *Catalog) []error {
	var p problems
	validateMarkers(&p, c.WaitingRoomMarkers)
	national := validateServices(&p, c.Services)
	validateAlternatives(&p, c, national)
	validateAcademies(&p, c.Academies, national)
	validateTimezones(&p, c.Academies)
	validateDepartements(&p, c)
	return p
}

// validateTimezones loads each académie's time zone and keeps it, giving
// DefaultTimezone to an académie that names none.
func validateTimezones(p *problems, academies []Academy) {
	for i := range academies {
		a := &academies[i]
		where := academyWhere(i, *a)
		if a.Timezone == "" {
			if a.Overseas || a.ViceRectorat {
				// Paris time would be wrong by hours in every message.
				p.add(where, "timezone: required for an overseas académie or vice-rectorat (an IANA name such as \"Indian/Reunion\")")
				continue
			}
			a.Timezone = DefaultTimezone
		}
		if a.Timezone == "Local" {
			p.add(where, "timezone %q: must be an IANA name such as \"Europe/Paris\", not the machine's zone", a.Timezone)
			continue
		}
		loc, err := time.LoadLocation(a.Timezone)
		if err != nil {
			p.add(where, "timezone %q: unknown time zone (want an IANA name such as \"Europe/Paris\")", a.Timezone)
			continue
		}
		a.loc = loc
	}
}

// validateDepartements checks the académies' départements (well-formed
// codes, names a user can type, each code and name in one académie only)
// and the services' (each one a département of an académie listing the
// service, so that narrowing a subscription can reach it).
func validateDepartements(p *problems, c *Catalog) {
	codes := map[string]depRef{}
	names := map[string]depRef{}
	for i, a := range c.Academies {
		where := academyWhere(i, a)
		for j, d := range a.Departements {
			dw := fmt.Sprintf("%s departements[%d]", where, j)
			switch {
			case d.Code == "":
				p.add(dw, "code: required")
			case !validDepCode(d.Code):
				p.add(dw, "code %q: must be a département number such as \"01\", \"2A\" or \"974\"", d.Code)
			default:
				if r, dup := codes[depKey(d.Code)]; dup {
					p.add(dw, "code %q: duplicate of %s", d.Code, depWhere(c, r))
				} else {
					codes[depKey(d.Code)] = depRef{i, j}
				}
			}
			k := compact(Normalize(d.Name))
			switch {
			case strings.TrimSpace(d.Name) == "":
				p.add(dw, "name: required")
			case strings.Trim(k, "0123456789") == "":
				p.add(dw, "name %q: must contain a letter, a bare number is read as a code", d.Name)
			default:
				if r, dup := names[k]; dup {
					p.add(dw, "name %q: same name as %s once normalised", d.Name, depWhere(c, r))
				} else {
					names[k] = depRef{i, j}
				}
			}
		}
	}
	for i, s := range c.Services {
		if len(s.Departements) == 0 {
			continue
		}
		where := serviceWhere(i, s)
		if s.National {
			p.add(where, "departements: a national service concerns every département and cannot be narrowed")
			continue
		}
		var own []string
		for _, a := range c.Academies {
			if slices.Contains(a.Services, s.ID) {
				own = append(own, a.Slug)
			}
		}
		seen := map[string]bool{}
		for _, code := range s.Departements {
			r, known := codes[depKey(code)]
			switch {
			case seen[depKey(code)]:
				p.add(where, "departement %q: listed twice", code)
			case !known:
				p.add(where, "departement %q: no académie has this département", code)
			case !slices.Contains(own, c.Academies[r.academy].Slug):
				p.add(where, "departement %q: belongs to académie %q, which does not list this service (listed by: %s)",
					code, c.Academies[r.academy].Slug, listOrNone(own))
			}
			seen[depKey(code)] = true
		}
	}
}

// itemWhere names the i-th element of a list in a problem, with the key
// that names it once it has one: `services[2] (id "ecollege78")`.
func itemWhere(list string, i int, key, value string) string {
	where := fmt.Sprintf("%s[%d]", list, i)
	if value != "" {
		where += fmt.Sprintf(" (%s %q)", key, value)
	}
	return where
}

func academyWhere(i int, a Academy) string { return itemWhere("academies", i, "slug", a.Slug) }

func serviceWhere(i int, s Service) string { return itemWhere("services", i, "id", s.ID) }

// checkKey requires the id or slug that names a service or an académie, in
// the form URLs and bot commands use.
func checkKey(p *problems, where, key, value string) {
	switch {
	case value == "":
		p.add(where, "%s: required", key)
	case !validSlug(value):
		p.add(where, "%s %q: must be lowercase ascii letters, digits and single hyphens", key, value)
	}
}

func depWhere(c *Catalog, r depRef) string {
	return fmt.Sprintf("%s departements[%d]", academyWhere(r.academy, c.Academies[r.academy]), r.dep)
}

func listOrNone(slugs []string) string {
	if len(slugs) == 0 {
		return "no académie"
	}
	return strings.Join(slugs, ", ")
}

func validateMarkers(p *problems, markers []string) {
	seen := map[string]int{}
	for i, m := range markers {
		where := fmt.Sprintf("waiting_room_markers[%d] %q", i, m)
		n := Normalize(m)
		if n == "" {
			p.add(where, "must contain letters or digits")
			continue
		}
		if j, dup := seen[n]; dup {
			p.add(where, "same text as waiting_room_markers[%d] once normalised", j)
			continue
		}
		seen[n] = i
	}
}

// validateServices checks each service and returns the known ids, mapped to
// whether the service is national.
func validateServices(p *problems, services []Service) map[string]bool {
	known := map[string]bool{}
	for i := range services {
		s := &services[i]
		where := serviceWhere(i, *s)
		checkKey(p, where, "id", s.ID)
		if _, dup := known[s.ID]; dup && s.ID != "" {
			p.add(where, "id %q: duplicate service id", s.ID)
		}
		known[s.ID] = s.National
		if strings.TrimSpace(s.Name) == "" {
			p.add(where, "name: required")
		}
		checkURL(p, where, s.URL)
		s.Levels = canonicalLevels(p, where, s.Levels)
		if s.ExpectStatus != 0 && (s.ExpectStatus < 100 || s.ExpectStatus > 599) {
			p.add(where, "expect_status %d: must be an HTTP status between 100 and 599", s.ExpectStatus)
		}
		switch {
		case s.SlowMS < 0:
			p.add(where, "slow_ms %d: must not be negative", s.SlowMS)
		case s.SlowMS == 0:
			s.SlowMS = DefaultSlowMS
		}
		checkSource(p, where, s.Source)
	}
	delete(known, "")
	return known
}

// canonicalLevels replaces each level by its canonical form and reports
// unknown, repeated or missing ones: a service that serves no level would
// never reach anybody.
func canonicalLevels(p *problems, where string, levels []status.Level) []status.Level {
	if len(levels) == 0 {
		p.add(where, "levels: required, at least one of primaire, college, lycee")
		return levels
	}
	out := make([]status.Level, 0, len(levels))
	for _, raw := range levels {
		l, ok := ParseLevel(string(raw))
		switch {
		case !ok:
			p.add(where, "level %q: unknown level (want primaire, college or lycee)", raw)
		case slices.Contains(out, l):
			p.add(where, "level %q: listed twice", raw)
		default:
			out = append(out, l)
		}
	}
	return out
}

func validateAlternatives(p *problems, c *Catalog, known map[string]bool) {
	canonical := make(map[status.Level][]Alternative, len(c.Alternatives))
	for _, raw := range slices.Sorted(maps.Keys(c.Alternatives)) {
		alts := c.Alternatives[raw]
		l, ok := ParseLevel(string(raw))
		if !ok {
			p.add("alternatives", "level %q: unknown level (want primaire, college or lycee)", raw)
			continue
		}
		if _, dup := canonical[l]; dup {
			p.add("alternatives", "level %q: %s is listed twice", raw, l)
			continue
		}
		canonical[l] = alts
		for i, alt := range alts {
			where := itemWhere("alternatives."+string(raw), i, "name", alt.Name)
			if strings.TrimSpace(alt.Name) == "" {
				p.add(where, "name: required")
			}
			checkURL(p, where, alt.URL)
			if _, ok := known[alt.Service]; alt.Service != "" && !ok {
				p.add(where, "service %q: unknown service", alt.Service)
			}
			checkUntil(p, where, alt.Until)
			checkSource(p, where, alt.Source)
		}
	}
	c.Alternatives = canonical
}

func validateAcademies(p *problems, academies []Academy, known map[string]bool) {
	if len(academies) == 0 {
		p.add("academies", "at least one académie is required")
	}
	slugs := map[string]int{}
	codes := map[string]int{}
	keys := map[string]int{}
	for i, a := range academies {
		where := academyWhere(i, a)
		checkKey(p, where, "slug", a.Slug)
		if j, dup := slugs[a.Slug]; dup && a.Slug != "" {
			p.add(where, "slug %q: duplicate of academies[%d]", a.Slug, j)
		} else {
			slugs[a.Slug] = i
		}
		validateCode(p, where, a.Code, i, codes)
		required(p, where, "name", a.Name)
		required(p, where, "region", a.Region)
		checkChannel(p, where, a.Channel)
		validateNames(p, where, a, i, keys)
		seen := map[string]bool{}
		for _, id := range a.Services {
			national, ok := known[id]
			switch {
			case !ok:
				p.add(where, "service %q: unknown service", id)
			case national:
				p.add(where, "service %q: national service; national services concern every académie and must not be listed", id)
			case seen[id]:
				p.add(where, "service %q: listed twice", id)
			}
			seen[id] = true
		}
	}
}

func validateCode(p *problems, where, code string, i int, codes map[string]int) {
	switch {
	case code == "":
		p.add(where, "code: required")
		return
	case len(code) > 3 || strings.Trim(code, "0123456789") != "":
		p.add(where, "code %q: must be the ministry's numeric code, such as \"01\"", code)
		return
	}
	k := codeKey(code)
	if j, dup := codes[k]; dup {
		p.add(where, "code %q: duplicate of academies[%d]", code, j)
		return
	}
	codes[k] = i
}

// validateNames checks that the slug, name and aliases of an académie are
// usable by Find: each must contain a letter (a bare number is read as a
// code) and must not designate another académie.
func validateNames(p *problems, where string, a Academy, i int, keys map[string]int) {
	for _, alias := range a.Aliases {
		if compact(Normalize(alias)) == "" {
			p.add(where, "alias %q: must contain letters or digits", alias)
		}
	}
	for _, k := range nameKeysOf(a) {
		if strings.Trim(k, "0123456789") == "" {
			p.add(where, "name, slug or alias %q: must contain a letter, a bare number is read as a code", k)
			continue
		}
		if j, dup := keys[k]; dup && j != i {
			p.add(where, "name, slug or alias %q: also designates academies[%d]", k, j)
			continue
		}
		keys[k] = i
	}
}

func required(p *problems, where, field, value string) {
	if strings.TrimSpace(value) == "" {
		p.add(where, "%s: required", field)
	}
}

// checkURL requires an absolute http or https URL with a host, the only
// kind a probe or a Telegram link can use.
func checkURL(p *problems, where, raw string) {
	if raw == "" {
		p.add(where, "url: required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		p.add(where, "url %q: must be an absolute http(s) URL", raw)
	}
}

// checkChannel accepts an empty channel, a public username ("@name", 5 to 32
// letters, digits or underscores, starting with a letter) or a numeric chat
// id ("-100…"), the two forms the Bot API takes as chat_id.
func checkChannel(p *problems, where, ch string) {
	if ch == "" {
		return
	}
	if name, ok := strings.CutPrefix(ch, "@"); ok {
		if len(name) >= 5 && len(name) <= 32 && isLetter(name[0]) && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == "" {
			return
		}
	} else if id, ok := strings.CutPrefix(ch, "-"); ok && id != "" && len(id) <= 20 && strings.Trim(id, "0123456789") == "" {
		return
	}
	p.add(where, "channel %q: must be a public channel username such as \"@sentinelle_paris\" or a numeric chat id", ch)
}

func isLetter(b byte) bool {
	return ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z')
}

// validSlug reports whether s is lowercase ascii words of letters and digits
// joined by single hyphens, the form used in URLs and bot commands.
func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z') && !('0' <= b && b <= '9') && b != '-' {
			return false
		}
	}
	return true
}
