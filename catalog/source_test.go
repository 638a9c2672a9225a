package catalog

import (
	"strings"
	"testing"
	"time"

	"sentinelle/status"

	"go.yaml.in/yaml/v3"
)

// sourcedYAML is a small catalog with every new field, valid as written;
// tests replace one line to break it.
const sourcedYAML = `
alternatives:
  college:
    - name: "Lumni collège"
      url: "https://www.lumni.fr/college"
      service: lumni
      source: {ref: "https://enseignants.lumni.fr/annexe/centre-d-aide", checked: 2026-12-07}
    - name: "France 4"
      url: "https://www.france.tv/france-4/direct.html"
      until: 2021-04-30
      source: {ref: "education-data.md W15, W16", checked: "2021-04-05"}
services:
  - id: lumni
    name: Lumni
    url: "https://www.lumni.fr"
    levels: [college]
    national: true
    source: {ref: "https://enseignants.lumni.fr/annexe/centre-d-aide", checked: 2026-12-07}
  - id: pcn
    name: "Paris Classe Numérique"
    url: "https://ent.parisclassenumerique.fr"
    levels: [college]
academies:
  - {slug: paris, code: "01", name: Paris, region: Île-de-France, services: [pcn]}
`

func TestParseSources(t *testing.T) {
	c, err := Parse([]byte(sourcedYAML))
	if err != nil {
		t.Fatal(err)
	}
	lumni, _ := c.Service("lumni")
	if lumni.Source.Ref != "https://enseignants.lumni.fr/annexe/centre-d-aide" || lumni.Source.Checked != NewDate(2026, time.December, 7) {
		t.Errorf("lumni source: got %+v", lumni.Source)
	}
	if pcn, _ := c.Service("pcn"); !pcn.Source.IsZero() {
		t.Errorf("pcn: got source %+v, want none (a source is optional)", pcn.Source)
	}
	f4 := c.Alternatives[status.College][1]
	if f4.Until.String() != "2021-04-30" || f4.Source.Checked.String() != "2021-04-05" {
		t.Errorf("France 4: until %q, checked %q", f4.Until, f4.Source.Checked)
	}
	// Written back (as the replay's mirror catalog is) it parses the same.
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("catalog written back does not parse: %v\n%s", err, out)
	}
	if got := again.Alternatives[status.College][1]; got.Until != f4.Until || got.Source != f4.Source {
		t.Errorf("written back: got %+v, want %+v", got, f4)
	}
	if strings.Contains(string(out), "until: \"\"") || strings.Contains(string(out), "source: {}") {
		t.Errorf("absent until or source written out:\n%s", out)
	}
}

func TestParseRejectsSources(t *testing.T) {
	lumniSrc := `source: {ref: "https://enseignants.lumni.fr/annexe/centre-d-aide", checked: 2026-12-07}`
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"checked not a day", "checked: \"2021-04-05\"", "checked: 5 avril 2021",
			[]string{`alternatives.college[1] (name "France 4"): source: checked "5 avril 2021": not a day, want YYYY-MM-DD`}},
		{"checked impossible", "checked: \"2021-04-05\"", "checked: 2021-02-30",
			[]string{`source: checked "2021-02-30": not a day`}},
		{"checked missing", "checked: \"2021-04-05\"}", "}",
			[]string{`alternatives.college[1] (name "France 4"): source: checked: required`}},
		{"ref missing", `ref: "education-data.md W15, W16", `, "",
			[]string{`alternatives.college[1] (name "France 4"): source: ref: required`}},
		{"ref a bad URL", `ref: "education-data.md W15, W16"`, `ref: "ftp://example.org/x"`,
			[]string{`source: ref "ftp://example.org/x": a URL must be an absolute http(s) URL`}},
		{"until not a day", "until: 2021-04-30", "until: fin avril",
			[]string{`alternatives.college[1] (name "France 4"): until "fin avril": not a day, want YYYY-MM-DD`}},
		{"until a list", "until: 2021-04-30", "until: [2021-04-30]",
			[]string{`until "(a YAML list)": not a day`}},
		{"service source checked bad", "    national: true\n    " + lumniSrc, "    national: true\n    source: {ref: lumni, checked: 2026-13-01}",
			[]string{`services[0] (id "lumni"): source: checked "2026-13-01": not a day`}},
		{"unknown source field", `ref: "education-data.md W15, W16", `, `ref: "x", url: "y", `,
			[]string{"field url not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(sourcedYAML, tt.old) {
				t.Fatalf("test data: %q not in sourcedYAML", tt.old)
			}
			wantParseErrors(t, []byte(strings.Replace(sourcedYAML, tt.old, tt.new, 1)), tt.want)
		})
	}
}

func TestStaleBefore(t *testing.T) {
	tests := []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "2024-09-01"},
		{time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), "2024-09-01"},
		{time.Date(2026, 8, 31, 23, 0, 0, 0, time.UTC), "2023-09-01"},
		{time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC), "2024-09-01"},
	}
	for _, tt := range tests {
		if got := StaleBefore(tt.now).String(); got != tt.want {
			t.Errorf("StaleBefore(%s): got %s, want %s", tt.now.Format(time.DateOnly), got, tt.want)
		}
	}
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for checked, stale := range map[string]bool{"2024-08-31": true, "2024-09-01": false, "2026-12-07": false} {
		d, err := ParseDate(checked)
		if err != nil {
			t.Fatal(err)
		}
		if got := (Source{Ref: "x", Checked: d}).Stale(now); got != stale {
			t.Errorf("checked %s: Stale = %v, want %v", checked, got, stale)
		}
	}
	if !(Source{}).Stale(now) {
		t.Error("no source: want Stale")
	}
}
