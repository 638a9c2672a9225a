package french

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Lint lists the typography mistakes of an HTML or plain text: « : ; ? ! »
// without a no-break space (U+00A0 or U+202F) before it, « or » without one
// inside. It ignores tags and their attributes, HTML entities (&#39;),
// words holding a URL or a query (https://…, ?start=), times and ratios
// written with digits on both sides (10:00), and a mark that follows
// another one (« ?! »). Each problem is quoted with a little context; none
// means the text is typeset. Golden tests run it over every text.
func Lint(s string) []string {
	var problems []string
	text := stripMarkup(s)
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || isNoBreak(r) })
	skip := map[string]bool{}
	for _, w := range words {
		if strings.Contains(w, "://") || strings.Contains(w, "=") || strings.HasPrefix(w, "www.") {
			skip[w] = true
		}
	}
	for i, r := range text {
		var prev, next rune
		if i > 0 {
			prev, _ = utf8.DecodeLastRuneInString(text[:i])
		}
		next, _ = utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
		bad := false
		switch {
		case isHighPunct(r):
			bad = !isNoBreak(prev) && !isHighPunct(prev) && !(isDigit(prev) && isDigit(next)) &&
				!skip[wordAt(text, i)]
		case r == '«':
			bad = next != 0 && !isNoBreak(next)
		case r == '»':
			bad = !isNoBreak(prev)
		}
		if bad {
			problems = append(problems, fmt.Sprintf("%q: no no-break space at %q", string(r), around(text, i)))
		}
	}
	return problems
}

// stripMarkup removes tags and replaces entities by a letter, so that
// neither is read as punctuation.
func stripMarkup(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			if j := strings.IndexByte(s[i:], '>'); j >= 0 {
				i += j
				continue
			}
			b.WriteByte(c)
		case c == '&':
			if j := strings.IndexByte(s[i:], ';'); j > 1 && j < 10 && !strings.ContainsAny(s[i+1:i+j], " \n") {
				b.WriteByte('x')
				i += j
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// wordAt is the word (between spaces) holding byte i.
func wordAt(s string, i int) string {
	isSpace := func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || isNoBreak(r) }
	start := 0
	if j := strings.LastIndexFunc(s[:i], isSpace); j >= 0 {
		_, n := utf8.DecodeRuneInString(s[j:])
		start = j + n
	}
	end := strings.IndexFunc(s[i:], isSpace)
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

// around quotes up to 20 bytes either side of i, on rune boundaries.
func around(s string, i int) string {
	a, z := max(0, i-20), min(len(s), i+20)
	for a > 0 && !utf8.RuneStart(s[a]) {
		a--
	}
	for z < len(s) && !utf8.RuneStart(s[z]) {
		z++
	}
	return s[a:z]
}
