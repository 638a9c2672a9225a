// Package deploy_test checks the deployment files (compose.yaml, the
// Dockerfile, .dockerignore) against the program's contracts: the
// variables it reads (.env.example), one database for every instance, a
// vantage name each, a non-root image built by the documented command.
// It validates their structure, not Docker: .ci/run builds the image and
// runs `docker compose config` where Docker is available.
package deploy_test

import (
	"cmp"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of compose.yaml the contracts concern.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Ports       []string `yaml:"ports"`
	Secrets     []string `yaml:"secrets"`
	Healthcheck *struct {
		Test    []string `yaml:"test"`
		Timeout string   `yaml:"timeout"`
	} `yaml:"healthcheck"`
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "compose.yaml")), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// instances are the services that run Sentinelle's image, by name.
func (c composeFile) instances() []string {
	var names []string
	for name, s := range c.Services {
		if (s.Build != nil && s.Build.Context == "..") || strings.HasPrefix(s.Image, "sentinelle") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestComposeInstances: at least two instances, each named by a vantage of
// its own, each on the compose file's PostgreSQL service (started healthy
// first), each with the same bot token read from a secret, each on a
// host port of its own, each with the image's healthcheck.
func TestComposeInstances(t *testing.T) {
	c := loadCompose(t)
	names := c.instances()
	if len(names) < 2 {
		t.Fatalf("instances = %v, want two or more", names)
	}
	vantages, hostPorts, tokenFiles := map[string]string{}, map[string]string{}, map[string]bool{}
	for _, name := range names {
		s := c.Services[name]
		v := s.Environment["VANTAGE"]
		if v == "" {
			t.Errorf("%s: no VANTAGE: the instances would be named after their containers' host names", name)
		} else if other, ok := vantages[v]; ok {
			t.Errorf("%s and %s share VANTAGE=%s: their probes would count as one vantage", other, name, v)
		}
		vantages[v] = name
		checkDatabase(t, c, name)
		checkToken(t, c, name)
		if h := s.Healthcheck; h == nil || len(h.Test) == 0 || h.Test[0] != "CMD" {
			t.Errorf("%s: no healthcheck in exec form (test: [CMD, …])", name)
		} else {
			checkHealthcheck(t, name+"'s healthcheck", h.Test[1:], cmp.Or(h.Timeout, "30s"))
		}
		tokenFiles[s.Environment["TELEGRAM_BOT_TOKEN_FILE"]] = true
		for _, p := range s.Ports {
			host, container := splitPort(p)
			if container != "8080" {
				t.Errorf("%s publishes %q: the container port is not the image's 8080", name, p)
			}
			if other, ok := hostPorts[host]; ok {
				t.Errorf("%s and %s both publish %s", other, name, host)
			}
			hostPorts[host] = name
		}
	}
	if len(tokenFiles) != 1 {
		t.Errorf("the instances read the token from %d different places; one bot has one token", len(tokenFiles))
	}
}

// checkDatabase: the instance reads its URL from a secret file, never
// from the environment (docker inspect would show the password); the URL
// the compose file's header writes into that file names the compose
// file's PostgreSQL service, its user and database, with the password
// its header gives that service; and the instance waits for it to be
// healthy.
func checkDatabase(t *testing.T, c composeFile, name string) {
	t.Helper()
	s := c.Services[name]
	if _, ok := s.Environment["DATABASE_URL"]; ok {
		t.Errorf("%s sets DATABASE_URL: its password would show in docker inspect; use DATABASE_URL_FILE", name)
	}
	file, ok := secretFile(c, s, "DATABASE_URL_FILE")
	if !ok {
		t.Errorf("%s: no DATABASE_URL_FILE among its secrets: it would run on its own SQLite file", name)
		return
	}
	raw := writtenTo(t, file)
	u, err := url.Parse(shellVariable.ReplaceAllString(raw, "x"))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Errorf("%s: %s holds %q, not a postgres:// URL (%v)", name, file, raw, err)
		return
	}
	db, ok := c.Services[u.Hostname()]
	if !ok || !strings.HasPrefix(db.Image, "postgres:") {
		t.Errorf("%s: the URL's host %q is not the compose file's PostgreSQL service", name, u.Hostname())
		return
	}
	if got, want := u.User.Username(), db.Environment["POSTGRES_USER"]; got != want {
		t.Errorf("%s: the URL's user = %q, the database's POSTGRES_USER = %q", name, got, want)
	}
	if got, want := strings.TrimPrefix(u.Path, "/"), db.Environment["POSTGRES_DB"]; got != want {
		t.Errorf("%s: the URL's database = %q, the database's POSTGRES_DB = %q", name, got, want)
	}
	if _, ok := db.Environment["POSTGRES_PASSWORD"]; ok {
		t.Errorf("%s sets POSTGRES_PASSWORD: use POSTGRES_PASSWORD_FILE", u.Hostname())
	}
	dbFile, ok := secretFile(c, db, "POSTGRES_PASSWORD_FILE")
	if password := shellVariable.FindString(raw); !ok || password == "" || writtenTo(t, dbFile) != password {
		t.Errorf("%s: the URL's password (%s) is not what the header writes to %s's POSTGRES_PASSWORD_FILE (%s)", name, raw, u.Hostname(), dbFile)
	}
	if got := s.DependsOn[u.Hostname()].Condition; got != "service_healthy" {
		t.Errorf("%s: depends_on %s condition = %q, want service_healthy", name, u.Hostname(), got)
	}
	if db.Healthcheck == nil || !slices.Contains(db.Healthcheck.Test, "pg_isready") {
		t.Errorf("%s has no pg_isready healthcheck: service_healthy would never come", u.Hostname())
	}
}

// shellVariable is a shell variable in the header's commands: $pw.
var shellVariable = regexp.MustCompile(`\$[A-Za-z_][A-Za-z0-9_]*`)

// secretFile is the file, as the compose file declares it, of the secret
// that s's variable (a *_FILE) names, and whether it is one of s's secrets.
func secretFile(c composeFile, s composeService, variable string) (string, bool) {
	secret, ok := strings.CutPrefix(s.Environment[variable], "/run/secrets/")
	if !ok || !slices.Contains(s.Secrets, secret) || c.Secrets[secret].File == "" {
		return "", false
	}
	return c.Secrets[secret].File, true
}

// writtenTo is what the compose file's header, the operator's commands,
// writes into file (a path relative to deploy/): the argument of the
// printf piped into `install … deploy/<file>`.
func writtenTo(t *testing.T, file string) string {
	t.Helper()
	target := "/dev/stdin deploy/" + strings.TrimPrefix(file, "./")
	printf := regexp.MustCompile(`printf '%s' "([^"]*)" \|`)
	for _, line := range strings.Split(readFile(t, "compose.yaml"), "\n") {
		if m := printf.FindStringSubmatch(line); m != nil && strings.Contains(line, target) {
			return m[1]
		}
	}
	t.Errorf("compose.yaml's header writes nothing to %s with printf '%%s' \"…\" | install …", target)
	return ""
}

// checkToken: the token comes from a file the compose file mounts as a
// secret, never from the environment.
func checkToken(t *testing.T, c composeFile, name string) {
	t.Helper()
	s := c.Services[name]
	if _, ok := s.Environment["TELEGRAM_BOT_TOKEN"]; ok {
		t.Errorf("%s sets TELEGRAM_BOT_TOKEN: the token would show in docker inspect; use TELEGRAM_BOT_TOKEN_FILE", name)
	}
	if _, ok := secretFile(c, s, "TELEGRAM_BOT_TOKEN_FILE"); !ok {
		t.Errorf("%s: TELEGRAM_BOT_TOKEN_FILE=%q is not one of its secrets %v declared with a file", name, s.Environment["TELEGRAM_BOT_TOKEN_FILE"], s.Secrets)
	}
}

// splitPort splits a short-syntax port, [ip:]host:container.
func splitPort(p string) (host, container string) {
	i := strings.LastIndex(p, ":")
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// TestComposeVariablesExist: every variable the compose file gives an
// instance is one the program reads, as .env.example lists them, so that
// a renamed variable cannot leave the compose file setting a dead one.
func TestComposeVariablesExist(t *testing.T) {
	known := envExampleNames(t)
	c := loadCompose(t)
	for _, name := range c.instances() {
		for v := range c.Services[name].Environment {
			if !known[v] {
				t.Errorf("%s sets %s, which .env.example does not list", name, v)
			}
		}
	}
}

// envExampleNames are the variables .env.example defines (NAME=value at
// the start of a line).
func envExampleNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([A-Z][A-Z0-9_]*)=`).FindAllStringSubmatch(readFile(t, "../.env.example"), -1) {
		names[m[1]] = true
	}
	if !names["DATABASE_PATH"] || !names["VANTAGE"] {
		t.Fatalf(".env.example: read %d variables, not DATABASE_PATH and VANTAGE: the pattern is wrong", len(names))
	}
	return names
}
