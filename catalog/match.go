package catalog

import (
	"strings"
	"unicode"
)

// Normalize reduces text to what matters for matching French words typed by
// people or served by web pages: lowercase ascii letters and digits, words
// separated by single spaces. Accented letters lose their accents (é→e,
// ç→c), ligatures are spelt out (œ→oe, æ→ae, ß→ss), and every other
// character — space, hyphen, apostrophe (straight or curly), punctuation,
// letters of other scripts — separates words. So "Orléans-Tours",
// "orleans tours" and "ORLEANS TOURS" are equal, and "l’accès" matches
// "l'accès".
//
// It is idempotent: Normalize(Normalize(s)) == Normalize(s).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for _, r := range s {
		var folded string
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			folded = string(r)
		case 'A' <= r && r <= 'Z':
			folded = string(r + 'a' - 'A')
		default:
			folded = fold(unicode.ToLower(r))
		}
		if folded == "" {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte(' ')
		}
		sep = false
		b.WriteString(folded)
	}
	return b.String()
}

// fold maps a lowercase Latin letter with a diacritic to its ascii
// spelling, and anything else to "" (a separator). The table covers
// Latin-1 and the Latin Extended-A letters likely in French and European
// names; Unicode decomposition would need a dependency for little gain.
func fold(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a"
	case 'æ':
		return "ae"
	case 'ç', 'ć', 'ĉ', 'ċ', 'č':
		return "c"
	case 'ď', 'đ', 'ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě':
		return "e"
	case 'ĝ', 'ğ', 'ġ', 'ģ':
		return "g"
	case 'ĥ', 'ħ':
		return "h"
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı':
		return "i"
	case 'ĵ':
		return "j"
	case 'ķ':
		return "k"
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł':
		return "l"
	case 'ñ', 'ń', 'ņ', 'ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő':
		return "o"
	case 'œ':
		return "oe"
	case 'ŕ', 'ŗ', 'ř':
		return "r"
	case 'ś', 'ŝ', 'ş', 'š', 'ſ':
		return "s"
	case 'ß':
		return "ss"
	case 'ţ', 'ť', 'ŧ':
		return "t"
	case 'þ':
		return "th"
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų':
		return "u"
	case 'ŵ':
		return "w"
	case 'ý', 'ÿ', 'ŷ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	}
	if r < 0x80 && (('a' <= r && r <= 'z') || ('0' <= r && r <= '9')) {
		return string(r)
	}
	return ""
}

// compact removes the spaces of a normalised string, so that "Aix Marseille",
// "aix-marseille" and "aixmarseille" are one key.
func compact(n string) string {
	return strings.ReplaceAll(n, " ", "")
}

// codeKey makes "024", "24" and "024 " one key; the ministry writes codes
// with two digits but people drop or add zeros.
func codeKey(code string) string {
	k := strings.TrimLeft(strings.TrimSpace(code), "0")
	if k == "" {
		return "0"
	}
	return k
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// nameKeysOf returns the keys under which Find knows an académie: its slug,
// name and aliases, normalised and compacted. Empty keys are left out.
func nameKeysOf(a Academy) []string {
	var keys []string
	for _, s := range append([]string{a.Slug, a.Name}, a.Aliases...) {
		if k := compact(Normalize(s)); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// stripPrefix removes one leading "académie de" or similar from a normalised
// query: the words people put before an académie's name.
func stripPrefix(n string) (string, bool) {
	prefixes := [...]string{"academie de ", "academie d ", "academie ", "vice rectorat de ", "vice rectorat ", "rectorat de ", "ac "}
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(n, p); ok {
			return rest, true
		}
	}
	return n, false
}

// Find returns the académie a user designates by slug, ministry code or
// name, as typed in a bot command: case, accents, hyphens, spaces and
// apostrophes do not matter, a code may gain or lose leading zeros ("24",
// "024"), aliases such as "Rouen" count, and a leading "académie de" is
// ignored. It only returns exact matches; see Suggest for typos.
func (c *Catalog) Find(query string) (Academy, bool) {
	n := Normalize(query)
	if i, ok := c.lookup(n); ok {
		return c.Academies[i], true
	}
	if rest, ok := stripPrefix(n); ok {
		if i, ok := c.lookup(rest); ok {
			return c.Academies[i], true
		}
	}
	return Academy{}, false
}

func (c *Catalog) lookup(n string) (int, bool) {
	k := compact(n)
	if k == "" {
		return 0, false
	}
	if isDigits(k) {
		if i, ok := c.codeKeys[codeKey(k)]; ok {
			return i, true
		}
	}
	i, ok := c.nameKeys[k]
	return i, ok
}

// Suggest returns the académie a near miss most likely meant ("creteuil",
// "versaille", "grenob"), so that the bot can ask "did you mean…?" rather
// than just fail. An exact Find wins. Otherwise the closest slug, name or
// alias by Damerau-Levenshtein distance (optimal string alignment) is chosen, allowing one edit per
// four letters (at least one, at most three); failing that, a query of four
// letters or more that starts exactly one académie's name. It reports false
// when nothing is close, when the query is shorter than three letters, or
// when two académies are equally close: a wrong guess is worse than a list.
func (c *Catalog) Suggest(query string) (Academy, bool) {
	if a, ok := c.Find(query); ok {
		return a, true
	}
	n := Normalize(query)
	if rest, ok := stripPrefix(n); ok {
		n = rest
	}
	q := compact(n)
	if len(q) < 3 || isDigits(q) {
		return Academy{}, false
	}
	if i, ok := c.closest(q); ok {
		return c.Academies[i], true
	}
	if i, ok := c.uniquePrefix(q); ok {
		return c.Academies[i], true
	}
	return Academy{}, false
}

// closest returns the académie whose key is nearest to q within the
// length-relative threshold, and false when none is or when two académies
// tie.
func (c *Catalog) closest(q string) (int, bool) { return closestKey(c.nameKeys, q) }

// uniquePrefix returns the only académie with a key starting with q.
func (c *Catalog) uniquePrefix(q string) (int, bool) { return uniquePrefixKey(c.nameKeys, q) }

// closestKey returns the value whose key is nearest to q by distance,
// allowing one edit per four letters of the key (at least one, at most
// three), and false when none is that close or when two values tie.
func closestKey[V comparable](keys map[string]V, q string) (V, bool) {
	var best V
	found, bestDist, tie := false, 0, false
	for k, v := range keys {
		limit := min(max(len(k)/4, 1), 3)
		if diff := len(k) - len(q); diff > limit || -diff > limit {
			continue
		}
		d := distance(q, k)
		switch {
		case d > limit:
		case !found || d < bestDist:
			best, bestDist, tie, found = v, d, false, true
		case d == bestDist && v != best:
			tie = true
		}
	}
	return best, found && !tie
}

// uniquePrefixKey returns the only value with a key starting with q, for a
// q of four letters or more.
func uniquePrefixKey[V comparable](keys map[string]V, q string) (V, bool) {
	var found V
	ok := false
	if len(q) < 4 {
		return found, false
	}
	for k, v := range keys {
		if !strings.HasPrefix(k, q) {
			continue
		}
		if ok && found != v {
			var zero V
			return zero, false
		}
		found, ok = v, true
	}
	return found, ok
}

// distance is the optimal string alignment distance (Levenshtein plus
// transposition of adjacent letters) between two ascii strings, the usual
// measure of typing mistakes.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
