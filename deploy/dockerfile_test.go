package deploy_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	keyword string // upper case: FROM, RUN, USER…
	args    string
}

// joinContinued joins the lines ending in a backslash to the next one and
// drops comment lines and blank ones, in a Dockerfile or a shell block.
func joinContinued(text string) []string {
	var lines []string
	cur := ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur += rest + " "
			continue
		}
		lines = append(lines, cur+trimmed)
		cur = ""
	}
	return lines
}

// stages are the Dockerfile's build stages, each its instructions from
// its FROM on.
func stages(t *testing.T) [][]instruction {
	t.Helper()
	var all [][]instruction
	for _, line := range joinContinued(readFile(t, "../Dockerfile")) {
		keyword, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(keyword), strings.TrimSpace(args)}
		if in.keyword == "FROM" {
			all = append(all, nil)
		}
		if len(all) == 0 {
			t.Fatalf("Dockerfile: %q before the first FROM", line)
		}
		all[len(all)-1] = append(all[len(all)-1], in)
	}
	return all
}

// last is the args of the last instruction named keyword in stage, and
// whether there is one.
func last(stage []instruction, keyword string) (string, bool) {
	for i := len(stage) - 1; i >= 0; i-- {
		if stage[i].keyword == keyword {
			return stage[i].args, true
		}
	}
	return "", false
}

// TestDockerfileFinalStage: the image is built in one stage and shipped in
// another, runs as a numeric non-root user (an orchestrator can check
// runAsNonRoot only on a number), keeps the SQLite default on a volume and
// exposes the port compose.yaml publishes.
func TestDockerfileFinalStage(t *testing.T) {
	all := stages(t)
	if len(all) < 2 {
		t.Fatalf("Dockerfile has %d stage(s), want a build stage and a final one", len(all))
	}
	final := all[len(all)-1]
	user, ok := last(final, "USER")
	if !ok {
		t.Fatal("the final stage has no USER: the service would run as the base image's user")
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("final USER %q: want a numeric uid other than 0", user)
	}
	if from, _ := last(final, "FROM"); strings.Contains(from, "golang") {
		t.Errorf("final stage FROM %s: the toolchain would ship in the image", from)
	}
	env, _ := last(final, "ENV")
	path := regexp.MustCompile(`DATABASE_PATH=(\S+)`).FindStringSubmatch(env)
	volume, _ := last(final, "VOLUME")
	if path == nil || volume == "" || !strings.HasPrefix(path[1], strings.TrimSuffix(volume, "/")+"/") {
		t.Errorf("final stage: DATABASE_PATH (ENV %q) is not on the VOLUME (%q): the SQLite file would live in the container", env, volume)
	}
	if expose, _ := last(final, "EXPOSE"); expose != "8080" {
		t.Errorf("EXPOSE %q, want 8080 (compose.yaml's container port)", expose)
	}
}

// TestDockerfileBuildIsDocumented: the build stage builds with the
// command docs/deploy.md gives, a static binary with cgo (SQLite).
func TestDockerfileBuildIsDocumented(t *testing.T) {
	var built []string
	for _, stage := range stages(t) {
		for _, in := range stage {
			if _, cmd, ok := strings.Cut(in.args, "CGO_ENABLED=1 go build "); in.keyword == "RUN" && ok {
				built = append(built, "CGO_ENABLED=1 go build "+cmd)
			}
		}
	}
	if len(built) != 1 {
		t.Fatalf("Dockerfile: %d RUN with `CGO_ENABLED=1 go build`, want 1", len(built))
	}
	got := strings.Join(strings.Fields(built[0]), " ")
	for _, want := range []string{"-extldflags=-static", "netgo", "osusergo", "./cmd/sentinelle"} {
		if !strings.Contains(got, want) {
			t.Errorf("the build command lacks %s: %s", want, got)
		}
	}
	var documented []string
	for _, line := range joinContinued(readFile(t, "../docs/deploy.md")) {
		if strings.HasPrefix(line, "CGO_ENABLED=1 go build ") && strings.Contains(line, "-static") {
			documented = append(documented, strings.Join(strings.Fields(line), " "))
		}
	}
	if len(documented) != 1 || documented[0] != got {
		t.Errorf("docs/deploy.md documents %q; the Dockerfile builds with %q", documented, got)
	}
}

// TestDockerignoreKeepsSecretsOut: the build context never carries a .env
// or a database, at any depth (Docker matches *.db at the root only),
// whatever sits in the working tree, nor deploy/ and its token file.
func TestDockerignoreKeepsSecretsOut(t *testing.T) {
	patterns := strings.Fields(readFile(t, "../.dockerignore"))
	for _, want := range []string{"**/.env", "**/*.db", ".git", "deploy"} {
		if !slices.Contains(patterns, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// healthcheckTimeout is `sentinelle healthcheck`'s own limit on its
// request (cmd/sentinelle): Docker's timeout must leave it that and the
// process's start.
const healthcheckTimeout = 2 * time.Second

// entrypoint is the final stage's ENTRYPOINT, in exec form: the binary's
// path in the image, which a healthcheck runs too.
func entrypoint(t *testing.T) []string {
	t.Helper()
	all := stages(t)
	args, _ := last(all[len(all)-1], "ENTRYPOINT")
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil || len(argv) == 0 {
		t.Fatalf("ENTRYPOINT %q: want the exec form [\"/path/to/sentinelle\"] (%v)", args, err)
	}
	return argv
}

// checkHealthcheck: argv runs the image's binary with the healthcheck
// subcommand (no shell in the image), and timeout, as Docker reads it,
// leaves the command its own 2 s.
func checkHealthcheck(t *testing.T, where string, argv []string, timeout string) {
	t.Helper()
	binary := entrypoint(t)[0]
	if len(argv) < 2 || argv[0] != binary || argv[1] != "healthcheck" {
		t.Errorf("%s runs %q, want [%q healthcheck]: the image has no shell and no HTTP client", where, argv, binary)
	}
	if d, err := time.ParseDuration(timeout); err != nil || d <= healthcheckTimeout {
		t.Errorf("%s: timeout %q, want more than the command's own %s", where, timeout, healthcheckTimeout)
	}
}

// TestDockerfileHealthcheck: the final stage has a HEALTHCHECK that the
// distroless image can run: the binary's own subcommand, in exec form.
func TestDockerfileHealthcheck(t *testing.T) {
	all := stages(t)
	args, ok := last(all[len(all)-1], "HEALTHCHECK")
	if !ok {
		t.Fatal("the final stage has no HEALTHCHECK")
	}
	opts, cmd, ok := strings.Cut(args, "CMD ")
	var argv []string
	if err := json.Unmarshal([]byte(cmd), &argv); !ok || err != nil {
		t.Fatalf("HEALTHCHECK %q: want CMD in exec form, [\"…\", \"healthcheck\"] (%v)", args, err)
	}
	timeout := "30s" // Docker's default
	if m := regexp.MustCompile(`--timeout=(\S+)`).FindStringSubmatch(opts); m != nil {
		timeout = m[1]
	}
	checkHealthcheck(t, "HEALTHCHECK", argv, timeout)
}
