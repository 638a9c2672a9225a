package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const goodToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

func TestLoadConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.TelegramToken != "" || c.DatabasePath != "sentinelle.db" || c.HTTPAddr != ":8080" ||
		c.CheckTimeout != 10*time.Second || c.CheckConcurrency != 0 || c.DownAfter != 2 || c.UpAfter != 2 ||
		c.TelegramRateLimit != 25 || c.PaidBroadcast || len(c.CanaryURLs) != 2 || c.Timezone.String() != "Europe/Paris" ||
		!c.QuietHours.Enabled || c.CheckSchedule != "@every 1m" || c.PublicURL != "http://localhost:8080" ||
		c.TelegramAPIURL != "https://api.telegram.org" || c.LogFormat != "text" || c.LeaderLease != 15*time.Second {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoadConfigGoodValues(t *testing.T) {
	c, err := LoadConfig(envOf(map[string]string{
		"TELEGRAM_BOT_TOKEN":      goodToken,
		"TELEGRAM_API_URL":        "http://127.0.0.1:9999/",
		"CHECK_SCHEDULE":          "@every 1s",
		"CANARY_URLS":             "",
		"ADMIN_IDS":               "12, 34",
		"TELEGRAM_PAID_BROADCAST": "true",
		"TELEGRAM_RATE_LIMIT":     "1000",
		"QUIET_HOURS":             "",
		"LOG_LEVEL":               "debug",
		"LOG_FORMAT":              "JSON",
		"LEADER_LEASE":            "1m30s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.TelegramToken != goodToken || c.TelegramAPIURL != "http://127.0.0.1:9999" || len(c.CanaryURLs) != 0 ||
		len(c.AdminIDs) != 2 || c.AdminIDs[1] != 34 || c.TelegramRateLimit != 1000 || c.QuietHours.Enabled || c.LogFormat != "json" ||
		c.LeaderLease != 90*time.Second {
		t.Fatalf("got %+v", c)
	}
}

// TestLoadConfigErrors checks that every variable is validated and that the
// message names the variable and the value.
func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"token malformed", "TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN=(masqué)"},
		{"api url", "TELEGRAM_API_URL", "api.telegram.org", `TELEGRAM_API_URL="api.telegram.org"`},
		{"database empty", "DATABASE_PATH", "", `DATABASE_PATH=""`},
		{"http addr", "HTTP_ADDR", "8080", `HTTP_ADDR="8080"`},
		{"http port", "HTTP_ADDR", ":99999", `HTTP_ADDR=":99999"`},
		{"public url", "PUBLIC_URL", "ftp://x", `PUBLIC_URL="ftp://x"`},
		{"catalog missing", "CATALOG_FILE", "/nonexistent/cat.yaml", `CATALOG_FILE="/nonexistent/cat.yaml"`},
		{"schedule", "CHECK_SCHEDULE", "every minute", `CHECK_SCHEDULE="every minute"`},
		{"timeout unit", "CHECK_TIMEOUT", "10", `CHECK_TIMEOUT="10"`},
		{"timeout too small", "CHECK_TIMEOUT", "10ms", `CHECK_TIMEOUT="10ms"`},
		{"concurrency negative", "CHECK_CONCURRENCY", "-1", `CHECK_CONCURRENCY="-1"`},
		{"concurrency too high", "CHECK_CONCURRENCY", "1025", `CHECK_CONCURRENCY="1025"`},
		{"concurrency not a number", "CHECK_CONCURRENCY", "auto", `CHECK_CONCURRENCY="auto"`},
		{"down after", "DOWN_AFTER", "x", `DOWN_AFTER="x"`},
		{"up after", "UP_AFTER", "-1", `UP_AFTER="-1"`},
		{"canary", "CANARY_URLS", "https://ok.example,nope", `CANARY_URLS="nope"`},
		{"admin ids", "ADMIN_IDS", "12,abc", `ADMIN_IDS="abc"`},
		{"rate limit too high", "TELEGRAM_RATE_LIMIT", "100", `TELEGRAM_RATE_LIMIT="100"`},
		{"rate limit not a number", "TELEGRAM_RATE_LIMIT", "fast", `TELEGRAM_RATE_LIMIT="fast"`},
		{"paid broadcast", "TELEGRAM_PAID_BROADCAST", "peut-être", `TELEGRAM_PAID_BROADCAST="peut-être"`},
		{"quiet hours", "QUIET_HOURS", "21h-7h", `QUIET_HOURS="21h-7h"`},
		{"quiet hours empty window", "QUIET_HOURS", "07:00-07:00", `QUIET_HOURS="07:00-07:00"`},
		{"timezone", "TIMEZONE", "Europe/Pariss", `TIMEZONE="Europe/Pariss"`},
		{"log level", "LOG_LEVEL", "loud", `LOG_LEVEL="loud"`},
		{"fake clock file missing", "SENTINELLE_FAKE_CLOCK_FILE", "/nonexistent/clock", `SENTINELLE_FAKE_CLOCK_FILE="/nonexistent/clock"`},
		{"log format", "LOG_FORMAT", "xml", `LOG_FORMAT="xml"`},
		{"leader lease unit", "LEADER_LEASE", "15", `LEADER_LEASE="15" : une durée entre 3s et 5m0s, par exemple 15s`},
		{"leader lease too short", "LEADER_LEASE", "2s", `LEADER_LEASE="2s"`},
		{"leader lease too long", "LEADER_LEASE", "6m", `LEADER_LEASE="6m"`},
		{"database url scheme", "DATABASE_URL", "mysql://u:secret@db/s", `DATABASE_URL="mysql://u:xxxxx@db/s" : une URL PostgreSQL postgres://`},
		{"database url sqlite", "DATABASE_URL", "sentinelle.db", `DATABASE_URL="sentinelle.db" : une URL PostgreSQL`},
		{"database url uppercase scheme", "DATABASE_URL", "POSTGRES://db/s", `DATABASE_URL="postgres://db/s" : le schéma en minuscules`},
		{"database url unparsable", "DATABASE_URL", "postgres://u:secret@db:port/s", `DATABASE_URL="(masquée : illisible)"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.key, tt.value)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
				t.Fatalf("one bad variable gave %d messages: %q", n, err)
			}
		})
	}
}

// TestCheckConcurrency: unset, empty or 0 is 0, which checker.New and
// CheckAll read as one slot per service and canary; an explicit value wins.
func TestCheckConcurrency(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want int
	}{
		{"unset", nil, 0},
		{"empty", map[string]string{"CHECK_CONCURRENCY": ""}, 0},
		{"zero", map[string]string{"CHECK_CONCURRENCY": "0"}, 0},
		{"explicit", map[string]string{"CHECK_CONCURRENCY": " 8 "}, 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.CheckConcurrency != tt.want {
				t.Fatalf("CheckConcurrency = %d, want %d", c.CheckConcurrency, tt.want)
			}
		})
	}
}

func TestLoadConfigReportsAllProblemsAtOnce(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"DOWN_AFTER": "x", "UP_AFTER": "y", "LOG_FORMAT": "z"}))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, v := range []string{"DOWN_AFTER", "UP_AFTER", "LOG_FORMAT"} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error does not name %s: %v", v, err)
		}
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	secret := "123456789:short"
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string]map[string]string{
		"direct": {"TELEGRAM_BOT_TOKEN": secret},
		"file":   {"TELEGRAM_BOT_TOKEN_FILE": file},
		"both":   {"TELEGRAM_BOT_TOKEN": secret, "TELEGRAM_BOT_TOKEN_FILE": file},
	} {
		_, err := LoadConfig(envOf(env))
		if err == nil {
			t.Fatalf("%s: malformed token accepted", name)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "short") {
			t.Fatalf("%s: error shows the token: %v", name, err)
		}
	}
}

// TestDatabaseURL: a postgres:// or postgresql:// URL is kept as given
// (pgx reads it); unset or empty, SQLite at DATABASE_PATH as before.
func TestDatabaseURL(t *testing.T) {
	for _, v := range []string{
		"postgres://sentinelle:motdepasse@db.example.fr:5432/sentinelle?sslmode=verify-full",
		"postgresql://db.example.fr/sentinelle",
		"postgres:///sentinelle?host=/run/postgresql",
	} {
		c, err := LoadConfig(envOf(map[string]string{"DATABASE_URL": v}))
		if err != nil || c.DatabaseURL != v {
			t.Errorf("DATABASE_URL=%q: got %q, %v", v, c.DatabaseURL, err)
		}
	}
	for _, env := range []map[string]string{nil, {"DATABASE_URL": ""}, {"DATABASE_URL": "  "}} {
		c, err := LoadConfig(envOf(env))
		if err != nil || c.DatabaseURL != "" || c.DatabasePath != "sentinelle.db" {
			t.Errorf("%v: got %q and %q, %v; want SQLite at sentinelle.db", env, c.DatabaseURL, c.DatabasePath, err)
		}
	}
}

// TestDatabasePasswordNeverShown: neither a configuration error nor the
// redacted URL the log shows holds a password, in the URL's user or in
// its parameters.
func TestDatabasePasswordNeverShown(t *testing.T) {
	for _, v := range []string{
		"mysql://u:s3cr3t@db/s",
		"postgres://u:s3cr3t@db:port/s",
		"postgres://u:s3cr3t@db/s?sslmode=bogus%zz",
		"redis://db/s?password=s3cr3t",
		"redis://db/s?sslpassword=s3cr3t",
	} {
		_, err := LoadConfig(envOf(map[string]string{"DATABASE_URL": v}))
		if err == nil {
			t.Errorf("DATABASE_URL=%q accepted", v)
		} else if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	for _, v := range []string{
		"postgres://u:s3cr3t@db/s",
		"postgres://u@db/s?password=s3cr3t&sslmode=require",
		"postgres://u@db/s?sslpassword=s3cr3t",
	} {
		c, err := LoadConfig(envOf(map[string]string{"DATABASE_URL": v}))
		if err != nil {
			t.Fatal(err)
		}
		got := c.RedactedDatabaseURL()
		if strings.Contains(got, "s3cr3t") || !strings.Contains(got, "db/s") {
			t.Errorf("RedactedDatabaseURL of %q = %q", v, got)
		}
	}
}

func TestTokenFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(goodToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(envOf(map[string]string{"TELEGRAM_BOT_TOKEN_FILE": file}))
	if err != nil || c.TelegramToken != goodToken {
		t.Fatalf("got %q, %v", c.TelegramToken, err)
	}
	_, err = LoadConfig(envOf(map[string]string{"TELEGRAM_BOT_TOKEN_FILE": file + ".missing"}))
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN_FILE") {
		t.Fatalf("missing token file: %v", err)
	}
	// An empty token file is a secret not written yet, not "bot off".
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadConfig(envOf(map[string]string{"TELEGRAM_BOT_TOKEN_FILE": empty}))
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN_FILE") || !strings.Contains(err.Error(), "le fichier est vide") {
		t.Fatalf("empty token file: %v", err)
	}
}

// TestDatabaseURLFromFile: DATABASE_URL_FILE works like
// TELEGRAM_BOT_TOKEN_FILE (the file's content trimmed; both set, or an
// unreadable file, refused), an empty file is refused rather than taken
// for SQLite, and no error shows the password.
func TestDatabaseURLFromFile(t *testing.T) {
	const pgURL = "postgres://sentinelle:s3cr3t@db:5432/sentinelle?sslmode=disable"
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("database-url", "  "+pgURL+"\n")
	c, err := LoadConfig(envOf(map[string]string{"DATABASE_URL_FILE": good, "DATABASE_URL": " "}))
	if err != nil || c.DatabaseURL != pgURL {
		t.Fatalf("DATABASE_URL_FILE: got %q, %v; want %q", c.DatabaseURL, err, pgURL)
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"both", map[string]string{"DATABASE_URL_FILE": good, "DATABASE_URL": pgURL},
			[]string{"DATABASE_URL et DATABASE_URL_FILE sont tous deux définis"}},
		{"missing", map[string]string{"DATABASE_URL_FILE": good + ".missing"},
			[]string{`DATABASE_URL_FILE="` + good + `.missing" : fichier illisible`}},
		{"directory", map[string]string{"DATABASE_URL_FILE": dir},
			[]string{`DATABASE_URL_FILE="` + dir + `" : fichier illisible`}},
		{"empty", map[string]string{"DATABASE_URL_FILE": write("empty", "\n")},
			[]string{"DATABASE_URL_FILE=", "le fichier est vide"}},
		{"not postgres", map[string]string{"DATABASE_URL_FILE": write("mysql", "mysql://u:s3cr3t@db/s")},
			[]string{"DATABASE_URL_FILE=", "le fichier contient mysql://u:xxxxx@db/s ; attendu une URL PostgreSQL"}},
		{"unparsable", map[string]string{"DATABASE_URL_FILE": write("bogus", "postgres://u:s3cr3t@db/s?sslmode=%zz")},
			[]string{"DATABASE_URL_FILE=", "(masquée : illisible)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if err == nil {
				t.Fatalf("accepted, DATABASE_URL %q", c.RedactedDatabaseURL())
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestDotenvRealEnvironmentWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\nexport DOWN_AFTER=5\nUP_AFTER=\"3\"\nPUBLIC_URL=https://from-file.example # trailing\nCANARY_URLS=\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	lookup, err := EnvLookup(envOf(map[string]string{"DOWN_AFTER": "4"}), path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(lookup)
	if err != nil {
		t.Fatal(err)
	}
	if c.DownAfter != 4 || c.UpAfter != 3 || c.PublicURL != "https://from-file.example" || len(c.CanaryURLs) != 0 {
		t.Fatalf("got DownAfter=%d UpAfter=%d PublicURL=%q Canary=%v", c.DownAfter, c.UpAfter, c.PublicURL, c.CanaryURLs)
	}
	if _, err := EnvLookup(envOf(nil), filepath.Join(t.TempDir(), "absent")); err != nil {
		t.Fatalf("absent .env: %v", err)
	}
	if err := os.WriteFile(path, []byte("JUSTAWORD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := EnvLookup(envOf(nil), path); err == nil || !strings.Contains(err.Error(), "ligne 1") {
		t.Fatalf("malformed .env: %v", err)
	}
}

func TestQuietHoursContains(t *testing.T) {
	q := quietHours("21:00-07:00", func(string, string, string) { t.Fatal("rejected") })
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tt := range []struct {
		hour, min int
		want      bool
	}{{20, 59, false}, {21, 0, true}, {23, 30, true}, {3, 0, true}, {6, 59, true}, {7, 0, false}, {12, 0, false}} {
		at := time.Date(2021, 4, 6, tt.hour, tt.min, 0, 0, paris)
		if got := q.Contains(at); got != tt.want {
			t.Errorf("Contains(%02d:%02d) = %v, want %v", tt.hour, tt.min, got, tt.want)
		}
	}
	day := quietHours("12:00-14:00", func(string, string, string) { t.Fatal("rejected") })
	if !day.Contains(time.Date(2021, 4, 6, 13, 0, 0, 0, paris)) || day.Contains(time.Date(2021, 4, 6, 15, 0, 0, 0, paris)) {
		t.Error("a window within one day is wrong")
	}
}

// TestVantage: VANTAGE names the instance; empty or unset, the host name,
// which must then be a good name too.
func TestVantage(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skipf("no host name here: %v", err)
	}
	if c, err := LoadConfig(envOf(nil)); err != nil || c.Vantage != host {
		t.Errorf("VANTAGE unset: %q, %v; want the host name %q", c.Vantage, err, host)
	}
	long := strings.Repeat("é", maxVantage)
	for _, tt := range []struct {
		name, value string
		hostname    func() (string, error)
		want        string // the vantage, or "" when refused
		wantErr     string
	}{
		{"explicit", " paris-1 ", nil, "paris-1", ""},
		{"64 characters", long, nil, long, ""},
		{"65 characters", long + "x", nil, "", `VANTAGE="` + long + `x" : un nom d'au plus 64 caractères imprimables`},
		{"not printable", "paris\t1", nil, "", `VANTAGE="paris\t1" : un nom d'au plus 64`},
		{"not UTF-8", "paris\xff", nil, "", `VANTAGE="paris\xff" : un nom d'au plus 64`},
		{"empty: the host name", "", func() (string, error) { return "vps-42", nil }, "vps-42", ""},
		{"unreadable host name", "", func() (string, error) { return "", errors.New("boom") }, "",
			`VANTAGE="" : un nom d'au plus 64 caractères imprimables pour cette instance, par exemple paris-1 (vide : le nom de la machine) ; le nom de la machine est illisible (boom)`},
		{"empty host name", "", func() (string, error) { return "", nil }, "", `; le nom de la machine, "", ne convient pas`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var errs []string
			bad := func(name, value, want string) { errs = append(errs, fmt.Sprintf("%s=%q : %s", name, value, want)) }
			got := vantage(strings.TrimSpace(tt.value), tt.hostname, bad)
			if got != tt.want || len(errs) != min(len(tt.wantErr), 1) || tt.wantErr != "" && !strings.Contains(errs[0], tt.wantErr) {
				t.Errorf("vantage(%q) = %q, errors %q; want %q, an error containing %q", tt.value, got, errs, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := LoadConfig(envOf(map[string]string{"VANTAGE": "a\x00b"})); err == nil || !strings.Contains(err.Error(), `VANTAGE="a\x00b"`) {
		t.Errorf("VANTAGE with a NUL: %v, want it named in the error", err)
	}
}
