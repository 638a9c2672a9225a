package catalog

import (
	"testing"

	"sentinelle/status"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"accents and case", "Créteil", "creteil"},
		{"upper accents", "LYCÉE ÉCOLE À", "lycee ecole a"},
		{"hyphen", "Orléans-Tours", "orleans tours"},
		{"apostrophes", "Provence-Alpes-Côte d'Azur l’accès", "provence alpes cote d azur l acces"},
		{"ligatures", "Œuvre cœur Æsop straße", "oeuvre coeur aesop strasse"},
		{"cedilla and diaeresis", "Besançon Noël naïf", "besancon noel naif"},
		{"collapse and trim", "  --Aix   Marseille!! ", "aix marseille"},
		{"digits kept", "Zone C, code 024", "zone c code 024"},
		{"other scripts separate", "paris東京lyon", "paris lyon"},
		{"only punctuation", "…-'’ ", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in     string
		want   status.Level
		wantOK bool
	}{
		{"primaire", status.Primaire, true},
		{"Primaire", status.Primaire, true},
		{"ecole", status.Primaire, true},
		{"École", status.Primaire, true},
		{"école primaire", status.Primaire, true},
		{"college", status.College, true},
		{"Collège", status.College, true},
		{"COLLÈGE", status.College, true},
		{"lycée", status.Lycee, true},
		{"LYCÉE", status.Lycee, true},
		{" lycee ", status.Lycee, true},
		{"lycees", status.Lycee, true},
		{"", "", false},
		{"fac", "", false},
		{"collège lycée", "", false},
		{"maternelle", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseLevel(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseLevel(%q): got %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestFind(t *testing.T) {
	c := mustDefault(t)
	testLookup(t, "Find", c.Find, slugOf, []lookupCase{
		{"Créteil", "creteil"},
		{"creteil", "creteil"},
		{"CRETEIL", "creteil"},
		{"24", "creteil"},
		{"024", "creteil"},
		{"1", "paris"},
		{"01", "paris"},
		{"70", "normandie"},
		{"Aix Marseille", "aix-marseille"},
		{"aix-marseille", "aix-marseille"},
		{"aixmarseille", "aix-marseille"},
		{"la reunion", "la-reunion"},
		{"La Réunion", "la-reunion"},
		{"Réunion", "la-reunion"},
		{"Orléans-Tours", "orleans-tours"},
		{"orleans tours", "orleans-tours"},
		{"clermont", "clermont-ferrand"},
		{"Rouen", "normandie"},
		{"Caen", "normandie"},
		{"Académie de Créteil", "creteil"},
		{"académie d'Aix-Marseille", "aix-marseille"},
		{"ac-versailles", "versailles"},
		{"Polynésie", "polynesie-francaise"},
		{"Saint Pierre et Miquelon", "saint-pierre-et-miquelon"},
		{"  paris  ", "paris"},
		{"", ""},
		{"creteuil", ""},
		{"99", ""},
		{"académie", ""},
		{"île-de-france", ""},
	})
}

func TestSuggest(t *testing.T) {
	c := mustDefault(t)
	testLookup(t, "Suggest", c.Suggest, slugOf, []lookupCase{
		{"creteuil", "creteil"},
		{"versaille", "versailles"},
		{"versaile", "versailles"},
		{"Créteil", "creteil"},
		{"bordeau", "bordeaux"},
		{"lyom", "lyon"},
		{"grneoble", "grenoble"},
		{"clermont ferand", "clermont-ferrand"},
		{"académie de strasbour", "strasbourg"},
		{"montpel", "montpellier"},
		{"guadeloup", "guadeloupe"},
		{"martiniqe", "martinique"},
		{"pa", ""},
		{"xyz", ""},
		{"bonjour", ""},
		{"12345", ""},
		{"nouvelle", "nouvelle-caledonie"},
		{"", ""},
	})
}

func TestSuggestTie(t *testing.T) {
	c := validCatalog()
	c.Academies = append(c.Academies,
		Academy{Slug: "lyon", Code: "10", Name: "Lyon", Region: "Auvergne-Rhône-Alpes"},
		Academy{Slug: "lion", Code: "98", Name: "Lion", Region: "Test"},
	)
	if a, ok := mustParse(t, c).Suggest("lon"); ok {
		t.Errorf("Suggest(lon) with lyon and lion: got %q, want no suggestion", a.Slug)
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"creteil", "creteil", 0},
		{"creteuil", "creteil", 1},
		{"versaille", "versailles", 1},
		{"lyno", "lyon", 1},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := distance(tt.a, tt.b); got != tt.want {
				t.Errorf("distance(%q, %q): got %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
