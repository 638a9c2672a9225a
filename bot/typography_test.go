package bot

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sentinelle/french"
)

// TestGoldenTypography reads every text of the golden files (messages,
// alerts, the conversations) and fails on a « : ; ? ! » without the
// no-break space before it, or « » without them inside (french.Lint:
// tags, entities, URLs and times like 10:00 are not read as punctuation).
// The harness's own lines (=== titles, >>> what users type, <<< and ~~~
// headings, callback data) are not the bot's texts and are skipped;
// button labels and button notices are checked.
func TestGoldenTypography(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(files) < 10 {
		t.Fatalf("golden files: %v, %d found", err, len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, text := range botTexts(line) {
				for _, p := range french.Lint(text) {
					t.Errorf("%s:%d: %s", path, i+1, p)
				}
			}
		}
	}
}

// botTexts picks out of a golden line what the bot wrote.
func botTexts(line string) []string {
	switch {
	case strings.HasPrefix(line, "=== "), strings.HasPrefix(line, ">>> "), strings.HasPrefix(line, "[photo: "),
		strings.HasPrefix(line, "<<< "), strings.HasPrefix(line, "~~~ "):
		return nil
	case strings.HasPrefix(line, "··· answer: "):
		s, err := strconv.Unquote(strings.TrimPrefix(line, "··· answer: "))
		if err != nil {
			return []string{line}
		}
		return []string{s}
	case strings.HasPrefix(line, "··· "):
		return nil
	case strings.HasPrefix(line, "[") && strings.Contains(line, " → "):
		var labels []string
		for _, b := range strings.Split(strings.Trim(line, "[]"), "] [") {
			label, _, _ := strings.Cut(b, " → ")
			labels = append(labels, label)
		}
		return labels
	}
	return []string{line}
}

// TestGoldenTypographyCatches makes sure the check above would fail on
// the mistakes it is there for, and pass on what it must ignore.
func TestGoldenTypographyCatches(t *testing.T) {
	tests := []struct {
		name, line string
		bad        bool
	}{
		{"plain colon", "Académie : Versailles", true},
		{"plain question", "Tout effacer ?", true},
		{"plain exclamation", "C'est prêt !", true},
		{"plain semicolon", "fermée ; effacée", true},
		{"guillemets", "le code « ABCD2345 »", true},
		{"answer", `··· answer: "Pannes : coupées"`, true},
		{"button", "[Oui ! → ok:1] [Non → no:1]", true},
		{"typeset", "Académie\u00a0: Versailles\u202f; «\u00a0x\u00a0»\u00a0!", false},
		{"harness line", ">>> Camille (chat 101): /start", false},
		{"url and time", `Lien : <a href="https://t.me/x?start=c_AB">ici</a> à 10:00`, true},
		{"url and time typeset", "Lien\u00a0: https://t.me/x?start=c_AB à 10:00", false},
		{"command syntax", "/planb CODE texte · /fermer CODE", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, text := range botTexts(tt.line) {
				got = append(got, french.Lint(text)...)
			}
			if (len(got) > 0) != tt.bad {
				t.Errorf("problems %q, want some: %v", got, tt.bad)
			}
		})
	}
}
