package main

import (
	"fmt"
	"io"

	"github.com/robfig/cron/v3"

	"sentinelle/catalog"
)

func cronParse(spec string) (cron.Schedule, error) { return cron.ParseStandard(spec) }

// printCatalog validates the catalog and lists académies and services.
func printCatalog(cfg Config, stdout, stderr io.Writer) int {
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : catalogue invalide :\n%v\n", err)
		return 1
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
			fmt.Fprintf(stdout, "  %-20s %-4s %-22s zone %-12s %v%s\n", a.Slug, a.Code, a.Name, a.Zone, a.Services, mark)
		}
	}
	fmt.Fprintln(stdout, "\nServices")
	for _, s := range cat.Services {
		flags := ""
		if s.National {
			flags += " national"
		}
		if s.Unsure {
			flags += " incertain"
		}
		fmt.Fprintf(stdout, "  %-22s %-40s %s%s\n", s.ID, s.Name, s.URL, flags)
	}
	return 0
}
