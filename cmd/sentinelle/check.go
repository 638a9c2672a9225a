package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sentinelle/catalog"
	"sentinelle/checker"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// checkRow is one line of `sentinelle check --json`. The field names are a
// contract with the scripts that read it: extend, never rename.
type checkRow struct {
	Service    string        `json:"service"`
	Name       string        `json:"name"`
	URL        string        `json:"url"`
	Academies  []string      `json:"academies"`
	State      status.State  `json:"state"`
	Reason     status.Reason `json:"reason"`
	HTTPStatus int           `json:"http_status"`
	LatencyMS  int64         `json:"latency_ms"`
	// Verified is false when the service's database says it was never
	// seen up at its catalog URL (a catalog problem, not an outage);
	// absent otherwise, or without a database.
	Verified *bool `json:"verified,omitempty"`
}

// runCheck is `sentinelle check [--json] [académie…]`: one round now,
// against the configured catalog, with the same probe and judgement as the
// service, printed as a table or as JSON. It sends nothing, and only
// reads the service's database (PostgreSQL at DATABASE_URL, else the
// SQLite file at DATABASE_PATH, when there is one) to mark the services
// it never saw up. Without académie it checks every service;
// with académies, their own services plus the national ones (CNED,
// EduConnect, Lumni), which concern their families too. Exit 0 whatever the states, 2 on a bad
// configuration, command line or académie.
func runCheck(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	asJSON, names, help, err := parseCheckArgs(args)
	if help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err != nil {
		return badUsage(stderr, err.Error())
	}
	cfg, ok := loadConfig(lookupEnv, stderr)
	if !ok {
		return 2
	}
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : catalogue invalide :\n%v\n", err)
		return 2
	}
	services, err := selectServices(cat, names)
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : %v\n", err)
		return 2
	}
	probe := checker.NewProbe(checker.ProbeOptions{
		Timeout:   cfg.CheckTimeout,
		UserAgent: checker.UserAgent(buildVersion(), cfg.PublicURL),
	})
	results := probe.CheckAll(ctx, cat, services, cfg.CheckConcurrency)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "sentinelle : vérification interrompue")
		return 1
	}
	rows := checkRows(cat, services, results)
	markUnverified(ctx, rows, cfg, stderr)
	if asJSON {
		return printCheckJSON(rows, stdout, stderr)
	}
	printCheckTable(rows, stdout)
	return 0
}

// parseCheckArgs accepts --json anywhere among the académies.
func parseCheckArgs(args []string) (asJSON bool, names []string, help bool, err error) {
	for _, a := range args {
		switch {
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "-h" || a == "-help" || a == "--help":
			return false, nil, true, nil
		case strings.HasPrefix(a, "-"):
			return false, nil, false, fmt.Errorf("option inconnue de check : %s", a)
		default:
			names = append(names, a)
		}
	}
	return asJSON, names, false, nil
}

// selectServices returns the services to check, in catalog order: all of
// them without names, else the named académies' own services and the
// national ones. An unknown académie is an error naming it, with the
// académie it most likely meant.
func selectServices(cat *catalog.Catalog, names []string) ([]catalog.Service, error) {
	if len(names) == 0 {
		return cat.Services, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		a, ok := cat.Find(n)
		if !ok {
			if s, ok := cat.Suggest(n); ok {
				return nil, fmt.Errorf("académie inconnue : « %s » (vouliez-vous dire « %s » ?)", n, s.Name)
			}
			return nil, fmt.Errorf("académie inconnue : « %s » (sentinelle catalog les liste toutes)", n)
		}
		for _, id := range a.Services {
			want[id] = true
		}
	}
	var out []catalog.Service
	for _, s := range cat.Services {
		if s.National || want[s.ID] {
			out = append(out, s)
		}
	}
	return out, nil
}

func checkRows(cat *catalog.Catalog, services []catalog.Service, results []checker.Result) []checkRow {
	rows := make([]checkRow, len(services))
	for i, s := range services {
		r := results[i]
		acads := []string{}
		for _, a := range cat.AcademiesOf(s.ID) {
			acads = append(acads, a.Slug)
		}
		rows[i] = checkRow{Service: s.ID, Name: s.Name, URL: s.URL, Academies: acads, State: r.State,
			Reason: r.Reason, HTTPStatus: r.HTTPStatus, LatencyMS: r.Latency.Milliseconds()}
	}
	return rows
}

// markUnverified sets Verified to false on the rows of the services the
// service's database says were never seen up. Without a database nothing
// is marked; a database that cannot be read is said on stderr, and the
// check goes on.
func markUnverified(ctx context.Context, rows []checkRow, cfg Config, stderr io.Writer) {
	read := func() (map[string]bool, error) { return storage.UnverifiedServices(ctx, cfg.DatabasePath) }
	if cfg.DatabaseURL != "" {
		read = func() (map[string]bool, error) { return storage.UnverifiedServicesPostgres(ctx, cfg.DatabaseURL) }
	}
	never, err := read()
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			fmt.Fprintf(stderr, "sentinelle : base de données illisible, services non vérifiés inconnus : %v\n", err)
		}
		return
	}
	for i := range rows {
		if never[rows[i].Service] {
			rows[i].Verified = new(bool)
		}
	}
}

func printCheckJSON(rows []checkRow, stdout, stderr io.Writer) int {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		fmt.Fprintf(stderr, "sentinelle : écriture du résultat : %v\n", err)
		return 1
	}
	return 0
}

// printCheckTable prints the rows for a person, in French, and a count of
// each state at the end.
func printCheckTable(rows []checkRow, stdout io.Writer) {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tACADÉMIES\tÉTAT\tRAISON\tHTTP\tLATENCE")
	count := map[status.State]int{}
	for _, r := range rows {
		acads := strings.Join(r.Academies, ", ")
		if acads == "" {
			acads = "(national)"
		}
		status := "—"
		if r.HTTPStatus != 0 {
			status = fmt.Sprint(r.HTTPStatus)
		}
		state := stateLabel(r.State)
		if r.Verified != nil && !*r.Verified {
			state += " (non vérifié)"
			count[unverifiedRow]++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Service, acads, state, reasonLabel(r.Reason), status,
			french.Number(int(r.LatencyMS))+french.NBSP+"ms")
		count[r.State]++
	}
	tw.Flush()
	if n := count[unverifiedRow]; n > 0 {
		fmt.Fprint(stdout, french.Typeset(fmt.Sprintf("\nNon vérifié : jamais vu fonctionner à l'adresse du catalogue (%s %s) ; adresse à contrôler.\n",
			french.Number(n), plural(n, "service", "services"))))
	}
	deg := count[status.Degraded]
	fmt.Fprint(stdout, french.Typeset(fmt.Sprintf("\n%s services vérifiés : %s en service, %s %s, %s en panne.\n",
		french.Number(len(rows)), french.Number(count[status.Up]), french.Number(deg),
		plural(deg, "dégradé", "dégradés"), french.Number(count[status.Down]))))
}

// unverifiedRow counts, in printCheckTable, the rows of services never
// seen up.
const unverifiedRow = "unverified"

// plural picks the French form: singular for 0 and 1.
func plural(n int, one, many string) string {
	if n > 1 {
		return many
	}
	return one
}

func stateLabel(s status.State) string {
	switch s {
	case status.Up:
		return "en service"
	case status.Degraded:
		return "dégradé"
	case status.Down:
		return "en panne"
	}
	return string(s)
}

func reasonLabel(r status.Reason) string {
	if r == status.ReasonOK {
		return "ok"
	}
	if text, ok := r.Text(); ok {
		return text
	}
	return string(r)
}
