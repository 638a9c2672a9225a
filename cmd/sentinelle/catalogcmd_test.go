package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// clockAt writes a fake clock file set to instant (RFC 3339) and returns
// its path, so that `sentinelle catalog` judges the sources' age on a
// known day.
func clockAt(t *testing.T, instant string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clock")
	if err := os.WriteFile(path, []byte(instant), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCatalogCommandEmbedded: on 7 December 2026 the embedded catalog lists
// each service with its « incertain » flag, its départements when it has
// some and the day its source was checked, each overseas académie with its
// time zone (Paris's is not repeated), and warns about nothing.
func TestCatalogCommandEmbedded(t *testing.T) {
	var out, errb bytes.Buffer
	env := envOf(map[string]string{"SENTINELLE_FAKE_CLOCK_FILE": clockAt(t, "2026-12-07T09:00:00+01:00")})
	if code := run(context.Background(), []string{"sentinelle", "catalog"}, env, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if errb.Len() != 0 {
		t.Errorf("warnings on the embedded catalog:\n%s", errb.String())
	}
	for _, re := range []string{
		`(?m)^  educonnect +EduConnect +2026-12-07 https://educonnect\.education\.gouv\.fr national$`,
		`(?m)^  apps-education +.* \d{4}-\d\d-\d\d https://portail\.apps\.education\.fr national incertain$`,
		`(?m)^  enc92 +.* \d{4}-\d\d-\d\d https://enc\.hauts-de-seine\.fr/ incertain départements 92$`,
		`(?m)^  monlycee +.* \d{4}-\d\d-\d\d https://ent\.iledefrance\.fr$`,
		`(?m)^  la-reunion +28 +La Réunion +zone Réunion +\[ent1d-reunion\] fuseau Indian/Reunion$`,
		`(?m)^  nouvelle-caledonie +.* \(vice-rectorat\) fuseau Pacific/Noumea$`,
		`(?m)^  versailles +25 +Versailles +zone C +\[monlycee ecollege78 moncollege91 enc92 moncollege95\]$`,
		`(?m)^  college +Lumni collège +\d{4}-\d\d-\d\d https://www\.lumni\.fr/college$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output lacks a line matching %s:\n%s", re, out.String())
		}
	}
	if strings.Contains(out.String(), "sans source") {
		t.Errorf("an embedded entry has no source:\n%s", out.String())
	}
}

// TestCatalogCommandWarnsOldSources: a source checked before the school
// year two years back (1 September 2024 on 7 December 2026) and a missing
// source are warned about on stderr, naming the entry; a source of
// 1 September 2024 is not; an alternative past its until: is shown as
// ended and not warned about. Warnings do not fail the command.
func TestCatalogCommandWarnsOldSources(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	catalogText := `
alternatives:
  college:
    - {name: "Lumni collège", url: "https://www.lumni.fr/college", service: lumni,
       source: {ref: "https://www.lumni.fr/college", checked: 2023-05-10}}
    - {name: "France 4", url: "https://www.france.tv/france-4/direct.html", until: 2021-04-30,
       source: {ref: "education-data.md W15", checked: 2021-04-05}}
services:
  - {id: lumni, name: Lumni, url: "https://www.lumni.fr", levels: [college], national: true,
     source: {ref: "https://enseignants.lumni.fr/annexe/centre-d-aide", checked: 2024-09-01}}
  - {id: vieux, name: "Vieil ENT", url: "https://ent.example.fr", levels: [college], unsure: true,
     source: {ref: "bugsounet/pronote-api README.md @29ea4ca", checked: 2024-08-31}}
  - {id: muet, name: "ENT sans source", url: "https://muet.example.fr", levels: [college]}
academies:
  - {slug: paris, code: "01", name: Paris, region: Île-de-France, services: [vieux, muet]}
`
	if err := os.WriteFile(path, []byte(catalogText), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	env := envOf(map[string]string{"CATALOG_FILE": path, "SENTINELLE_FAKE_CLOCK_FILE": clockAt(t, "2026-12-07T09:00:00+01:00")})
	if code := run(context.Background(), []string{"sentinelle", "catalog"}, env, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	warnings := errb.String()
	for _, want := range []string{
		`service "vieux" : source vérifiée le 2024-08-31, avant le 2024-09-01 (plus de deux années scolaires) : bugsounet/pronote-api README.md @29ea4ca`,
		`service "muet" : aucune source`,
		`alternative college "Lumni collège" : source vérifiée le 2023-05-10`,
		"3 source(s) à revérifier",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("stderr lacks %q:\n%s", want, warnings)
		}
	}
	for _, notWanted := range []string{`service "lumni"`, "France 4"} {
		if strings.Contains(warnings, notWanted) {
			t.Errorf("stderr warns about %s:\n%s", notWanted, warnings)
		}
	}
	for _, re := range []string{
		`(?m)^  vieux +Vieil ENT +2024-08-31 https://ent\.example\.fr incertain$`,
		`(?m)^  muet +ENT sans source +sans source https://muet\.example\.fr$`,
		`(?m)^  college +France 4 +2021-04-05 https://www\.france\.tv/france-4/direct\.html \(terminée le 2021-04-30, plus proposée\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output lacks a line matching %s:\n%s", re, out.String())
		}
	}
}
