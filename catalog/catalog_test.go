package catalog

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

// lookupCase is a key and the field a lookup must find for it, "" when
// it must find nothing.
type lookupCase struct{ key, want string }

// testLookup runs a lookup that finds one thing or nothing over the
// cases, comparing one field of what it finds.
func testLookup[T any](t *testing.T, name string, lookup func(string) (T, bool), field func(T) string, tests []lookupCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := lookup(tt.key)
			if got, wantOK := field(v), tt.want != ""; got != tt.want || ok != wantOK {
				t.Errorf("%s(%q): got %q, %v; want %q, %v", name, tt.key, got, ok, tt.want, wantOK)
			}
		})
	}
}

func slugOf(a Academy) string { return a.Slug }

// slugsCase is a key and the slugs of the académies a function must list
// for it, in order.
type slugsCase struct {
	key  string
	want []string
}

// testSlugs runs a function listing académies over the cases.
func testSlugs(t *testing.T, name string, list func(string) []Academy, tests []slugsCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := slugs(list(tt.key)); !slices.Equal(got, tt.want) {
				t.Errorf("%s(%q): got %v, want %v", name, tt.key, got, tt.want)
			}
		})
	}
}

// TestServiceAndAcademy: Service and Academy take an exact id or slug.
func TestServiceAndAcademy(t *testing.T) {
	c := mustDefault(t)
	testLookup(t, "Service", c.Service, func(s Service) string { return s.URL }, []lookupCase{
		{"monlycee", "https://ent.iledefrance.fr"},
		{"educonnect", "https://educonnect.education.gouv.fr"},
		{"MonLycee", ""},
		{"", ""},
	})
	testLookup(t, "Academy", c.Academy, func(a Academy) string { return a.Code }, []lookupCase{
		{"creteil", "24"},
		{"wallis-et-futuna", "42"},
		{"Créteil", ""}, // exact slug only; Find is for user input
		{"24", ""},
	})
}

func TestServicesOf(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		slug string
		want []string
	}{
		{"versailles", []string{"monlycee", "ecollege78", "moncollege91", "enc92", "moncollege95"}},
		{"paris", []string{"monlycee", "pcn"}},
		{"wallis-et-futuna", []string{}},
		{"atlantis", nil},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			var got []string
			services := c.ServicesOf(tt.slug)
			if services != nil {
				got = []string{}
			}
			for _, s := range services {
				got = append(got, s.ID)
				if s.National {
					t.Errorf("ServicesOf(%q) includes national service %q", tt.slug, s.ID)
				}
			}
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("ServicesOf(%q): got %v, want %v", tt.slug, got, tt.want)
			}
		})
	}
}

func TestRegions(t *testing.T) {
	c := mustDefault(t)
	got := c.Regions()
	if len(got) != 22 {
		t.Errorf("Regions(): got %d regions, want 22 (13 metropolitan, 5 overseas académies, 4 vice-rectorats): %v", len(got), got)
	}
	if got[0] != "Auvergne-Rhône-Alpes" {
		t.Errorf("Regions()[0]: got %q, want Auvergne-Rhône-Alpes", got[0])
	}
	idf, hdf, corse := slices.Index(got, "Île-de-France"), slices.Index(got, "Hauts-de-France"), slices.Index(got, "Corse")
	if idf != hdf+1 {
		t.Errorf("Île-de-France at %d, Hauts-de-France at %d: want accents ignored, Î right after H", idf, hdf)
	}
	for i, r := range got {
		overseas := c.AcademiesIn(r)[0].Overseas
		if want := i > slices.Index(got, "Provence-Alpes-Côte d'Azur"); overseas != want {
			t.Errorf("Regions()[%d] %q: overseas %v, want overseas regions last", i, r, overseas)
		}
	}
	if corse < 0 || c.AcademiesIn("Corse")[0].Overseas {
		t.Errorf("Corse: want a metropolitan region, got index %d", corse)
	}
}

func TestAcademiesIn(t *testing.T) {
	c := mustDefault(t)
	testSlugs(t, "AcademiesIn", c.AcademiesIn, []slugsCase{
		{"Île-de-France", []string{"creteil", "paris", "versailles"}},
		{"ile de france", []string{"creteil", "paris", "versailles"}},
		{"Grand Est", []string{"nancy-metz", "reims", "strasbourg"}},
		{"Normandie", []string{"normandie"}},
		{"Atlantide", nil},
	})
}

func TestAlternativesFor(t *testing.T) {
	c := mustDefault(t)
	names := func(alts []Alternative) string {
		var out []string
		for _, a := range alts {
			out = append(out, a.Name)
		}
		return strings.Join(out, ", ")
	}
	today := time.Date(2026, time.December, 7, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		level  status.Level
		isDown func(string) bool
		want   string
	}{
		{"all up", status.College, nil, "Lumni collège, Classe virtuelle (apps.education.fr)"},
		{"lumni down", status.College, func(id string) bool { return id == "lumni" }, "Classe virtuelle (apps.education.fr)"},
		{"apps down", status.Lycee, func(id string) bool { return id == "apps-education" }, "Lumni lycée"},
		{"unknown level", status.Level("fac"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(c.AlternativesFor(tt.level, today, tt.isDown)); got != tt.want {
				t.Errorf("AlternativesFor(%q): got %q, want %q", tt.level, got, tt.want)
			}
		})
	}
}

// TestAlternativesForUntil: an alternative tied to an event is offered up
// to its until: day included, in the caller's time zone, and never after.
func TestAlternativesForUntil(t *testing.T) {
	c, err := Parse([]byte(`
alternatives:
  college:
    - {name: "Lumni collège", url: "https://www.lumni.fr/college"}
    - {name: "France 4", url: "https://www.france.tv/france-4/direct.html", until: 2021-04-30,
       description: "Cours à la télévision de 14h à 16h (avril 2021)."}
academies:
  - {slug: paris, code: "01", name: Paris, region: Île-de-France, services: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	paris := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name string
		now  time.Time
		want int
	}{
		{"during the event", time.Date(2021, 4, 6, 9, 0, 0, 0, paris), 2},
		{"on its last day, late", time.Date(2021, 4, 30, 23, 59, 0, 0, paris), 2},
		{"the day after, just past midnight in Paris", time.Date(2021, 5, 1, 0, 5, 0, 0, paris), 1},
		{"years later", time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.AlternativesFor(status.College, tt.now, nil)
			if len(got) != tt.want {
				t.Errorf("AlternativesFor(college, %s): got %d alternatives %+v, want %d", tt.now, len(got), got, tt.want)
			}
			if len(got) == 1 && got[0].Name != "Lumni collège" {
				t.Errorf("kept %q, want Lumni collège", got[0].Name)
			}
		})
	}
}

func TestServiceLevelsAndStatus(t *testing.T) {
	s := Service{Levels: []status.Level{status.College, status.Lycee}}
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"serves college", s.Serves(status.College), true},
		{"does not serve primaire", s.Serves(status.Primaire), false},
		{"200 ok by default", s.StatusOK(200), true},
		{"204 ok by default", s.StatusOK(204), true},
		{"302 not ok by default", s.StatusOK(302), false},
		{"503 not ok", s.StatusOK(503), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, DefaultYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("services:\n  - id: x\n    nme: typo\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		wantErr    string // "" for success
	}{
		{"empty path is the default", "", ""},
		{"file", good, ""},
		{"missing file", filepath.Join(dir, "missing.yaml"), "no such file"},
		{"bad file names the path", bad, bad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(tt.path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Load(%q): got error %v, want none", tt.path, err)
				}
				if _, ok := c.Academy("paris"); !ok {
					t.Errorf("Load(%q): paris not found", tt.path)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load(%q): got error %v, want one containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
}
