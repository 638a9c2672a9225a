package bot

import (
	"slices"
	"strings"

	"sentinelle/catalog"
)

// targets is what a person names after /abonner or /desabonner: académies
// as a whole, départements (each with its académie), and words naming
// nothing.
type targets struct {
	academies []catalog.Academy
	deps      []catalog.Match
	// ambiguous are the département readings of words taken as académies:
	// « 24 » is the académie de Créteil, and also the Dordogne.
	ambiguous []ambiguity
	unknown   []string
}

// ambiguity is a number read as an académie that is also a département's.
type ambiguity struct {
	academy catalog.Academy
	dep     catalog.Match
}

// parseTargets reads the académies and départements a person names:
// separated by commas or spaces, an académie by slug, code or name, a
// département by name or number, in any case and accents ("Aix
// Marseille", "versailles, 01", "hauts de seine", "92"). A number that is
// both keeps its académie meaning. Words that name nothing are returned
// in groups ("clermont ferand"), for a suggestion.
func parseTargets(cat *catalog.Catalog, args string) targets {
	var ts targets
	seen := map[string]bool{}
	add := func(ms []catalog.Match) {
		m := ms[0]
		if m.IsDepartement() {
			if !seen["d:"+m.Departement.Code] {
				seen["d:"+m.Departement.Code] = true
				ts.deps = append(ts.deps, m)
			}
			return
		}
		if !seen["a:"+m.Academy.Slug] {
			seen["a:"+m.Academy.Slug] = true
			ts.academies = append(ts.academies, m.Academy)
		}
		if len(ms) > 1 && ms[1].Academy.Slug != m.Academy.Slug && !seen["?"+ms[1].Departement.Code] {
			seen["?"+ms[1].Departement.Code] = true
			ts.ambiguous = append(ts.ambiguous, ambiguity{academy: m.Academy, dep: ms[1]})
		}
	}
	for _, part := range strings.FieldsFunc(args, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if ms := cat.Lookup(part); len(ms) > 0 {
			add(ms)
			continue
		}
		words := strings.Fields(part)
		if !slices.ContainsFunc(words, func(w string) bool { return len(cat.Lookup(w)) > 0 }) && longestAny(cat, words) == 0 {
			if q := strings.TrimSpace(part); q != "" && !isFiller(q) {
				ts.unknown = append(ts.unknown, q) // nothing known in it: kept whole, for a suggestion
			}
			continue
		}
		var miss []string
		flush := func() {
			if len(miss) > 0 {
				ts.unknown = append(ts.unknown, strings.Join(miss, " "))
				miss = nil
			}
		}
		for i := 0; i < len(words); {
			n := longestMatch(cat, words[i:])
			if n == 0 {
				if !isFiller(words[i]) {
					miss = append(miss, words[i])
				}
				i++
				continue
			}
			flush()
			add(cat.Lookup(strings.Join(words[i:i+n], " ")))
			i += n
		}
		flush()
	}
	return ts
}

// longestMatch is how many of the first words (up to 5: « Alpes de Haute
// Provence ») name an académie or a département.
func longestMatch(cat *catalog.Catalog, words []string) int {
	for n := min(5, len(words)); n >= 1; n-- {
		if len(cat.Lookup(strings.Join(words[:n], " "))) > 0 {
			return n
		}
	}
	return 0
}

// longestAny is the longest match starting at any word.
func longestAny(cat *catalog.Catalog, words []string) int {
	n := 0
	for i := range words {
		n = max(n, longestMatch(cat, words[i:]))
	}
	return n
}

// foreignDeps are the départements named with académies that are not
// theirs (« /abonner versailles 13 »): a département named with académies
// narrows one of them.
func (ts targets) foreignDeps() []catalog.Match {
	if len(ts.academies) == 0 {
		return nil
	}
	var out []catalog.Match
	for _, m := range ts.deps {
		if !contains(ts.academies, m.Academy) {
			out = append(out, m)
		}
	}
	return out
}

// depGroup is the départements named of one académie.
type depGroup struct {
	academy catalog.Academy
	codes   []string
}

// groups gathers the départements named by académie, in the order named.
func (ts targets) groups() []depGroup {
	var out []depGroup
	for _, m := range ts.deps {
		i := slices.IndexFunc(out, func(g depGroup) bool { return g.academy.Slug == m.Academy.Slug })
		if i < 0 {
			out = append(out, depGroup{academy: m.Academy})
			i = len(out) - 1
		}
		out[i].codes = append(out[i].codes, m.Departement.Code)
	}
	return out
}

// wholeAcademies are the académies named without any of their
// départements: followed whole.
func (ts targets) wholeAcademies() []catalog.Academy {
	var out []catalog.Academy
	for _, a := range ts.academies {
		if !slices.ContainsFunc(ts.deps, func(m catalog.Match) bool { return m.Academy.Slug == a.Slug }) {
			out = append(out, a)
		}
	}
	return out
}

// subscribeDeps makes the chat follow the départements of g: a new
// subscription narrowed to them, or added to an existing narrowing; a
// subscription to the whole académie is narrowed to them, and so is one
// when replace (the académie was named with them). It returns the text
// saying so, or the refusal when the cap stopped it.
func (t *turn) subscribeDeps(g depGroup, replace bool) (string, error) {
	subs, narrowing, err := t.following()
	if err != nil {
		return "", err
	}
	slug := g.academy.Slug
	wasWhole := slices.Contains(subs, slug) && len(narrowing[slug]) == 0
	codes := g.codes
	switch {
	case !slices.Contains(subs, slug):
		if len(subs) >= maxAcademies {
			return msgTooManyAcademies, nil
		}
		if err := t.follow(slug); err != nil {
			return "", err
		}
	case !replace && !wasWhole:
		codes = append(slices.Clone(narrowing[slug]), codes...)
	}
	codes = sortedDeps(g.academy, codes)
	if err := t.narrow(slug, codes); err != nil {
		return "", err
	}
	return depsSubscribedText(g.academy, codes, wasWhole), nil
}

// sortedDeps puts codes in the académie's order, each once.
func sortedDeps(a catalog.Academy, codes []string) []string {
	var out []string
	for _, d := range a.Departements {
		if slices.Contains(codes, d.Code) {
			out = append(out, d.Code)
		}
	}
	return out
}

// widen makes the chat's subscriptions to these académies whole again, and
// returns those that were narrowed.
func (t *turn) widen(as []catalog.Academy) ([]catalog.Academy, error) {
	_, narrowing, err := t.following()
	if err != nil {
		return nil, err
	}
	var out []catalog.Academy
	for _, a := range as {
		if len(narrowing[a.Slug]) == 0 {
			continue
		}
		if err := t.narrow(a.Slug, nil); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// unsubscribeDeps stops the chat following the départements of g: taken
// out of its narrowing (or of the whole académie: the others stay), the
// subscription ending with its last département.
func (t *turn) unsubscribeDeps(g depGroup) (string, error) {
	subs, narrowing, err := t.following()
	if err != nil {
		return "", err
	}
	slug := g.academy.Slug
	if !slices.Contains(subs, slug) {
		return notFollowedDepsText(g.academy, g.codes), nil
	}
	had := narrowing[slug]
	if len(had) == 0 {
		for _, d := range g.academy.Departements {
			had = append(had, d.Code)
		}
	}
	var gone, absent []string
	for _, c := range g.codes {
		if slices.Contains(had, c) {
			gone = append(gone, c)
		} else {
			absent = append(absent, c)
		}
	}
	left := slices.DeleteFunc(slices.Clone(had), func(c string) bool { return slices.Contains(gone, c) })
	var parts []string
	if len(gone) > 0 {
		if len(left) == 0 {
			err = t.unfollow(slug)
		} else {
			err = t.narrow(slug, left)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, depsUnsubscribedText(g.academy, gone, left))
	}
	if len(absent) > 0 {
		parts = append(parts, notFollowedDepsText(g.academy, absent))
	}
	return strings.Join(parts, "\n"), nil
}

// followedText names what the chat follows: "Paris, Versailles (Yvelines)".
func (t *turn) followedText() (string, error) {
	subs, narrowing, err := t.following()
	if err != nil {
		return "", err
	}
	return followedNames(t.b.cat, subs, narrowing), nil
}

// foreignRefusal refuses the départements named with académies not their
// own; empty when there is none.
func (ts targets) foreignRefusal(cmd string) string {
	var parts []string
	for _, m := range ts.foreignDeps() {
		parts = append(parts, foreignDepText(m, ts.academies, cmd))
	}
	return strings.Join(parts, "\n")
}
