package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sentinelle/french"
)

// TestGoldenTypography reads the visible text of every golden page, feed
// and JSON answer and fails on a « : ; ? ! » without the no-break space
// before it, or « » without them inside (french.Lint). What a reader does
// not read as French is left out: the style sheet, tags and attribute
// values (links, the QR code's path), the feed's ids and dates, JSON keys.
func TestGoldenTypography(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(files) < 8 {
		t.Fatalf("golden files: %v, %d found", err, len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := visibleTexts(path, data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		for _, text := range texts {
			for _, p := range french.Lint(text) {
				t.Errorf("%s: %s", path, p)
			}
		}
	}
}

// visibleTexts picks out of a golden file the texts people read, by the
// file's kind.
func visibleTexts(path string, data []byte) ([]string, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".golden")
	switch filepath.Ext(name) {
	case ".html":
		return []string{styleElement.ReplaceAllString(string(data), "<style></style>")}, nil
	case ".atom":
		return feedTexts(data)
	case ".json":
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return jsonStrings(v, nil), nil
	}
	return nil, errors.New("unknown kind of golden file")
}

// styleElement is the inline style sheet: CSS, not French.
var styleElement = regexp.MustCompile(`(?s)<style>.*?</style>`)

// feedTexts lists the titles and summaries of an Atom feed: its ids
// (tag:host,2021:…) and dates are for programs.
func feedTexts(data []byte) ([]string, error) {
	var out []string
	dec := xml.NewDecoder(bytes.NewReader(data))
	var in string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			in = tok.Name.Local
		case xml.EndElement:
			in = ""
		case xml.CharData:
			if in == "title" || in == "summary" || in == "name" {
				out = append(out, string(tok))
			}
		}
	}
}

// jsonStrings lists the string values of a decoded JSON document (not its
// keys): the French error messages, names and reasons.
func jsonStrings(v any, out []string) []string {
	switch v := v.(type) {
	case string:
		out = append(out, v)
	case []any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	case map[string]any:
		for _, e := range v {
			out = jsonStrings(e, out)
		}
	}
	return out
}

// TestGoldenTypographyCatches makes sure the check above fails on the
// mistakes it is there for and passes what it must ignore, in each kind
// of golden file.
func TestGoldenTypographyCatches(t *testing.T) {
	tests := []struct {
		name, path, text string
		bad              bool
	}{
		{"plain colon", "a.html.golden", "<p>Dernière vérification : mardi</p>", true},
		{"glued question", "a.html.golden", "<p>Vouliez-vous dire <a href=\"/x\">Versailles</a>?</p>", true},
		{"plain exclamation", "a.html.golden", "<p>Attention !</p>", true},
		{"plain semicolon", "a.html.golden", "<p>90 jours ; une panne</p>", true},
		{"guillemets", "a.html.golden", "<p>« non vérifié »</p>", true},
		{"typeset page", "a.html.golden", "<p>Légende\u00a0: x\u202f; «\u00a0y\u00a0»\u00a0?</p>", false},
		{"style, attributes and times", "a.html.golden", `<style>a:hover{color:red} @media (min-width:48rem){}</style><a href="https://x.fr/?a=1" title="b">10:00</a>`, false},
		{"feed title", "f.atom.golden", `<feed><title>EduConnect : panne</title></feed>`, true},
		{"feed ids and dates", "f.atom.golden", "<feed><id>tag:x.fr,2021:incidents</id><updated>2021-04-06T09:39:00Z</updated><title>Pannes\u00a0: ENT</title></feed>", false},
		{"json message", "e.json.golden", `{"error":"paramètre inconnu : x"}`, true},
		{"json keys, urls and times", "e.json.golden", "{\"url\":\"https://x.fr:8443/a?b=c\",\"at\":\"2021-04-06T07:30:00+02:00\",\"error\":\"paramètre inconnu\u00a0: x\"}", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			texts, err := visibleTexts(tt.path, []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, text := range texts {
				got = append(got, french.Lint(text)...)
			}
			if (len(got) > 0) != tt.bad {
				t.Errorf("problems %q, want some: %v", got, tt.bad)
			}
		})
	}
}
