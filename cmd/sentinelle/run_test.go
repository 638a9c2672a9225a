package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sentinelle/internal/logtest"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"help", []string{"help"}, 0, "Usage", ""},
		{"dash help", []string{"--help"}, 0, "Usage", ""},
		{"version", []string{"version"}, 0, "sentinelle ", ""},
		{"unknown subcommand", []string{"frobnicate"}, 2, "", "commande inconnue : frobnicate"},
		{"unknown flag", []string{"--verbose"}, 2, "", "option inconnue : --verbose"},
		{"unknown flag of run", []string{"run", "--port=1"}, 2, "", "flag provided but not defined"},
		{"extra argument", []string{"version", "x"}, 2, "", "argument inattendu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"sentinelle"}, tt.args...), envOf(nil), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, errb.String())
			}
			if !strings.Contains(out.String(), tt.wantOut) || !strings.Contains(errb.String(), tt.wantErr) {
				t.Fatalf("stdout %q stderr %q; want %q / %q", out.String(), errb.String(), tt.wantOut, tt.wantErr)
			}
			if tt.wantCode == 2 && !strings.Contains(errb.String(), "Usage") {
				t.Fatalf("exit 2 without the usage text: %q", errb.String())
			}
		})
	}
}

func TestRunBadConfigExits2(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"sentinelle"}, envOf(map[string]string{"CHECK_TIMEOUT": "forever", "UP_AFTER": "0"}), &out, &errb)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"CHECK_TIMEOUT=\"forever\"", "UP_AFTER=\"0\""} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr %q lacks %q", errb.String(), want)
		}
	}
}

func TestCatalogCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"sentinelle", "catalog"}, envOf(nil), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"30 académies", "versailles", "Île-de-France", "lumni"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("catalog output lacks %q", want)
		}
	}
}

var addrPattern = regexp.MustCompile(`http_addr=(127\.0\.0\.1:[0-9]+)`)

// TestServeWithoutToken starts the real service on a free port with no bot
// token: it must serve /healthz, say it leads (SQLite: one process, always
// the leader) on /readyz and /metrics, say in one log line that the bot is
// off and how to turn it on, and stop cleanly when cancelled.
func TestServeWithoutToken(t *testing.T) {
	env := envOf(map[string]string{
		"HTTP_ADDR":     "127.0.0.1:0",
		"DATABASE_PATH": filepath.Join(t.TempDir(), "s.db"),
		"CANARY_URLS":   "",
	})
	ctx, cancel := context.WithCancel(context.Background())
	var logs logtest.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"sentinelle"}, env, io.Discard, &logs) }()

	var addr string
	deadline := time.Now().Add(20 * time.Second)
	for addr == "" && time.Now().Before(deadline) {
		if m := addrPattern.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("service exited with %d: %s", code, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if addr == "" {
		t.Fatalf("no listening address logged: %s", logs.String())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("/healthz = %d %q", resp.StatusCode, body)
	}
	if ready := getBody(t, "http://"+addr+"/readyz"); ready != "ok\nleader\n" {
		t.Errorf("/readyz = %q, want %q", ready, "ok\nleader\n")
	}
	if metrics := getBody(t, "http://"+addr+"/metrics"); !strings.Contains(metrics, "\nsentinelle_leader 1\n") {
		t.Errorf("/metrics lacks sentinelle_leader 1")
	}
	if n := strings.Count(logs.String(), "bot off"); n != 1 || !strings.Contains(logs.String(), "TELEGRAM_BOT_TOKEN") {
		t.Fatalf("want exactly one 'bot off' line naming TELEGRAM_BOT_TOKEN, logs:\n%s", logs.String())
	}
	stopService(t, cancel, done, 15*time.Second, &logs)
}
