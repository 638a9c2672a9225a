package checker

import "strings"

// hiddenElement follows the element a page hides (with the hidden
// attribute, an inline style display:none or visibility:hidden, or
// aria-hidden="true"), so that its text, which no visitor reads, cannot be
// taken for a waiting-room message. Like readPage it is not an HTML parser:
// it counts the opening and closing tags of the hidden element's name.
// Where it must guess (an element whose end tag is optional), it ends the
// hidden part early rather than late, so that a real waiting-room text is
// never hidden by a scanning mistake.
type hiddenElement struct {
	name  string // lowercase tag name of the outermost hidden element
	depth int    // its elements of the same name still open; 0: nothing hidden
}

// see updates the state with one tag: its lowercase name, its inside
// (without brackets) and whether it closes an element.
func (h *hiddenElement) see(name, tag string, closing bool) {
	selfClosing := strings.HasSuffix(tag, "/") || isVoidTag(name)
	if h.depth == 0 {
		if !closing && !selfClosing && name != "" && hides(tag) {
			h.name, h.depth = name, 1
		}
		return
	}
	switch {
	case name == h.name && closing:
		h.depth--
	case name == h.name && !selfClosing:
		if endsImplicitly(name) {
			h.depth = 0 // <li hidden>…<li>: the first item ends where the second begins
		} else {
			h.depth++
		}
	case endsImplicitly(h.name) && isBlockTag(name):
		h.depth = 0 // <p hidden>…<div> or …</div>: the paragraph is over
	}
}

// hides reports whether a start tag's attributes hide the element.
func hides(tag string) bool {
	for name, value := range attributes(tag) {
		switch name {
		case "hidden":
			return !strings.EqualFold(value, "until-found") // until-found content is shown on a search
		case "aria-hidden":
			if strings.EqualFold(strings.TrimSpace(value), "true") {
				return true
			}
		case "style":
			css := strings.ToLower(strings.Join(strings.Fields(value), ""))
			if strings.Contains(css, "display:none") || strings.Contains(css, "visibility:hidden") {
				return true
			}
		}
	}
	return false
}

// attributes yields the attributes of a start tag's inside ("div class=x
// hidden"): lowercase names, values unquoted, "" for an attribute without
// value.
func attributes(tag string) func(yield func(name, value string) bool) {
	return func(yield func(name, value string) bool) {
		i := strings.IndexAny(tag, " \t\r\n/")
		if i < 0 {
			return
		}
		s := tag[i:]
		for {
			s = strings.TrimLeft(s, " \t\r\n/")
			if s == "" {
				return
			}
			end := strings.IndexAny(s, " \t\r\n/=")
			if end < 0 {
				end = len(s)
			}
			name := strings.ToLower(s[:end])
			s = strings.TrimLeft(s[end:], " \t\r\n")
			value := ""
			if strings.HasPrefix(s, "=") {
				value, s = attributeValue(strings.TrimLeft(s[1:], " \t\r\n"))
			}
			if !yield(name, value) {
				return
			}
		}
	}
}

// attributeValue splits s, which starts with a value, into the value and
// what follows it.
func attributeValue(s string) (value, rest string) {
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		if end := strings.IndexByte(s[1:], s[0]); end >= 0 {
			return s[1 : 1+end], s[2+end:]
		}
		return s[1:], ""
	}
	end := strings.IndexAny(s, " \t\r\n")
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}

// isVoidTag names the elements that have no content and no end tag.
func isVoidTag(name string) bool {
	switch name {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// endsImplicitly names the elements whose end tag may be left out.
func endsImplicitly(name string) bool {
	switch name {
	case "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot":
		return true
	}
	return false
}

// isBlockTag names the elements whose start or end ends an open paragraph
// or list item, for endsImplicitly's elements.
func isBlockTag(name string) bool {
	switch name {
	case "address", "article", "aside", "blockquote", "body", "div", "dl", "fieldset", "footer", "form",
		"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "main", "nav", "ol", "p", "pre",
		"section", "table", "ul", "li", "dt", "dd", "tr", "td", "th":
		return true
	}
	return false
}
