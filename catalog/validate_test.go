package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"sentinelle/status"

	"go.yaml.in/yaml/v3"
)

// validCatalog is a small catalog that passes validation; each case below
// breaks one thing in a copy of it.
func validCatalog() *Catalog {
	return &Catalog{
		WaitingRoomMarkers: []string{"patienter pour y accéder à votre tour"},
		Alternatives: map[status.Level][]Alternative{
			status.College: {{Name: "Lumni collège", URL: "https://www.lumni.fr/college", Service: "lumni"}},
		},
		Services: []Service{
			{ID: "lumni", Name: "Lumni", URL: "https://www.lumni.fr", Levels: []status.Level{status.Primaire, status.College, status.Lycee}, National: true},
			{ID: "monlycee", Name: "MonLycée.net", URL: "https://ent.iledefrance.fr", Levels: []status.Level{status.Lycee}},
			{ID: "ecollege78", Name: "eCollège 78", URL: "https://ent.ecollege78.fr", Levels: []status.Level{status.College}},
		},
		Academies: []Academy{
			{Slug: "versailles", Code: "25", Name: "Versailles", Region: "Île-de-France", Zone: "C", Services: []string{"monlycee", "ecollege78"}},
			{Slug: "paris", Code: "01", Name: "Paris", Region: "Île-de-France", Zone: "C", Services: []string{"monlycee"}},
		},
	}
}

func marshal(t *testing.T, c *Catalog) []byte {
	t.Helper()
	data, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("yaml.Marshal: %v", err)
	}
	return data
}

// mustParse marshals c and parses it back, as Load would read it.
func mustParse(t *testing.T, c *Catalog) *Catalog {
	t.Helper()
	parsed, err := Parse(marshal(t, c))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return parsed
}

// wantParseErrors parses data and fails unless Parse refuses it with an
// error containing every one of want. It returns the error.
func wantParseErrors(t *testing.T, data []byte, want []string) error {
	t.Helper()
	_, err := Parse(data)
	if err == nil {
		t.Fatalf("Parse: got no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Parse error:\n%v\nwant it to contain %q", err, w)
		}
	}
	return err
}

func TestParseValid(t *testing.T) {
	c := mustParse(t, validCatalog())
	s, ok := c.Service("monlycee")
	if !ok {
		t.Fatal(`Service("monlycee"): not found`)
	}
	if got, want := s.SlowMS, DefaultSlowMS; got != want {
		t.Errorf("SlowMS when omitted: got %d, want %d", got, want)
	}
}

// rejectCase breaks one thing in a copy of a valid catalog.
type rejectCase struct {
	name   string
	mutate func(c *Catalog)
	want   []string // substrings of the error, all required
}

// testRejects breaks a fresh base catalog per case and checks that Parse
// refuses the result with the wanted error.
func testRejects(t *testing.T, base func() *Catalog, tests []rejectCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(c)
			wantParseErrors(t, marshal(t, c), tt.want)
		})
	}
}

func TestParseRejects(t *testing.T) {
	testRejects(t, validCatalog, []rejectCase{
		{"duplicate service id", func(c *Catalog) { c.Services[2].ID = "monlycee" },
			[]string{`services[2] (id "monlycee")`, "duplicate service id"}},
		{"duplicate slug", func(c *Catalog) { c.Academies[1].Slug = "versailles"; c.Academies[1].Name = "Versailles bis" },
			[]string{`academies[1] (slug "versailles")`, "duplicate of academies[0]"}},
		{"duplicate code", func(c *Catalog) { c.Academies[1].Code = "25" },
			[]string{`code "25": duplicate of academies[0]`}},
		{"duplicate code with leading zero", func(c *Catalog) { c.Academies[1].Code = "025" },
			[]string{`code "025": duplicate of academies[0]`}},
		{"non numeric code", func(c *Catalog) { c.Academies[1].Code = "A1" },
			[]string{`code "A1": must be the ministry's numeric code`}},
		{"académie with unknown service", func(c *Catalog) { c.Academies[0].Services = append(c.Academies[0].Services, "ecolege78") },
			[]string{`academies[0] (slug "versailles"): service "ecolege78": unknown service`}},
		{"académie listing a national service", func(c *Catalog) { c.Academies[1].Services = []string{"lumni"} },
			[]string{`academies[1] (slug "paris"): service "lumni": national service`}},
		{"service listed twice", func(c *Catalog) { c.Academies[1].Services = []string{"monlycee", "monlycee"} },
			[]string{`service "monlycee": listed twice`}},
		{"alternative with unknown service", func(c *Catalog) { c.Alternatives[status.College][0].Service = "lumnii" },
			[]string{`alternatives.college[0] (name "Lumni collège"): service "lumnii": unknown service`}},
		{"service url without scheme", func(c *Catalog) { c.Services[1].URL = "htp:/x" },
			[]string{`services[1] (id "monlycee"): url "htp:/x": must be an absolute http(s) URL`}},
		{"service url without host", func(c *Catalog) { c.Services[1].URL = "https:///auth/login" },
			[]string{`url "https:///auth/login": must be an absolute http(s) URL`}},
		{"service url relative", func(c *Catalog) { c.Services[1].URL = "/auth/login" },
			[]string{`url "/auth/login": must be an absolute http(s) URL`}},
		{"alternative url bad", func(c *Catalog) { c.Alternatives[status.College][0].URL = "ftp://lumni.fr" },
			[]string{`alternatives.college[0]`, `url "ftp://lumni.fr": must be an absolute http(s) URL`}},
		{"unknown service level", func(c *Catalog) { c.Services[1].Levels = []status.Level{"lycée", "fac"} },
			[]string{`services[1] (id "monlycee"): level "fac": unknown level`}},
		{"repeated service level", func(c *Catalog) { c.Services[1].Levels = []status.Level{"lycee", "Lycée"} },
			[]string{`level "Lycée": listed twice`}},
		{"no service level", func(c *Catalog) { c.Services[1].Levels = nil },
			[]string{`services[1] (id "monlycee"): levels: required`}},
		{"unknown alternatives level", func(c *Catalog) { c.Alternatives["colege"] = c.Alternatives[status.College] },
			[]string{`alternatives: level "colege": unknown level`}},
		{"alternatives level twice", func(c *Catalog) { c.Alternatives["collège"] = c.Alternatives[status.College] },
			[]string{`alternatives: level`, "listed twice"}},
		{"empty service id", func(c *Catalog) { c.Services[2].ID = "" },
			[]string{"services[2]: id: required"}},
		{"empty service name", func(c *Catalog) { c.Services[1].Name = " " },
			[]string{`services[1] (id "monlycee"): name: required`}},
		{"empty service url", func(c *Catalog) { c.Services[1].URL = "" },
			[]string{`services[1] (id "monlycee"): url: required`}},
		{"empty slug", func(c *Catalog) { c.Academies[1].Slug = "" },
			[]string{"academies[1]: slug: required"}},
		{"empty code", func(c *Catalog) { c.Academies[1].Code = "" },
			[]string{`academies[1] (slug "paris"): code: required`}},
		{"empty académie name", func(c *Catalog) { c.Academies[1].Name = "" },
			[]string{`academies[1] (slug "paris"): name: required`}},
		{"empty region", func(c *Catalog) { c.Academies[1].Region = "" },
			[]string{`academies[1] (slug "paris"): region: required`}},
		{"bad service id", func(c *Catalog) { c.Services[2].ID = "eCollege_78" },
			[]string{`id "eCollege_78": must be lowercase ascii`}},
		{"bad slug", func(c *Catalog) { c.Academies[1].Slug = "Paris-" },
			[]string{`slug "Paris-": must be lowercase ascii`}},
		{"expect_status too low", func(c *Catalog) { c.Services[1].ExpectStatus = 99 },
			[]string{"expect_status 99: must be an HTTP status between 100 and 599"}},
		{"expect_status too high", func(c *Catalog) { c.Services[1].ExpectStatus = 600 },
			[]string{"expect_status 600"}},
		{"negative slow_ms", func(c *Catalog) { c.Services[1].SlowMS = -1 },
			[]string{`services[1] (id "monlycee"): slow_ms -1: must not be negative`}},
		{"alias naming another académie", func(c *Catalog) { c.Academies[1].Aliases = []string{"VERSAILLES"} },
			[]string{`academies[1] (slug "paris"): name, slug or alias "versailles": also designates academies[0]`}},
		{"numeric alias", func(c *Catalog) { c.Academies[1].Aliases = []string{"75"} },
			[]string{`alias "75"`, "must contain a letter"}},
		{"bad channel", func(c *Catalog) { c.Academies[1].Channel = "t.me/paris" },
			[]string{`channel "t.me/paris": must be a public channel username`}},
		{"duplicate marker", func(c *Catalog) {
			c.WaitingRoomMarkers = append(c.WaitingRoomMarkers, "Patienter, pour y accéder à votre TOUR")
		},
			[]string{"waiting_room_markers[1]", "same text as waiting_room_markers[0]"}},
		{"blank marker", func(c *Catalog) { c.WaitingRoomMarkers = []string{"…"} },
			[]string{"waiting_room_markers[0]", "must contain letters or digits"}},
		{"no académie", func(c *Catalog) { c.Academies = nil },
			[]string{"academies: at least one académie is required"}},
	})
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Catalog)
		check  func(t *testing.T, c *Catalog)
	}{
		{"no markers", func(c *Catalog) { c.WaitingRoomMarkers = nil }, func(t *testing.T, c *Catalog) {
			// That nothing then matches is checker.TestNoMarkers.
			if len(c.WaitingRoomMarkers) != 0 {
				t.Errorf("markers %q, want none", c.WaitingRoomMarkers)
			}
		}},
		{"levels as people write them", func(c *Catalog) {
			c.Services[1].Levels = []status.Level{"LYCÉE", "École"}
			c.Alternatives["Collège"] = c.Alternatives[status.College]
			delete(c.Alternatives, status.College)
		}, func(t *testing.T, c *Catalog) {
			s, _ := c.Service("monlycee")
			if got, want := s.Levels, []status.Level{status.Lycee, status.Primaire}; !slices.Equal(got, want) {
				t.Errorf("levels: got %v, want %v", got, want)
			}
			if got := len(c.Alternatives[status.College]); got != 1 {
				t.Errorf("Alternatives[status.College]: got %d, want 1", got)
			}
		}},
		{"explicit slow_ms and status", func(c *Catalog) { c.Services[1].SlowMS = 800; c.Services[1].ExpectStatus = 302 },
			func(t *testing.T, c *Catalog) {
				s, _ := c.Service("monlycee")
				if s.SlowMS != 800 || !s.StatusOK(302) || s.StatusOK(200) {
					t.Errorf("got SlowMS %d, StatusOK(302) %v, StatusOK(200) %v; want 800, true, false", s.SlowMS, s.StatusOK(302), s.StatusOK(200))
				}
			}},
		{"channel forms", func(c *Catalog) {
			c.Academies[0].Channel = "@sentinelle_versailles"
			c.Academies[1].Channel = "-1001234567890"
		},
			func(t *testing.T, c *Catalog) {}},
		{"académie without services", func(c *Catalog) { c.Academies[1].Services = nil }, func(t *testing.T, c *Catalog) {
			if got := c.ServicesOf("paris"); len(got) != 0 {
				t.Errorf("ServicesOf(paris): got %v, want none", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCatalog()
			tt.mutate(c)
			tt.check(t, mustParse(t, c))
		})
	}
}

func TestParseRawYAML(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string
	}{
		{"unknown field", "services:\n  - id: x\n    expect_staus: 200\n", "field expect_staus not found"},
		{"unknown top-level field", "academy: []\n", "field academy not found"},
		{"wrong type", "academies: 3\n", "yaml:"},
		{"empty document", "", "at least one académie"},
		{"two documents", "academies: []\n---\nacademies: []\n", "more than one document"},
		{"syntax error", "academies: [\n", "yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q): got error %v, want one containing %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	c := validCatalog()
	c.Services[1].URL = "htp:/x"
	c.Services[2].ExpectStatus = 42
	c.Academies[1].Services = []string{"nope"}
	c.Alternatives[status.Lycee] = []Alternative{{Name: "", URL: "https://www.lumni.fr/lycee"}}
	err := wantParseErrors(t, marshal(t, c),
		[]string{`url "htp:/x"`, "expect_status 42", `service "nope"`, "alternatives.lycee[0]: name: required", "(4 problems)"})
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 {
		t.Errorf("error: want an errors.Join of 4 problems, got %#v", err)
	}
}
