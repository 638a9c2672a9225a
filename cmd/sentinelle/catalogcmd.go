package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"sentinelle/catalog"
	"sentinelle/status"
)

func cronParse(spec string) (cron.Schedule, error) { return cron.ParseStandard(spec) }

// printCatalog validates the catalog and lists académies, services and
// alternatives, each académie with its time zone when it is not Paris's,
// each service with its « incertain » flag, the départements it is limited
// to and the day its source was checked. It warns, on stderr, about every source missing or
// checked before the school year two years back (catalog.StaleBefore): the
// académie staff re-read those and update the catalog. Warnings do not
// change the exit code: the catalog is valid, only ageing.
func printCatalog(cfg Config, stdout, stderr io.Writer) int {
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : catalogue invalide :\n%v\n", err)
		return 1
	}
	now := time.Now()
	if cfg.FakeClockFile != "" {
		if clock, err := openFakeClock(cfg.FakeClockFile); err == nil {
			now = clock.Now()
		}
	}
	src := "intégré"
	if cfg.CatalogFile != "" {
		src = cfg.CatalogFile
	}
	vr := 0
	for _, a := range cat.Academies {
		if a.ViceRectorat {
			vr++
		}
	}
	fmt.Fprintf(stdout, "Catalogue %s : %d académies (+ %d vice-rectorats), %d services.\n",
		src, len(cat.Academies)-vr, vr, len(cat.Services))
	for _, region := range cat.Regions() {
		fmt.Fprintf(stdout, "\n%s\n", region)
		for _, a := range cat.AcademiesIn(region) {
			mark := ""
			if a.ViceRectorat {
				mark = " (vice-rectorat)"
			}
			if a.Timezone != catalog.DefaultTimezone {
				mark += " fuseau " + a.Timezone
			}
			fmt.Fprintf(stdout, "  %-20s %-4s %-22s zone %-12s %v%s\n", a.Slug, a.Code, a.Name, a.Zone, a.Services, mark)
		}
	}
	var warnings []string
	stale := catalog.StaleBefore(now)
	warn := func(what string, s catalog.Source) {
		switch {
		case s.Checked.IsZero():
			warnings = append(warnings, fmt.Sprintf("%s : aucune source (source: {ref: …, checked: AAAA-MM-JJ})", what))
		case s.Stale(now):
			warnings = append(warnings, fmt.Sprintf("%s : source vérifiée le %s, avant le %s (plus de deux années scolaires) : %s",
				what, s.Checked, stale, s.Ref))
		}
	}
	fmt.Fprintln(stdout, "\nServices (source vérifiée le)")
	for _, s := range cat.Services {
		flags := ""
		if s.National {
			flags += " national"
		}
		if s.Unsure {
			flags += " incertain"
		}
		if s.Local() {
			flags += " départements " + strings.Join(s.Departements, ",")
		}
		fmt.Fprintf(stdout, "  %-22s %-40s %-10s %s%s\n", s.ID, s.Name, sourceDay(s.Source), s.URL, flags)
		warn(fmt.Sprintf("service %q", s.ID), s.Source)
	}
	fmt.Fprintln(stdout, "\nAlternatives (source vérifiée le)")
	for _, l := range status.AllLevels() {
		for _, a := range cat.Alternatives[l] {
			until := ""
			switch {
			case a.Expired(now):
				until = fmt.Sprintf(" (terminée le %s, plus proposée)", a.Until)
			case !a.Until.IsZero():
				until = fmt.Sprintf(" (jusqu'au %s)", a.Until)
			}
			fmt.Fprintf(stdout, "  %-9s %-40s %-10s %s%s\n", l, a.Name, sourceDay(a.Source), a.URL, until)
			if !a.Expired(now) {
				warn(fmt.Sprintf("alternative %s %q", l, a.Name), a.Source)
			}
		}
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "sentinelle : attention : %s\n", w)
	}
	if len(warnings) > 0 {
		fmt.Fprintf(stderr, "sentinelle : %d source(s) à revérifier (voir README, section Catalog).\n", len(warnings))
	}
	return 0
}

// sourceDay is the day a source was checked, or « sans source ».
func sourceDay(s catalog.Source) string {
	if s.Checked.IsZero() {
		return "sans source"
	}
	return s.Checked.String()
}
