package catalog

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

func mustDefault(t testing.TB) *Catalog {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default() error: %v", err)
	}
	return c
}

func slugs(as []Academy) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Slug
	}
	return out
}

func TestDefaultAcademies(t *testing.T) {
	c := mustDefault(t)
	var academies, vice []string
	for _, a := range c.Academies {
		if a.ViceRectorat {
			vice = append(vice, a.Slug)
			continue
		}
		academies = append(academies, a.Slug)
	}
	if got, want := len(academies), 30; got != want {
		t.Errorf("académies (not vice-rectorats): got %d, want %d: %v", got, want, academies)
	}
	slices.Sort(vice)
	if got, want := vice, []string{"nouvelle-caledonie", "polynesie-francaise", "saint-pierre-et-miquelon", "wallis-et-futuna"}; !slices.Equal(got, want) {
		t.Errorf("vice-rectorats: got %v, want %v", got, want)
	}
	for _, a := range c.Academies {
		if a.Region == "" || a.Zone == "" {
			t.Errorf("%s: region %q, zone %q: want both set", a.Slug, a.Region, a.Zone)
		}
		if a.ViceRectorat && !a.Overseas {
			t.Errorf("%s: vice-rectorat not marked overseas", a.Slug)
		}
	}
}

func TestDefaultCodes(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		slug, code, name, region string
		overseas                 bool
	}{
		{"paris", "01", "Paris", "Île-de-France", false},
		{"creteil", "24", "Créteil", "Île-de-France", false},
		{"versailles", "25", "Versailles", "Île-de-France", false},
		{"normandie", "70", "Normandie", "Normandie", false},
		{"corse", "27", "Corse", "Corse", false},
		{"mayotte", "43", "Mayotte", "Mayotte", true},
		{"la-reunion", "28", "La Réunion", "La Réunion", true},
		{"clermont-ferrand", "06", "Clermont-Ferrand", "Auvergne-Rhône-Alpes", false},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			a, ok := c.Academy(tt.slug)
			if !ok {
				t.Fatalf("Academy(%q): not found", tt.slug)
			}
			if a.Code != tt.code || a.Name != tt.name || a.Region != tt.region || a.Overseas != tt.overseas {
				t.Errorf("got code %q name %q region %q overseas %v, want %q %q %q %v",
					a.Code, a.Name, a.Region, a.Overseas, tt.code, tt.name, tt.region, tt.overseas)
			}
		})
	}
}

func TestDefaultSharedServices(t *testing.T) {
	c := mustDefault(t)
	testSlugs(t, "AcademiesOf", c.AcademiesOf, []slugsCase{
		{"monlycee", []string{"creteil", "paris", "versailles"}},
		{"enthdf", []string{"amiens", "lille"}},
		{"monbureaunumerique", []string{"nancy-metz", "reims", "strasbourg"}},
		{"eclat-bfc", []string{"besancon", "dijon"}},
		{"ent-aura", []string{"clermont-ferrand", "grenoble", "lyon"}},
		{"mon-ent-occitanie", []string{"montpellier", "toulouse"}},
		{"lyceeconnecte", []string{"bordeaux", "limoges", "poitiers"}},
		{"atrium", []string{"aix-marseille", "nice"}},
		{"educdenormandie", []string{"normandie", "saint-pierre-et-miquelon"}},
		{"lumni", nil},
	})
	for _, s := range c.Services {
		if n := len(c.AcademiesOf(s.ID)); !s.National && n == 0 {
			t.Errorf("service %q: used by no académie", s.ID)
		}
	}
}

func TestDefaultNational(t *testing.T) {
	c := mustDefault(t)
	want := map[string][]status.Level{
		"educonnect":     {status.Primaire, status.College, status.Lycee},
		"apps-education": {status.Primaire, status.College, status.Lycee},
		"lumni":          {status.Primaire, status.College, status.Lycee},
	}
	got := map[string][]status.Level{}
	for _, s := range c.NationalServices() {
		got[s.ID] = s.Levels
	}
	if len(got) != len(want) {
		t.Errorf("national services: got %v, want %v", got, want)
	}
	for id, levels := range want {
		if !slices.Equal(got[id], levels) {
			t.Errorf("national %q levels: got %v, want %v", id, got[id], levels)
		}
	}
}

// today is the day the embedded catalog describes (school year 2026-2027).
var today = time.Date(2026, time.December, 7, 9, 0, 0, 0, time.UTC)

// TestDefaultIsToday: what was gone by the 2026-2027 school year is not in
// the embedded catalog any more (it lives on in testdata/catalog-2021.yaml
// for the replay of 6 April 2021).
func TestDefaultIsToday(t *testing.T) {
	c := mustDefault(t)
	gone := map[string]string{
		"cned-ecole":          "« Ma classe à la maison » replaced by « Classe virtuelle » in Sept 2022",
		"cned-college":        "« Ma classe à la maison » replaced by « Classe virtuelle » in Sept 2022",
		"cned-lycee":          "« Ma classe à la maison » replaced by « Classe virtuelle » in Sept 2022",
		"itslearning-caen":    "one Normandie ENT from Sept 2021",
		"nero":                "one Normandie ENT from Sept 2021",
		"entsomme":            "merged into the ENT Hauts-de-France",
		"savoirsnumeriques62": "merged into the ENT Hauts-de-France",
		"neo-guadeloupe":      "old opendigitaleducation.com host; Guadeloupe's ENT is Karukera",
	}
	for id, why := range gone {
		if _, ok := c.Service(id); ok {
			t.Errorf("service %q still in the catalog: %s", id, why)
		}
	}
	for _, s := range c.Services {
		for _, old := range []string{"cned.fr", "itslearning.com", "entsomme.fr", "savoirsnumeriques62.fr", "opendigitaleducation.com"} {
			if strings.Contains(s.URL, old) {
				t.Errorf("service %q: URL %s is a 2021 platform's", s.ID, s.URL)
			}
		}
	}
	if s, ok := c.Service("educdenormandie"); !ok || !slices.Equal(sortedLevels(s.Levels), sortedLevels(status.AllLevels())) {
		t.Errorf("educdenormandie: got %+v, want the one Normandie ENT for every level", s)
	}
}

// TestDefaultSources: every service and alternative of the embedded catalog
// says where it comes from, and no source is older than two school years,
// so that `sentinelle catalog` prints no warning.
func TestDefaultSources(t *testing.T) {
	c := mustDefault(t)
	for _, s := range c.Services {
		if strings.TrimSpace(s.Source.Ref) == "" || s.Source.Stale(today) {
			t.Errorf("service %q: source %+v: want a ref checked since %s", s.ID, s.Source, StaleBefore(today))
		}
		if s.Unsure && strings.TrimSpace(s.Note) == "" {
			t.Errorf("service %q: unsure without a note saying why", s.ID)
		}
	}
	for _, l := range status.AllLevels() {
		for _, a := range c.Alternatives[l] {
			if strings.TrimSpace(a.Source.Ref) == "" || a.Source.Stale(today) {
				t.Errorf("alternative %s %q: source %+v: want a ref checked since %s", l, a.Name, a.Source, StaleBefore(today))
			}
		}
	}
}

func TestDefaultAlternatives(t *testing.T) {
	c := mustDefault(t)
	for _, l := range status.AllLevels() {
		t.Run(string(l), func(t *testing.T) {
			alts := c.AlternativesFor(l, today, nil)
			if len(alts) != len(c.Alternatives[l]) {
				t.Errorf("got %d alternatives today, want all %d: none may have expired", len(alts), len(c.Alternatives[l]))
			}
			if len(alts) == 0 || alts[0].Service != "lumni" || alts[0].URL != "https://www.lumni.fr/"+string(l) {
				t.Fatalf("first alternative: got %+v, want Lumni's level page", alts)
			}
			for _, a := range alts {
				if a.Service == "" {
					t.Errorf("alternative %q: no service, so it would be offered even while it is down", a.Name)
				}
				for _, old := range []string{"France 4", "CNED", "2021", "Ma classe"} {
					if strings.Contains(a.Name+a.Description, old) {
						t.Errorf("alternative %q: %q describes 2021", a.Name, old)
					}
				}
			}
		})
	}
}

// load2021 parses the catalog of the morning of 6 April 2021, the embedded
// catalog until the 2026-2027 school year, kept for the replay.
func load2021(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load(filepath.Join("testdata", "catalog-2021.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalog2021MatchesResearch cross-checks the 2021 catalog with the
// research file it was built from: every ENT URL is a service of its
// académie, with the same levels, vendor and unsure flag. The research file
// describes that morning, not today, so it is not compared with Default.
func TestCatalog2021MatchesResearch(t *testing.T) {
	data, err := os.ReadFile("../../shared/data/academies.json")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("../../shared/data/academies.json not found: shared/ must sit beside the repository clone")
	}
	if err != nil {
		t.Fatal(err)
	}
	var research []struct {
		Code, Slug, Name, Zone string
		Region                 *string `json:"region_academique"`
		ENT                    []struct {
			Name, URL string
			Vendor    *string
			Levels    []string
			Unsure    bool
		}
	}
	if err := json.Unmarshal(data, &research); err != nil {
		t.Fatalf("academies.json: %v", err)
	}
	c := load2021(t)
	if got, want := len(c.Academies), len(research); got != want {
		t.Errorf("académies: got %d, want %d as in academies.json", got, want)
	}
	unsure := map[string][]bool{} // URL -> unsure flags of every entry
	for _, r := range research {
		a, ok := c.Academy(r.Slug)
		if !ok {
			t.Errorf("%s: missing from the catalog", r.Slug)
			continue
		}
		if a.Code != r.Code || Normalize(a.Name) != Normalize(r.Name) || a.Zone != r.Zone {
			t.Errorf("%s: got code %q name %q zone %q, want %q %q %q", r.Slug, a.Code, a.Name, a.Zone, r.Code, r.Name, r.Zone)
		}
		if r.Region != nil && a.Region != *r.Region {
			t.Errorf("%s: region: got %q, want %q", r.Slug, a.Region, *r.Region)
		}
		for _, e := range r.ENT {
			unsure[e.URL] = append(unsure[e.URL], e.Unsure)
			s, ok := serviceByURL(c.ServicesOf(r.Slug), e.URL)
			if !ok {
				t.Errorf("%s: ENT %q (%s): no service of the académie has this URL", r.Slug, e.Name, e.URL)
				continue
			}
			if e.Vendor != nil && s.Vendor != *e.Vendor {
				t.Errorf("%s: vendor: got %q, want %q", s.ID, s.Vendor, *e.Vendor)
			}
			if e.Levels != nil && !slices.Equal(sortedLevels(s.Levels), parseLevels(t, e.Levels)) {
				t.Errorf("%s: levels: got %v, want %v", s.ID, s.Levels, e.Levels)
			}
		}
	}
	for u, flags := range unsure {
		s, _ := serviceByURL(c.Services, u)
		all, none := !slices.Contains(flags, false), !slices.Contains(flags, true)
		if (all && !s.Unsure) || (none && s.Unsure) {
			t.Errorf("%s: unsure: got %v, want %v as in academies.json", s.ID, s.Unsure, flags)
		}
	}
}

func serviceByURL(services []Service, u string) (Service, bool) {
	for _, s := range services {
		if s.URL == u {
			return s, true
		}
	}
	return Service{}, false
}

func parseLevels(t *testing.T, raw []string) []status.Level {
	t.Helper()
	var out []status.Level
	for _, r := range raw {
		l, ok := ParseLevel(r)
		if !ok {
			t.Fatalf("academies.json level %q: not a level", r)
		}
		out = append(out, l)
	}
	return sortedLevels(out)
}

func sortedLevels(ls []status.Level) []status.Level {
	out := slices.Clone(ls)
	slices.Sort(out)
	return out
}

func TestDefaultMarkers(t *testing.T) {
	c := mustDefault(t)
	for _, m := range c.WaitingRoomMarkers {
		if words := strings.Fields(Normalize(m)); len(words) < 2 {
			t.Errorf("marker %q: %d word(s), want at least 2 to stay specific", m, len(words))
		}
	}
	// That they catch the texts of 2021 and 2020 is checked against the
	// checker's matcher (checker.TestDefaultMarkersCatch2021).
}
