package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sentinelle/catalog"

	"github.com/robfig/cron/v3"
)

// Config is everything Sentinelle reads from its environment. The variable
// names are a contract with the people who run it: extend, never rename.
type Config struct {
	TelegramToken  string // secret: never printed
	TelegramAPIURL string
	DatabasePath   string
	// DatabaseURL, a postgres:// URL (DATABASE_URL, or the file
	// DATABASE_URL_FILE names), selects PostgreSQL, for several
	// instances sharing one database; empty: SQLite at DatabasePath.
	// Secret (it may hold a password): print RedactedDatabaseURL.
	DatabaseURL       string
	HTTPAddr          string
	PublicURL         string
	CatalogFile       string
	CheckSchedule     string
	CheckTimeout      time.Duration
	CheckConcurrency  int // 0 (unset): one probe slot per service and canary, resolved by checker
	DownAfter         int
	UpAfter           int
	CanaryURLs        []string
	Vantage           string // this instance's name among those sharing a database
	AdminIDs          []int64
	TelegramRateLimit float64
	PaidBroadcast     bool
	QuietHours        QuietHours
	Timezone          *time.Location
	LogLevel          slog.Level
	LogFormat         string
	// LeaderLease is how soon a dead leader is replaced among instances
	// sharing a PostgreSQL database (its lease is renewed every quarter of
	// it). With SQLite, one process, always the leader, it is unused.
	LeaderLease time.Duration
	// FakeClockFile, for rehearsals and tests only, makes the service run on
	// the clock that file sets (see fakeClock). Empty: the real time.
	FakeClockFile string
}

// QuietHours is a daily window, in local time, during which notifications
// are sent silently. Start == End means disabled.
type QuietHours struct {
	Enabled    bool
	Start, End time.Duration // offsets from local midnight
}

// Contains reports whether t falls in the window (which may cross midnight).
func (q QuietHours) Contains(t time.Time) bool {
	if !q.Enabled {
		return false
	}
	y, m, d := t.Date()
	off := t.Sub(time.Date(y, m, d, 0, 0, 0, 0, t.Location()))
	if q.Start < q.End {
		return off >= q.Start && off < q.End
	}
	return off >= q.Start || off < q.End
}

// defaults holds the documented default of every variable; .env.example and
// README repeat them.
var defaults = map[string]string{
	"TELEGRAM_API_URL":        "https://api.telegram.org",
	"DATABASE_PATH":           "sentinelle.db",
	"DATABASE_URL":            "", // SQLite, at DATABASE_PATH
	"HTTP_ADDR":               ":8080",
	"PUBLIC_URL":              "http://localhost:8080",
	"CHECK_SCHEDULE":          "@every 1m",
	"CHECK_TIMEOUT":           "10s",
	"CHECK_CONCURRENCY":       "", // as many as there are services and canaries
	"DOWN_AFTER":              "2",
	"UP_AFTER":                "2",
	"CANARY_URLS":             "https://www.wikipedia.org,https://www.debian.org",
	"VANTAGE":                 "", // the host name
	"TELEGRAM_RATE_LIMIT":     "25",
	"TELEGRAM_PAID_BROADCAST": "false",
	"QUIET_HOURS":             "21:00-07:00",
	"TIMEZONE":                catalog.DefaultTimezone,
	"LOG_LEVEL":               "info",
	"LOG_FORMAT":              "text",
	"LEADER_LEASE":            "15s",
}

var tokenPattern = regexp.MustCompile(`^[0-9]{3,}:[A-Za-z0-9_-]{20,}$`)

// LoadConfig reads and checks every variable, and returns all problems at
// once, one per line, each naming the variable, the value (never the token)
// and what was expected.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("%s=%q : %s", name, value, want))
	}
	get := func(name string) string {
		if v, ok := lookup(name); ok {
			return strings.TrimSpace(v)
		}
		return defaults[name]
	}
	var c Config

	c.TelegramToken = loadToken(lookup, &errs)
	c.TelegramAPIURL = strings.TrimRight(get("TELEGRAM_API_URL"), "/")
	if !isHTTPURL(c.TelegramAPIURL) {
		bad("TELEGRAM_API_URL", c.TelegramAPIURL, "une URL http(s) absolue, par exemple https://api.telegram.org")
	}
	if c.DatabasePath = get("DATABASE_PATH"); c.DatabasePath == "" {
		bad("DATABASE_PATH", "", "le chemin d'un fichier SQLite, par exemple sentinelle.db")
	}
	c.DatabaseURL = loadDatabaseURL(lookup, bad, &errs)
	c.HTTPAddr = get("HTTP_ADDR")
	if _, port, err := splitHostPort(c.HTTPAddr); err != nil || port < 0 || port > 65535 {
		bad("HTTP_ADDR", c.HTTPAddr, "une adresse d'écoute hôte:port, par exemple :8080 ou 127.0.0.1:8080")
	}
	c.PublicURL = strings.TrimRight(get("PUBLIC_URL"), "/")
	if !isHTTPURL(c.PublicURL) {
		bad("PUBLIC_URL", c.PublicURL, "une URL http(s) absolue, par exemple https://sentinelle.example.fr")
	}
	c.CatalogFile = get("CATALOG_FILE")
	if c.CatalogFile != "" {
		if st, err := os.Stat(c.CatalogFile); err != nil || st.IsDir() {
			bad("CATALOG_FILE", c.CatalogFile, "un fichier YAML lisible (vide : le catalogue intégré)")
		}
	}
	c.CheckSchedule = get("CHECK_SCHEDULE")
	if _, err := cron.ParseStandard(c.CheckSchedule); err != nil {
		bad("CHECK_SCHEDULE", c.CheckSchedule, "une expression robfig/cron, par exemple @every 1m ou */5 * * * *")
	}
	c.CheckTimeout = duration(get, bad, "CHECK_TIMEOUT", time.Second, 5*time.Minute, "10s")
	if v := get("CHECK_CONCURRENCY"); v != "" {
		c.CheckConcurrency = integer(get, bad, "CHECK_CONCURRENCY", 0, 1024)
	}
	c.DownAfter = integer(get, bad, "DOWN_AFTER", 1, 100)
	c.UpAfter = integer(get, bad, "UP_AFTER", 1, 100)
	c.CanaryURLs = splitList(get("CANARY_URLS"))
	for _, u := range c.CanaryURLs {
		if !isHTTPURL(u) {
			bad("CANARY_URLS", u, "des URL http(s) absolues séparées par des virgules (vide : pas de canari)")
		}
	}
	c.Vantage = vantage(get("VANTAGE"), os.Hostname, bad)
	for _, s := range splitList(get("ADMIN_IDS")) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			bad("ADMIN_IDS", s, "des identifiants numériques d'utilisateurs Telegram séparés par des virgules")
			continue
		}
		c.AdminIDs = append(c.AdminIDs, id)
	}
	c.PaidBroadcast = boolean(get, bad, "TELEGRAM_PAID_BROADCAST")
	c.TelegramRateLimit = rateLimit(get("TELEGRAM_RATE_LIMIT"), c.PaidBroadcast, bad)
	c.QuietHours = quietHours(get("QUIET_HOURS"), bad)
	tz := get("TIMEZONE")
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		bad("TIMEZONE", tz, "un fuseau IANA, par exemple Europe/Paris")
		loc = time.UTC
	}
	c.Timezone = loc
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		bad("LOG_LEVEL", get("LOG_LEVEL"), "debug, info, warn ou error")
	}
	if c.LogFormat = strings.ToLower(get("LOG_FORMAT")); c.LogFormat != "text" && c.LogFormat != "json" {
		bad("LOG_FORMAT", get("LOG_FORMAT"), "text ou json")
	}
	c.LeaderLease = duration(get, bad, "LEADER_LEASE", 3*time.Second, 5*time.Minute, "15s")
	if c.FakeClockFile = get("SENTINELLE_FAKE_CLOCK_FILE"); c.FakeClockFile != "" {
		if _, _, err := readClockFile(c.FakeClockFile); err != nil {
			bad("SENTINELLE_FAKE_CLOCK_FILE", c.FakeClockFile,
				"un fichier contenant une date RFC 3339, par exemple 2021-04-06T07:30:00+02:00 (répétitions et tests seulement ; vide : l'heure réelle)")
		}
	}
	return c, errors.Join(errs...)
}

// secret reads the variable name, or the file that name_FILE names (a
// systemd credential, a compose secret), its content trimmed, so that
// the secret need not be in the environment. Both set, or an unreadable
// file, is an error, and the value is then "". file is the path the value
// was read from, "" when it came from name itself. Its error messages
// never contain the value.
func secret(lookup func(string) (string, bool), name string, errs *[]error) (value, file string) {
	direct, _ := lookup(name)
	file, _ = lookup(name + "_FILE")
	direct, file = strings.TrimSpace(direct), strings.TrimSpace(file)
	if direct != "" && file != "" {
		*errs = append(*errs, fmt.Errorf("%s et %s_FILE sont tous deux définis : n'en gardez qu'un", name, name))
		return "", ""
	}
	if file == "" {
		return direct, ""
	}
	b, err := os.ReadFile(file)
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s_FILE=%q : fichier illisible (%v)", name, file, errors.Unwrap(err)))
		return "", ""
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		// A file set but empty is a mistake (a secret not written yet), not
		// a choice: neither "bot off" nor "SQLite" may follow from it.
		*errs = append(*errs, fmt.Errorf("%s_FILE=%q : le fichier est vide ; écrivez-y la valeur, ou retirez %s_FILE", name, file, name))
		return "", ""
	}
	return v, file
}

// loadToken reads TELEGRAM_BOT_TOKEN or the file TELEGRAM_BOT_TOKEN_FILE
// names. Its error messages never contain the token.
func loadToken(lookup func(string) (string, bool), errs *[]error) string {
	token, file := secret(lookup, "TELEGRAM_BOT_TOKEN", errs)
	if token != "" && !tokenPattern.MatchString(token) {
		src := "TELEGRAM_BOT_TOKEN"
		if file != "" {
			src = "TELEGRAM_BOT_TOKEN_FILE"
		}
		*errs = append(*errs, fmt.Errorf("%s=(masqué) : un jeton de @BotFather de la forme 123456789:AA…, %d caractères lus", src, len(token)))
		return ""
	}
	return token
}

type badFunc func(name, value, want string)

// loadDatabaseURL reads DATABASE_URL, or the file DATABASE_URL_FILE
// names, so that the password need not be in the environment, and checks
// it. A bad URL from the file is reported under DATABASE_URL_FILE, with
// the file's path and the URL masked as for DATABASE_URL.
func loadDatabaseURL(lookup func(string) (string, bool), bad badFunc, errs *[]error) string {
	v, file := secret(lookup, "DATABASE_URL", errs)
	if file == "" {
		return databaseURL(v, bad)
	}
	inFile := func(_, value, _ string) {
		bad("DATABASE_URL_FILE", file, fmt.Sprintf("le fichier contient %s ; attendu %s", value, databaseURLWant))
	}
	return databaseURL(v, inFile)
}

const databaseURLWant = "une URL PostgreSQL postgres://utilisateur:motdepasse@hôte:5432/base"

// databaseURL checks DATABASE_URL: empty (SQLite) or a PostgreSQL URL,
// postgres:// or postgresql:// exactly as pgx recognises them. A bad value
// is reported with its password masked, or entirely masked when it cannot
// be parsed (url.Parse's own error would repeat it).
func databaseURL(v string, bad badFunc) string {
	if v == "" {
		return ""
	}
	want := databaseURLWant + " (vide : SQLite, au chemin DATABASE_PATH)"
	u, err := url.Parse(v)
	if err == nil {
		_, err = url.ParseQuery(u.RawQuery)
	}
	if err != nil {
		bad("DATABASE_URL", "(masquée : illisible)", want)
		return ""
	}
	if !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		if s := strings.ToLower(u.Scheme); s == "postgres" || s == "postgresql" {
			want = "le schéma en minuscules, " + databaseURLWant // url.Parse shows it lowercased already
		}
		bad("DATABASE_URL", redactURL(u), want)
		return ""
	}
	return v
}

// redactURL is u as logs and errors may show it: the password of its user
// and its password and sslpassword parameters (which libpq and pgx read
// too) masked.
func redactURL(u *url.URL) string {
	r := *u
	q := r.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	if r.RawQuery != "" {
		r.RawQuery = q.Encode()
	}
	return r.Redacted()
}

// RedactedDatabaseURL is DatabaseURL for logs and messages, its passwords
// masked.
func (c Config) RedactedDatabaseURL() string {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "(masquée)"
	}
	return redactURL(u)
}

func duration(get func(string) string, bad badFunc, name string, min, max time.Duration, example string) time.Duration {
	return inRange(get, bad, name, time.ParseDuration, min, max, fmt.Sprintf("une durée entre %s et %s, par exemple %s", min, max, example))
}

func integer(get func(string) string, bad badFunc, name string, min, max int) int {
	return inRange(get, bad, name, strconv.Atoi, min, max, fmt.Sprintf("un entier entre %d et %d", min, max))
}

// inRange reads the variable name with parse and checks that it lies in
// [min, max]; otherwise it reports the value, saying want was expected,
// and returns 0.
func inRange[T int | time.Duration](get func(string) string, bad badFunc, name string, parse func(string) (T, error), min, max T, want string) T {
	v := get(name)
	x, err := parse(v)
	if err != nil || x < min || x > max {
		bad(name, v, want)
		return 0
	}
	return x
}

func boolean(get func(string) string, bad badFunc, name string) bool {
	v := get(name)
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on", "oui":
		return true
	case "0", "false", "no", "off", "non", "":
		return false
	}
	bad(name, v, "true ou false")
	return false
}

// rateLimit checks TELEGRAM_RATE_LIMIT: Telegram allows about 30 messages a
// second per bot, and up to 1000 with paid broadcasts.
func rateLimit(v string, paid bool, bad badFunc) float64 {
	max := 30.0
	if paid {
		max = 1000
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > max {
		bad("TELEGRAM_RATE_LIMIT", v, fmt.Sprintf("un nombre de messages par seconde entre 0 et %g (jusqu'à 1000 avec TELEGRAM_PAID_BROADCAST=true)", max))
		return 0
	}
	return f
}

// maxVantage is the longest VANTAGE, in characters: a name for logs and
// the status page, not a description.
const maxVantage = 64

// vantage checks VANTAGE, the name under which this instance's rounds are
// stored and counted in the vote of the instances sharing a database:
// empty means the host name, which must then pass the same checks.
func vantage(v string, hostname func() (string, error), bad badFunc) string {
	want := fmt.Sprintf("un nom d'au plus %d caractères imprimables pour cette instance, par exemple paris-1 (vide : le nom de la machine)", maxVantage)
	if v != "" {
		if !goodVantage(v) {
			bad("VANTAGE", v, want)
			return ""
		}
		return v
	}
	h, err := hostname()
	switch {
	case err != nil:
		bad("VANTAGE", "", fmt.Sprintf("%s ; le nom de la machine est illisible (%v)", want, err))
	case !goodVantage(h):
		bad("VANTAGE", "", fmt.Sprintf("%s ; le nom de la machine, %q, ne convient pas", want, h))
	default:
		return h
	}
	return ""
}

func goodVantage(v string) bool {
	if v == "" || !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxVantage {
		return false
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

var quietPattern = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])-([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

func quietHours(v string, bad badFunc) QuietHours {
	if v == "" {
		return QuietHours{}
	}
	m := quietPattern.FindStringSubmatch(strings.ReplaceAll(v, " ", ""))
	if m == nil {
		bad("QUIET_HOURS", v, "une plage HH:MM-HH:MM, par exemple 21:00-07:00 (vide : désactivé)")
		return QuietHours{}
	}
	at := func(h, mi string) time.Duration {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(mi)
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
	}
	q := QuietHours{Enabled: true, Start: at(m[1], m[2]), End: at(m[3], m[4])}
	if q.Start == q.End {
		bad("QUIET_HOURS", v, "une plage dont le début et la fin diffèrent")
		return QuietHours{}
	}
	return q
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, errors.New("no port")
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		return "", 0, err
	}
	return addr[:i], port, nil
}

// EnvLookup merges the real environment with a .env file: the real
// environment wins. A missing file is not an error.
func EnvLookup(real func(string) (string, bool), dotenvPath string) (func(string) (string, bool), error) {
	file, err := readDotenv(dotenvPath)
	if err != nil {
		return nil, err
	}
	return func(k string) (string, bool) {
		if v, ok := real(k); ok {
			return v, true
		}
		v, ok := file[k]
		return v, ok
	}, nil
}

// readDotenv parses KEY=value lines; # starts a comment line; values may be
// quoted with ' or "; "export " before the key is accepted.
func readDotenv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lecture de %s : %w", path, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s ligne %d : attendu NOM=valeur", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		} else if i := strings.Index(v, " #"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("lecture de %s : %w", path, err)
	}
	return out, nil
}
