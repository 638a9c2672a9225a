package checker

import (
	"html"
	"strings"
	"unicode/utf8"

	"sentinelle/catalog"
)

// blankTextLen is the shortest visible text, once normalised, that makes a
// page more than a white screen: "Connexion" alone is 9 letters, a real
// login page has far more, a white page has none or a stray word.
const blankTextLen = 16

// shortPageText is the length of shown text (normalised, in bytes) under
// which a page is short: an error or waiting page says one thing, a
// portal's home page says many. The generic markers count only on a short
// page or in the title.
const shortPageText = 2 << 10

// page is what the judgement reads of a body: its text, for body_contains;
// what a reader would see of it; the part of that outside hidden elements
// and its title, where a waiting-room marker would be; and whether it has
// something a browser shows or runs without text (a form, an image, a
// script, a frame).
type page struct {
	text       string // tags turned into spaces, scripts, styles and comments left out, entities not decoded
	visible    string // normalised text without the title: what the page shows
	shown      string // normalised visible text outside hidden elements
	title      string // normalised text of the <title>
	meaningful bool
}

// blank reports a white page: nothing to read, nothing to fill in, nothing
// to run.
func (p page) blank() bool {
	return !p.meaningful && len(p.visible) < blankTextLen
}

// contains reports whether want appears in the page: as written in the
// raw body (case ignored, so that an attribute such as id="login" can be
// asked for), or as words of its text with case, accents, tags and
// whitespace ignored.
func (p page) contains(raw, want string) bool {
	if want == "" {
		return true
	}
	if strings.Contains(strings.ToLower(raw), strings.ToLower(want)) {
		return true
	}
	n := catalog.Normalize(want)
	return n != "" && strings.Contains(" "+catalog.Normalize(html.UnescapeString(p.text))+" ", " "+n+" ")
}

// decodeBody returns the body as UTF-8. Pages that are not valid UTF-8 are
// read as Latin-1 (ISO-8859-1), the usual charset of older French
// portals, so that « accéder » in ISO-8859-1 still matches a marker.
func decodeBody(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// isMarkup reports whether a Content-Type is HTML or XML (or unknown, which
// is then sniffed as markup when the body starts with '<').
func isMarkup(contentType, body string) bool {
	ct := strings.ToLower(contentType)
	if ct == "" {
		return strings.HasPrefix(strings.TrimSpace(body), "<")
	}
	return strings.Contains(ct, "html") || strings.Contains(ct, "xml")
}

// readPage extracts what the judgement needs from a body. It is not an HTML
// parser, only a scanner good enough for the pages portals serve: a '>'
// inside an attribute value may cut a tag short, which at worst adds a
// little text.
func readPage(body, contentType string) page {
	if !isMarkup(contentType, body) {
		v := catalog.Normalize(body)
		return page{text: body, visible: v, shown: v}
	}
	var sc pageScanner
	for i := 0; i < len(body); {
		c := body[i]
		if c != '<' {
			sc.text.WriteByte(c)
			switch {
			case sc.inTitle:
				sc.title.WriteByte(c)
			case sc.hidden.depth == 0:
				sc.shown.WriteByte(c)
				fallthrough
			default:
				sc.visible.WriteByte(c)
			}
			i++
			continue
		}
		sc.text.WriteByte(' ')
		sc.visible.WriteByte(' ')
		sc.shown.WriteByte(' ')
		if strings.HasPrefix(body[i:], "<!--") {
			end := strings.Index(body[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		end := strings.IndexByte(body[i:], '>')
		if end < 0 {
			break
		}
		i = sc.tag(body, i+end+1, body[i+1:i+end])
	}
	norm := func(b *strings.Builder) string { return catalog.Normalize(html.UnescapeString(b.String())) }
	return page{text: sc.text.String(), visible: norm(&sc.visible), shown: norm(&sc.shown),
		title: norm(&sc.title), meaningful: sc.meaningful}
}

// pageScanner is readPage's state between tags.
type pageScanner struct {
	text, visible, shown, title strings.Builder
	meaningful, inTitle         bool
	hidden                      hiddenElement
}

// tag notes what the tag (its inside, without the brackets) says about the
// page and returns where scanning goes on: after the tag, or after a
// script's or a style's content.
func (sc *pageScanner) tag(body string, next int, tag string) int {
	name, closing := tagName(tag)
	switch {
	case name == "script" || name == "style":
		if name == "script" {
			sc.meaningful = true // an application a checker cannot run: not a white page
		}
		if !closing && !strings.HasSuffix(tag, "/") {
			return skipTo(body, next, "</"+name)
		}
	case name == "title":
		sc.inTitle = !closing
	}
	sc.hidden.see(name, tag, closing)
	switch {
	case isMeaningfulTag(name):
		sc.meaningful = true
	case name == "meta" && strings.Contains(strings.ToLower(tag), "refresh"):
		sc.meaningful = true // a redirect page
	}
	return next
}

// tagName returns the lowercase name of a tag's inside ("div class=x",
// "/div") and whether it closes an element.
func tagName(tag string) (string, bool) {
	closing := strings.HasPrefix(tag, "/")
	tag = strings.TrimPrefix(tag, "/")
	end := strings.IndexAny(tag, " \t\r\n/")
	if end >= 0 {
		tag = tag[:end]
	}
	return strings.ToLower(tag), closing
}

// skipTo returns the index of the next closing tag (ASCII case ignored)
// from i, or the end of s, so that a script's or a style's content is left
// out.
func skipTo(s string, i int, closing string) int {
	for {
		j := strings.Index(s[i:], "</")
		if j < 0 {
			return len(s)
		}
		k := i + j
		if len(s)-k >= len(closing) && strings.EqualFold(s[k:k+len(closing)], closing) {
			return k
		}
		i = k + 2
	}
}

// isMeaningfulTag names the elements that show or ask something without
// text: a login form, an image, a frame, a video.
func isMeaningfulTag(name string) bool {
	switch name {
	case "form", "input", "select", "textarea", "button", "img", "picture", "svg", "canvas",
		"video", "audio", "iframe", "frame", "frameset", "object", "embed":
		return true
	}
	return false
}
