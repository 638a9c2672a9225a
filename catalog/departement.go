package catalog

import (
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Parse loads the académies' zones: the catalog must load on a machine without zoneinfo
)

// DefaultTimezone is the time zone of an académie whose entry names none:
// every metropolitan académie (and Corse) lives on Paris time. Overseas
// académies and vice-rectorats must name theirs.
const DefaultTimezone = "Europe/Paris"

// DefaultLocation is DefaultTimezone loaded, the time in which a family
// without a known académie reads times: the one place that loads it, for
// the bot, the status page and the académies that name no zone. It is
// loaded once; since this package embeds the time zone database it cannot
// fail, but if it did a fixed UTC+1 would still be better than UTC for
// French families.
func DefaultLocation() *time.Location { return defaultLocation() }

var defaultLocation = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation(DefaultTimezone); err == nil {
		return loc
	}
	return time.FixedZone("CET", 3600)
})

// Departement is a département as an académie lists it: its code ("78",
// "2A", "974") and its name (« Yvelines »). Collèges are run by the
// département, so a family often knows its ENT by its département.
type Departement struct {
	Code string `yaml:"code"`
	Name string `yaml:"name"`
}

// depRef locates a département in the catalog: académie index, then index
// in that académie's Departements.
type depRef struct{ academy, dep int }

// Location returns the académie's time zone, in which its families read
// times and its quiet hours are counted. An Academy from Parse carries the
// zone loaded once; a hand-built one loads Timezone, and falls back to
// DefaultLocation when it is empty or unknown.
func (a Academy) Location() *time.Location {
	if a.loc != nil {
		return a.loc
	}
	if a.Timezone != "" {
		if loc, err := time.LoadLocation(a.Timezone); err == nil {
			return loc
		}
	}
	return DefaultLocation()
}

// Departement returns the académie's département with this code (see
// depKey for the spellings accepted).
func (a Academy) Departement(code string) (Departement, bool) {
	k := depKey(code)
	for _, d := range a.Departements {
		if depKey(d.Code) == k {
			return d, true
		}
	}
	return Departement{}, false
}

// ServesDepartement reports whether the service concerns pupils of that
// département: true for a service without Departements (académie-wide or
// national), otherwise only for one of its own.
func (s Service) ServesDepartement(code string) bool {
	if len(s.Departements) == 0 {
		return true
	}
	k := depKey(code)
	return slices.ContainsFunc(s.Departements, func(c string) bool { return depKey(c) == k })
}

// Local reports whether the service serves only some départements of its
// académies.
func (s Service) Local() bool { return len(s.Departements) > 0 }

// Departement returns the département with this code and its académie. The
// code may be written "92", "092", "2a", " 974": see depKey.
func (c *Catalog) Departement(code string) (Departement, Academy, bool) {
	r, ok := c.depByCode[depKey(code)]
	if !ok {
		return Departement{}, Academy{}, false
	}
	a := c.Academies[r.academy]
	return a.Departements[r.dep], a, true
}

// FindDepartement returns the département a user designates, with its
// académie: by name in any case, with or without accents, hyphens or
// apostrophes (« Hauts-de-Seine », « hauts de seine », « cotes d armor »),
// optionally after « département de / du / des », or by number (« 92 »,
// « 2A », « 974 »). It only returns exact matches and ignores académies:
// a number such as « 24 » is also an académie's code (Créteil), which
// Lookup reports; see SuggestDepartement for typos.
func (c *Catalog) FindDepartement(query string) (Departement, Academy, bool) {
	n := Normalize(query)
	if r, ok := c.depLookup(n); ok {
		return c.depAt(r)
	}
	if rest, ok := stripDepPrefix(n); ok {
		if r, ok := c.depLookup(rest); ok {
			return c.depAt(r)
		}
	}
	return Departement{}, Academy{}, false
}

func (c *Catalog) depAt(r depRef) (Departement, Academy, bool) {
	a := c.Academies[r.academy]
	return a.Departements[r.dep], a, true
}

func (c *Catalog) depLookup(n string) (depRef, bool) {
	k := compact(n)
	if k == "" {
		return depRef{}, false
	}
	if looksLikeDepCode(k) {
		if r, ok := c.depByCode[depKey(k)]; ok {
			return r, true
		}
	}
	r, ok := c.depByName[k]
	return r, ok
}

// Match is one reading of what a user typed: an académie as a whole
// (Departement is zero), or one département of Academy.
type Match struct {
	Academy     Academy
	Departement Departement
}

// IsDepartement reports whether the match is a département rather than a
// whole académie.
func (m Match) IsDepartement() bool { return m.Departement.Code != "" }

// Lookup returns every exact reading of a query, the académie first (Find)
// then the département (FindDepartement), so that the bot can tell « 92 »
// (only the Hauts-de-Seine) from « 24 » (the académie de Créteil, and also
// the Dordogne, of the académie de Bordeaux) and from « Paris » (the
// académie and its only département). Nil when nothing matches exactly.
func (c *Catalog) Lookup(query string) []Match {
	var out []Match
	if a, ok := c.Find(query); ok {
		out = append(out, Match{Academy: a})
	}
	if d, a, ok := c.FindDepartement(query); ok {
		out = append(out, Match{Academy: a, Departement: d})
	}
	return out
}

// SuggestDepartement returns the département a near miss most likely meant
// (« hauts de seines », « val d oise », « finistere »), by the same rules as
// Suggest: an exact FindDepartement wins, then the closest name within one
// edit per four letters, then the only name the query starts; false for
// numbers, queries shorter than three letters and ties.
func (c *Catalog) SuggestDepartement(query string) (Departement, Academy, bool) {
	if d, a, ok := c.FindDepartement(query); ok {
		return d, a, true
	}
	n := Normalize(query)
	if rest, ok := stripDepPrefix(n); ok {
		n = rest
	}
	q := compact(n)
	if len(q) < 3 || looksLikeDepCode(q) {
		return Departement{}, Academy{}, false
	}
	if r, ok := closestKey(c.depByName, q); ok {
		return c.depAt(r)
	}
	if r, ok := uniquePrefixKey(c.depByName, q); ok {
		return c.depAt(r)
	}
	return Departement{}, Academy{}, false
}

// ServicesFor returns what a subscriber of an académie narrowed to some of
// its départements hears about: the académie's services that serve every
// département, those serving one of departements, then the national
// services, each once, in catalog order. No départements means the whole
// académie (all its services). Nil for an unknown slug.
func (c *Catalog) ServicesFor(academy string, departements []string) []Service {
	a, ok := c.Academy(academy)
	if !ok {
		return nil
	}
	var out []Service
	for _, id := range a.Services {
		s, ok := c.Service(id)
		if !ok {
			continue
		}
		if len(departements) == 0 || !s.Local() || slices.ContainsFunc(departements, s.ServesDepartement) {
			out = append(out, s)
		}
	}
	return append(out, c.NationalServices()...)
}

// depKey makes the spellings of a département code one key: upper case,
// no surrounding space, leading zeros dropped then two digits at least, so
// "092", "92" give "92", "1" and "01" give "01", "2a" gives "2A".
func depKey(code string) string {
	k := strings.ToUpper(strings.TrimSpace(code))
	if isDigits(k) {
		k = strings.TrimLeft(k, "0")
		for len(k) < 2 {
			k = "0" + k
		}
	}
	return k
}

// looksLikeDepCode reports whether a compacted normalised query is written
// like a département number: digits, or 2A / 2B.
func looksLikeDepCode(k string) bool {
	return isDigits(k) || k == "2a" || k == "2b"
}

// validDepCode is the form a catalog writes a département code in: two
// digits ("01", "95"), "2A" or "2B" for Corse, or three digits starting
// with 97 or 98 overseas ("974", "988").
func validDepCode(code string) bool {
	switch {
	case code == "2A" || code == "2B":
		return true
	case len(code) == 2:
		return isDigits(code)
	case len(code) == 3:
		return isDigits(code) && code[0] == '9' && (code[1] == '7' || code[1] == '8')
	}
	return false
}

// stripDepPrefix removes a leading « département de » or similar from a
// normalised query.
func stripDepPrefix(n string) (string, bool) {
	prefixes := [...]string{"departement de la ", "departement de l ", "departement des ", "departement du ", "departement de ", "departement d ", "departement ", "dept ", "dep "}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(n, p); ok {
			return rest, true
		}
	}
	return n, false
}
