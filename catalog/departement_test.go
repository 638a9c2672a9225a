package catalog

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

// placesCatalog is validCatalog with départements: Versailles has two, one
// of them served by its own collège ENT, Paris has one.
func placesCatalog() *Catalog {
	c := validCatalog()
	c.Services = append(c.Services, Service{ID: "enc92", Name: "ENC 92", URL: "https://enc.hauts-de-seine.fr/", Levels: []status.Level{status.College}})
	c.Services[2].Departements = []string{"78"}
	c.Services[3].Departements = []string{"92"}
	c.Academies[0].Services = append(c.Academies[0].Services, "enc92")
	c.Academies[0].Departements = []Departement{{"78", "Yvelines"}, {"92", "Hauts-de-Seine"}}
	c.Academies[1].Departements = []Departement{{"75", "Paris"}}
	c.Academies = append(c.Academies, Academy{Slug: "la-reunion", Code: "28", Name: "La Réunion", Region: "La Réunion",
		Overseas: true, Timezone: "Indian/Reunion", Departements: []Departement{{"974", "La Réunion"}}})
	return c
}

func TestParsePlacesValid(t *testing.T) {
	c := mustParse(t, placesCatalog())
	a, _ := c.Academy("versailles")
	if a.Timezone != DefaultTimezone {
		t.Errorf("Timezone left out: got %q, want %q", a.Timezone, DefaultTimezone)
	}
}

func TestParseRejectsPlaces(t *testing.T) {
	testRejects(t, placesCatalog, []rejectCase{
		{"service département of another académie", func(c *Catalog) { c.Services[3].Departements = []string{"75"} },
			[]string{`services[3] (id "enc92"): departement "75": belongs to académie "paris", which does not list this service (listed by: versailles)`}},
		{"service département nobody has", func(c *Catalog) { c.Services[3].Departements = []string{"93"} },
			[]string{`services[3] (id "enc92"): departement "93": no académie has this département`}},
		{"service département listed twice", func(c *Catalog) { c.Services[3].Departements = []string{"92", "092"} },
			[]string{`departement "092": listed twice`}},
		{"national service narrowed", func(c *Catalog) { c.Services[0].Departements = []string{"92"} },
			[]string{`services[0] (id "lumni"): departements: a national service`}},
		{"duplicate département code", func(c *Catalog) {
			c.Academies[1].Departements = append(c.Academies[1].Departements, Departement{"92", "Paris bis"})
		},
			[]string{`academies[1] (slug "paris") departements[1]: code "92": duplicate of academies[0] (slug "versailles") departements[1]`}},
		{"duplicate département name", func(c *Catalog) { c.Academies[1].Departements[0].Name = "hauts de seine" },
			[]string{`academies[1] (slug "paris") departements[0]: name "hauts de seine": same name as academies[0] (slug "versailles") departements[1]`}},
		{"bad département code", func(c *Catalog) { c.Academies[1].Departements[0].Code = "7" },
			[]string{`code "7": must be a département number`}},
		{"département without name", func(c *Catalog) { c.Academies[1].Departements[0].Name = " " },
			[]string{`academies[1] (slug "paris") departements[0]: name: required`}},
		{"bad time zone", func(c *Catalog) { c.Academies[2].Timezone = "Indian/Reunionn" },
			[]string{`academies[2] (slug "la-reunion"): timezone "Indian/Reunionn": unknown time zone`}},
		{"machine's time zone", func(c *Catalog) { c.Academies[1].Timezone = "Local" },
			[]string{`academies[1] (slug "paris"): timezone "Local": must be an IANA name`}},
		{"overseas without time zone", func(c *Catalog) { c.Academies[2].Timezone = "" },
			[]string{`academies[2] (slug "la-reunion"): timezone: required for an overseas académie`}},
		{"vice-rectorat without time zone", func(c *Catalog) {
			c.Academies[2].Overseas, c.Academies[2].ViceRectorat, c.Academies[2].Timezone = false, true, ""
		},
			[]string{`academies[2] (slug "la-reunion"): timezone: required for an overseas académie or vice-rectorat`}},
	})
}

// TestParsePlacesAllAtOnce: place problems are reported with the others.
func TestParsePlacesAllAtOnce(t *testing.T) {
	c := placesCatalog()
	c.Services[3].Departements = []string{"75"}
	c.Academies[1].Departements = append(c.Academies[1].Departements, Departement{"78", "Yvelines bis"})
	c.Academies[2].Timezone = "Mars/Olympus"
	c.Services[1].URL = "htp:/x"
	_, err := Parse(marshal(t, c))
	if err == nil || !strings.Contains(err.Error(), "invalid (4 problems)") {
		t.Fatalf("want 4 problems at once, got %v", err)
	}
}

func serviceIDs(ss []Service) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// TestServicesForVersailles: a Yvelines family hears about the Yvelines
// collège ENT and not the Hauts-de-Seine one, the Hauts-de-Seine family the
// reverse, both about MonLycée.net and the national services, and the
// whole académie about everything.
func TestServicesForVersailles(t *testing.T) {
	c := mustDefault(t)
	national := serviceIDs(c.NationalServices())
	tests := []struct {
		deps     []string
		want     []string
		wantNot  []string
		wantSize int
	}{
		{[]string{"78"}, []string{"monlycee", "ecollege78"}, []string{"enc92", "moncollege91", "moncollege95"}, 2},
		{[]string{"92"}, []string{"monlycee", "enc92"}, []string{"ecollege78", "moncollege91", "moncollege95"}, 2},
		{[]string{"092", "95"}, []string{"monlycee", "enc92", "moncollege95"}, []string{"ecollege78", "moncollege91"}, 3},
		{nil, []string{"monlycee", "ecollege78", "moncollege91", "enc92", "moncollege95"}, nil, 5},
	}
	for _, tt := range tests {
		got := serviceIDs(c.ServicesFor("versailles", tt.deps))
		for _, id := range append(slices.Clone(tt.want), national...) {
			if !slices.Contains(got, id) {
				t.Errorf("ServicesFor(versailles, %v) = %v: lacks %s", tt.deps, got, id)
			}
		}
		for _, id := range tt.wantNot {
			if slices.Contains(got, id) {
				t.Errorf("ServicesFor(versailles, %v) = %v: has %s", tt.deps, got, id)
			}
		}
		if len(got) != tt.wantSize+len(national) {
			t.Errorf("ServicesFor(versailles, %v) = %v: want %d local and %d national", tt.deps, got, tt.wantSize, len(national))
		}
	}
	if got := c.ServicesFor("atlantide", nil); got != nil {
		t.Errorf("unknown académie: got %v, want nil", serviceIDs(got))
	}
}

func TestFindDepartement(t *testing.T) {
	c := mustDefault(t)
	tests := []struct{ q, code, academy string }{
		{"Hauts-de-Seine", "92", "versailles"},
		{"hauts de seine", "92", "versailles"},
		{"HAUTS DE SEINE", "92", "versailles"},
		{"département des Hauts-de-Seine", "92", "versailles"},
		{"92", "92", "versailles"},
		{"092", "92", "versailles"},
		{"974", "974", "la-reunion"},
		{"la reunion", "974", "la-reunion"},
		{"2A", "2A", "corse"},
		{"2b", "2B", "corse"},
		{"corse du sud", "2A", "corse"},
		{"Côtes-d’Armor", "22", "rennes"},
		{"cotes darmor", "22", "rennes"},
		{"Val d'Oise", "95", "versailles"},
		{"1", "01", "lyon"},
		{"24", "24", "bordeaux"},
	}
	for _, tt := range tests {
		d, a, ok := c.FindDepartement(tt.q)
		if !ok || d.Code != tt.code || a.Slug != tt.academy {
			t.Errorf("FindDepartement(%q) = %+v, %s, %v; want %s of %s", tt.q, d, a.Slug, ok, tt.code, tt.academy)
		}
	}
	for _, q := range []string{"", "75000", "2C", "Yvelinnes", "Créteil", "Seine", "00"} {
		if d, a, ok := c.FindDepartement(q); ok {
			t.Errorf("FindDepartement(%q) = %+v of %s, want no match", q, d, a.Slug)
		}
	}
	if d, a, ok := c.Departement("2a"); !ok || d.Name != "Corse-du-Sud" || a.Slug != "corse" {
		t.Errorf("Departement(2a) = %+v, %s, %v", d, a.Slug, ok)
	}
	if d, ok := mustAcademy(t, c, "versailles").Departement("78"); !ok || d.Name != "Yvelines" {
		t.Errorf("versailles.Departement(78) = %+v, %v", d, ok)
	}
	if _, ok := mustAcademy(t, c, "versailles").Departement("75"); ok {
		t.Error("versailles.Departement(75): found, Paris is not in Versailles")
	}
}

func mustAcademy(t *testing.T, c *Catalog, slug string) Academy {
	t.Helper()
	a, ok := c.Academy(slug)
	if !ok {
		t.Fatalf("Academy(%q): not found", slug)
	}
	return a
}

// TestLookupAmbiguous: « 24 » is the académie de Créteil first and the
// Dordogne second; « 92 » is only a département; « Versailles » only an
// académie; « Paris » both.
func TestLookupAmbiguous(t *testing.T) {
	c := mustDefault(t)
	str := func(ms []Match) []string {
		var out []string
		for _, m := range ms {
			s := m.Academy.Slug
			if m.IsDepartement() {
				s += "/" + m.Departement.Code
			}
			out = append(out, s)
		}
		return out
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"24", []string{"creteil", "bordeaux/24"}},
		{"92", []string{"versailles/92"}},
		{"Versailles", []string{"versailles"}},
		{"paris", []string{"paris", "paris/75"}},
		{"hauts-de-seine", []string{"versailles/92"}},
		{"atlantide", nil},
	}
	for _, tt := range tests {
		if got := str(c.Lookup(tt.q)); !slices.Equal(got, tt.want) {
			t.Errorf("Lookup(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestSuggestDepartement(t *testing.T) {
	c := mustDefault(t)
	for q, want := range map[string]string{"hauts de seines": "92", "yvelinnes": "78", "finistère": "29", "seine saint": "93", "seine-et-marn": "77"} {
		if d, _, ok := c.SuggestDepartement(q); !ok || d.Code != want {
			t.Errorf("SuggestDepartement(%q) = %+v, %v; want %s", q, d, ok, want)
		}
	}
	for _, q := range []string{"ab", "999", "seine", "zzzzzzzz"} {
		if d, _, ok := c.SuggestDepartement(q); ok {
			t.Errorf("SuggestDepartement(%q) = %+v, want none", q, d)
		}
	}
}

func TestLocation(t *testing.T) {
	c := mustDefault(t)
	at := time.Date(2026, 12, 7, 6, 32, 0, 0, time.UTC)
	for slug, want := range map[string]string{"la-reunion": "10:32", "paris": "07:32", "nouvelle-caledonie": "17:32", "polynesie-francaise": "20:32"} {
		loc := mustAcademy(t, c, slug).Location()
		if got := at.In(loc).Format("15:04"); got != want {
			t.Errorf("%s: %s UTC is %s local (%s), want %s", slug, at.Format("15:04"), got, loc, want)
		}
	}
	if got := mustAcademy(t, c, "la-reunion").Location().String(); got != "Indian/Reunion" {
		t.Errorf("la-reunion Location: %s, want Indian/Reunion", got)
	}
	if got := mustAcademy(t, c, "paris").Location().String(); got != "Europe/Paris" {
		t.Errorf("paris Location: %s, want Europe/Paris", got)
	}
	if got := (Academy{}).Location().String(); got != "Europe/Paris" {
		t.Errorf("hand-built Academy without zone: %s, want Europe/Paris", got)
	}
	if got := (Academy{Timezone: "Pacific/Tahiti"}).Location().String(); got != "Pacific/Tahiti" {
		t.Errorf("hand-built Academy with zone: %s, want Pacific/Tahiti", got)
	}
	if got := (Academy{Timezone: "Mars/Olympus"}).Location().String(); got != "Europe/Paris" {
		t.Errorf("hand-built Academy with an unknown zone: %s, want Europe/Paris", got)
	}
}

// TestDefaultLocation: Paris, loaded once and shared.
func TestDefaultLocation(t *testing.T) {
	loc := DefaultLocation()
	if loc.String() != DefaultTimezone {
		t.Errorf("DefaultLocation() = %s, want %s", loc, DefaultTimezone)
	}
	if DefaultLocation() != loc {
		t.Error("DefaultLocation() loaded the zone again")
	}
	if got := time.Date(2021, 4, 6, 5, 30, 0, 0, time.UTC).In(loc).Format("15:04"); got != "07:30" {
		t.Errorf("6 April 2021 5:30 UTC is %s in DefaultLocation, want 07:30", got)
	}
}

// TestDefaultDepartementsMatchResearch: every département of
// departements.json is in the embedded catalog under its académie, with its
// name, every académie has the time zone given there, and no académie has a
// département the file does not give it.
func TestDefaultDepartementsMatchResearch(t *testing.T) {
	data, err := os.ReadFile("../../shared/data/departements.json")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("../../shared/data/departements.json not found: shared/ must sit beside the repository clone")
	}
	if err != nil {
		t.Fatal(err)
	}
	var research struct {
		Overseas  map[string]string `json:"overseas_territories_timezones"`
		Academies []struct {
			Slug, Timezone string
			Departements   []Departement
		}
	}
	if err := json.Unmarshal(data, &research); err != nil {
		t.Fatalf("departements.json: %v", err)
	}
	c := mustDefault(t)
	n := 0
	want := map[string]int{}
	for _, ra := range research.Academies {
		a := mustAcademy(t, c, ra.Slug)
		if a.Timezone != ra.Timezone {
			t.Errorf("%s: timezone %q, want %q", ra.Slug, a.Timezone, ra.Timezone)
		}
		want[ra.Slug] = len(ra.Departements)
		for _, rd := range ra.Departements {
			n++
			d, da, ok := c.Departement(rd.Code)
			switch {
			case !ok:
				t.Errorf("département %s %s: not in the catalog", rd.Code, rd.Name)
			case da.Slug != ra.Slug || d != rd:
				t.Errorf("département %s %s: catalog has %+v under %s, want under %s", rd.Code, rd.Name, d, da.Slug, ra.Slug)
			}
		}
	}
	if n != 101 {
		t.Errorf("departements.json: %d départements, want 101", n)
	}
	for slug, tz := range research.Overseas {
		if got := mustAcademy(t, c, slug).Timezone; got != tz {
			t.Errorf("%s: timezone %q, want %q", slug, got, tz)
		}
	}
	for _, a := range c.Academies {
		if got := len(a.Departements); got != want[a.Slug] {
			t.Errorf("%s: %d départements in the catalog, %d in departements.json", a.Slug, got, want[a.Slug])
		}
	}
}

// TestDefaultLocalServices: the collège and école ENTs run by one
// département serve only it, so that a family narrowed to another
// département does not hear about them.
func TestDefaultLocalServices(t *testing.T) {
	c := mustDefault(t)
	for id, code := range map[string]string{
		"ecollege78": "78", "moncollege91": "91", "enc92": "92", "moncollege95": "95",
		"ent77": "77", "webcollege93": "93", "ent94": "94",
		"eduprovence": "13", "aucollege84": "84", "ent04": "04", "ent05": "05",
		"agora06": "06", "ent-var": "83", "cybercolleges42": "42", "laclasse": "69",
		"ecollege31": "31", "ent16": "16", "entcreuse": "23", "ariane57": "57", "panda88": "88",
		"arsene76": "76", "ent27": "27",
	} {
		s, ok := c.Service(id)
		if !ok {
			t.Errorf("%s: not in the catalog", id)
			continue
		}
		if !slices.Equal(s.Departements, []string{code}) {
			t.Errorf("%s: départements %v, want [%s]", id, s.Departements, code)
		}
	}
	for _, id := range []string{"monlycee", "enthdf", "ent-aura", "educdenormandie", "lyceeconnecte", "atrium"} {
		if s, _ := c.Service(id); s.Local() {
			t.Errorf("%s: narrowed to %v, want académie-wide", id, s.Departements)
		}
	}
}
