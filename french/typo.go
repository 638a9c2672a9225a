package french

import (
	"strings"
	"unicode/utf8"
)

// Typeset puts the non-breaking spaces into a plain text: an ordinary
// space before « : ; ? ! » and inside « » becomes U+00A0. Texts are
// written with ordinary spaces, readable in the source, and typeset where
// they leave the program. Nothing is inserted where there was no space
// (« 10:00 », « https://… », « ?start= » stay as they are).
func Typeset(s string) string {
	if !strings.ContainsAny(s, ":;?!«»") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	typesetRun(&b, s)
	return b.String()
}

// TypesetHTML is Typeset for Telegram or page HTML: tags and their
// attributes (a link's href) are left untouched.
func TypesetHTML(s string) string {
	if !strings.ContainsAny(s, ":;?!«»") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for s != "" {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			typesetRun(&b, s)
			break
		}
		typesetRun(&b, s[:i])
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j+1])
		s = s[i+j+1:]
	}
	return b.String()
}

// typesetRun typesets a text without tags.
func typesetRun(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			if isHighPunct(next) || next == '»' || prev == '«' {
				b.WriteString(NBSP)
				continue
			}
		}
		b.WriteByte(c)
	}
}

func isHighPunct(r rune) bool { return r == ':' || r == ';' || r == '?' || r == '!' }

// isNoBreak tells whether r is one of the two accepted no-break spaces.
func isNoBreak(r rune) bool { return r == '\u00a0' || r == '\u202f' }
