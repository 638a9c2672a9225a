package web

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath finds Debian's chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium absent: apt-get install chromium (CI installs it)")
	return ""
}

// runChromium runs a headless chromium with the given extra arguments on
// url, with every name but 127.0.0.1 unresolvable so that it reaches
// nothing beyond the test server, and returns its stdout and stderr.
func runChromium(t *testing.T, bin, url string, extra ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	args = append(append(args, extra...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\nstderr:\n%s", extra, err, errOut.String())
	}
	return out.String(), errOut.String()
}

// consoleProblems picks from chromium's log what a page must not produce:
// console messages (there is no script, so any is an error), uncaught
// errors, and resources refused by the Content-Security-Policy.
func consoleProblems(stderr string) []string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Refused to") {
			out = append(out, line)
		}
	}
	return out
}

// cardState finds the state label shown on an académie's card of the
// overview, as the browser built the DOM.
func cardState(dom, slug string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(slug) + `"[^>]*>\s*<h3>.*?<span class="st [a-z]">([^<]+)</span>`)
	m := re.FindStringSubmatch(dom)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestBrowser loads the overview and Versailles's page in a real headless
// chromium, checks the states it shows and that nothing went to the
// console, and saves screenshots at phone and desktop widths under
// $SCREENSHOT_DIR (or a temporary directory).
func TestBrowser(t *testing.T) {
	bin := chromiumPath(t)
	t.Parallel()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv, _ := fullServer(t)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	dir := screenshotDir(t)
	t.Logf("screenshots in %s", dir)

	checks := map[string]func(t *testing.T, dom string){"/": checkOverview, "/academie/versailles": checkVersailles}
	for _, shot := range []struct{ name, path, size string }{
		{"index-phone.png", "/", "390,844"},
		{"index-desktop.png", "/", "1366,900"},
		{"versailles-phone.png", "/academie/versailles", "390,844"},
		{"versailles-desktop.png", "/academie/versailles", "1366,900"},
	} {
		t.Run(shot.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, shot.name)
			dom, stderr := runChromium(t, bin, ts.URL+shot.path, "--hide-scrollbars", "--dump-dom",
				"--screenshot="+file, "--window-size="+shot.size)
			if p := consoleProblems(stderr); len(p) > 0 {
				t.Errorf("%s produced console errors:\n%s", shot.path, strings.Join(p, "\n"))
			}
			checks[shot.path](t, dom)
			st, err := os.Stat(file)
			if err != nil || st.Size() < 5000 {
				t.Errorf("screenshot %s missing or empty: %v", file, err)
			}
		})
	}
}

// screenshotDir is where screenshots go: $SCREENSHOT_DIR, made when
// missing, or a temporary directory.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkOverview checks the states the overview shows, as the browser built
// its DOM.
func checkOverview(t *testing.T, dom string) {
	t.Helper()
	for slug, want := range map[string]string{
		"versailles": "panne", "creteil": "panne", "lyon": "maintenance",
		"montpellier": "lenteurs", "rennes": "fonctionne", "wallis-et-futuna": "sans ENT suivi",
	} {
		if got := cardState(dom, slug); got != want {
			t.Errorf("/ shows %s as %q, want %q", slug, got, want)
		}
	}
	if !strings.Contains(dom, "pannes en cours") {
		t.Error("/ lacks the banner of open incidents")
	}
}

// checkVersailles checks the page of Versailles: its outage, its history
// and how to subscribe.
func checkVersailles(t *testing.T, dom string) {
	t.Helper()
	dom = strings.ReplaceAll(dom, "&nbsp;", "\u00a0")
	for _, want := range []string{"MonLycée.net", "file d'attente (trop de connexions)", "https://t.me/SentinelleENTBot?start=a_versailles",
		`class="qr"`, "Historique des pannes", "En panne depuis le mardi 6\u00a0avril à 7\u00a0h\u00a030."} {
		if !strings.Contains(dom, want) {
			t.Errorf("/academie/versailles lacks %q", want)
		}
	}
}
