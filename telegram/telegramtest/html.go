package telegramtest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseHTML reads text as Telegram reads parse_mode=HTML and returns what
// the user will see: tags removed, entities decoded. Its error is the detail
// Telegram puts after "Bad Request: can't parse entities: ".
//
// Accepted: the tags b, strong, i, em, u, ins, s, strike, del, tg-spoiler,
// span class="tg-spoiler", a (href), code, pre, blockquote (expandable) and
// tg-emoji (emoji-id), properly nested and closed; the entities &lt; &gt;
// &amp; &quot; and numeric ones (&#39; &#x27;). A '<' that does not open
// one of those tags is refused, and so is a '&' that does not start one of
// those entities, as the Bot API documentation requires (the real server is
// more lenient with '&': this fake is strict on purpose, so that a missing
// html.EscapeString shows up in tests). A bare '>' is accepted, as on
// Telegram. Message renderers can call it in their own tests.
func ParseHTML(text string) (string, error) {
	var out strings.Builder
	var open []string
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			t, n, err := readTag(text, i)
			if err != nil {
				return "", err
			}
			if open, err = nest(open, t, i); err != nil {
				return "", err
			}
			i += n
		case '&':
			s, n, err := readEntity(text, i)
			if err != nil {
				return "", err
			}
			out.WriteString(s)
			i += n
		default:
			out.WriteByte(text[i])
			i++
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", open[len(open)-1])
	}
	if !utf8.ValidString(out.String()) {
		return "", errors.New("Text must be encoded in UTF-8")
	}
	return out.String(), nil
}

// tag is a parsed start or end tag.
type tag struct {
	name  string
	end   bool
	attrs map[string]string
}

// nest checks a tag against the open ones and returns the new stack.
func nest(open []string, t tag, at int) ([]string, error) {
	if t.end {
		if len(open) == 0 {
			return nil, fmt.Errorf("Unexpected end tag at byte offset %d", at)
		}
		if top := open[len(open)-1]; top != t.name {
			return nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", at, top, t.name)
		}
		return open[:len(open)-1], nil
	}
	switch t.name {
	case "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "tg-spoiler", "a", "code", "pre", "blockquote":
	case "span":
		if t.attrs["class"] != "tg-spoiler" {
			return nil, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", at)
		}
	case "tg-emoji":
		if t.attrs["emoji-id"] == "" {
			return nil, fmt.Errorf("Custom emoji entity must contain a tg://emoji URL at byte offset %d", at)
		}
	default:
		return nil, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", t.name, at)
	}
	return append(open, t.name), nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// readTag parses the tag starting at text[at] == '<' and returns its length.
func readTag(text string, at int) (tag, int, error) {
	i := at + 1
	t := tag{attrs: map[string]string{}}
	if i < len(text) && text[i] == '/' {
		t.end = true
		i++
	}
	start := i
	for i < len(text) && isNameByte(text[i]) {
		i++
	}
	t.name = strings.ToLower(text[start:i])
	if t.name == "" || t.name[0] < 'a' || t.name[0] > 'z' {
		if t.end {
			return t, 0, fmt.Errorf("Unexpected end tag at byte offset %d", at)
		}
		return t, 0, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", t.name, at)
	}
	if t.end {
		i = skipSpace(text, i)
		if i >= len(text) || text[i] != '>' {
			return t, 0, fmt.Errorf("Unclosed end tag at byte offset %d", at)
		}
		return t, i + 1 - at, nil
	}
	for {
		i = skipSpace(text, i)
		if i >= len(text) {
			return t, 0, fmt.Errorf("Unclosed start tag at byte offset %d", at)
		}
		if text[i] == '>' {
			return t, i + 1 - at, nil
		}
		name, value, n, err := readAttr(text, i, t.name, at)
		if err != nil {
			return t, 0, err
		}
		t.attrs[name] = value
		i += n
	}
}

// readAttr parses name, name=value, name="value" or name='value'.
func readAttr(text string, i int, tagName string, at int) (string, string, int, error) {
	start := i
	for i < len(text) && isNameByte(text[i]) {
		i++
	}
	name := strings.ToLower(text[start:i])
	if name == "" {
		return "", "", 0, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tagName, at)
	}
	j := skipSpace(text, i)
	if j >= len(text) || text[j] != '=' {
		return name, "", i - start, nil // a boolean attribute, e.g. <blockquote expandable>
	}
	j = skipSpace(text, j+1)
	if j >= len(text) {
		return "", "", 0, fmt.Errorf("Unclosed start tag at byte offset %d", at)
	}
	var raw string
	if q := text[j]; q == '"' || q == '\'' {
		end := strings.IndexByte(text[j+1:], q)
		if end < 0 {
			return "", "", 0, fmt.Errorf("Unclosed start tag at byte offset %d", at)
		}
		raw = text[j+1 : j+1+end]
		j += end + 2
	} else {
		k := j
		for k < len(text) && text[k] != ' ' && text[k] != '>' && text[k] != '\t' && text[k] != '\n' {
			k++
		}
		raw, j = text[j:k], k
	}
	value, err := decodeEntities(raw, j)
	if err != nil {
		return "", "", 0, err
	}
	return name, value, j - start, nil
}

func skipSpace(text string, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// decodeEntities decodes the entities of an attribute value.
func decodeEntities(s string, at int) (string, error) {
	if !strings.Contains(s, "&") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '&' {
			b.WriteByte(s[i])
			i++
			continue
		}
		v, n, err := readEntity(s, i)
		if err != nil {
			return "", fmt.Errorf("%w (in an attribute ending at byte offset %d)", err, at)
		}
		b.WriteString(v)
		i += n
	}
	return b.String(), nil
}

// readEntity decodes the entity at text[at] == '&': one of the four named
// ones Telegram knows, or a numeric one.
func readEntity(text string, at int) (string, int, error) {
	end := strings.IndexByte(text[at:], ';')
	if end > 0 && end <= 12 {
		body := text[at+1 : at+end]
		switch body {
		case "lt":
			return "<", end + 1, nil
		case "gt":
			return ">", end + 1, nil
		case "amp":
			return "&", end + 1, nil
		case "quot":
			return "\"", end + 1, nil
		}
		if r, ok := numericEntity(body); ok {
			return string(r), end + 1, nil
		}
	}
	return "", 0, fmt.Errorf("Character \"&\" at byte offset %d must be escaped as &amp; (or start &lt; &gt; &amp; &quot; or a numeric entity)", at)
}

func numericEntity(body string) (rune, bool) {
	if !strings.HasPrefix(body, "#") || len(body) < 2 {
		return 0, false
	}
	var n uint64
	var err error
	if body[1] == 'x' || body[1] == 'X' {
		n, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(body[1:], 10, 32)
	}
	if err != nil || n == 0 || n > utf8.MaxRune || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}
