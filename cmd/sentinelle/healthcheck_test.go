package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestHealthcheckCommand runs `sentinelle healthcheck` against a fake
// service on 127.0.0.1, reached through HTTP_ADDR as the service's own
// configuration gives it (a wildcard host): exit 0 only on 200 and "ok",
// else 1 and one French line that says what went wrong.
func TestHealthcheckCommand(t *testing.T) {
	var hits []string
	answer := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			hits = append(hits, r.URL.Path)
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		}
	}
	tests := []struct {
		name     string
		args     []string
		handler  http.HandlerFunc
		wantCode int
		wantPath string
		wantErr  []string
	}{
		{"alive", nil, answer(200, "ok\n"), 0, "/healthz", nil},
		{"ready leader", []string{"-readyz"}, answer(200, "ok\nleader\n"), 0, "/readyz", nil},
		{"not ready", []string{"-readyz"}, answer(503, "base de données non inscriptible\nfollower\n"), 1, "/readyz",
			[]string{"/readyz a répondu 503 : base de données non inscriptible"}},
		{"server error", nil, answer(500, ""), 1, "/healthz", []string{"a répondu 500 : (vide)"}},
		{"another program", nil, answer(200, "<html>\r\n"), 1, "/healthz", []string{"sans « ok »", ": <html>"}},
		{"redirect", nil, func(w http.ResponseWriter, r *http.Request) {
			hits = append(hits, r.URL.Path)
			http.Redirect(w, r, "/login", http.StatusFound)
		}, 1, "/healthz", []string{"a répondu 302"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits = nil
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			code, stderr := healthcheck(t, ":"+port, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantCode, stderr)
			}
			if len(hits) != 1 || hits[0] != tt.wantPath {
				t.Errorf("requests %v, want one to %s", hits, tt.wantPath)
			}
			if tt.wantCode == 0 && stderr != "" {
				t.Errorf("stderr %q on success, want nothing", stderr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q lacks %q", stderr, want)
				}
			}
			if tt.wantCode != 0 && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line", stderr)
			}
		})
	}
}

// TestHealthcheckRefused: nothing listens at HTTP_ADDR (the service is
// down): exit 1, and the line says the connection was refused.
func TestHealthcheckRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, stderr := healthcheck(t, addr)
	if code != 1 || !strings.Contains(stderr, "connexion refusée") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying the connection was refused", code, stderr)
	}
}

// TestHealthcheckTimeout: a service that accepts the connection and never
// answers is reported once the timeout has passed (here a short one; the
// command's is healthcheckTimeout).
func TestHealthcheckTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	err := probeHealth(context.Background(), srv.Listener.Addr().String(), "/healthz", 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "n'a pas répondu en 50ms") {
		t.Fatalf("got %v, want a timeout after 50ms", err)
	}
	if healthcheckTimeout != 2*time.Second {
		t.Errorf("healthcheckTimeout = %s, want the 2s docs/deploy.md gives", healthcheckTimeout)
	}
}

// TestHealthcheckBadConfig: a bad configuration or command line exits 1,
// not 2, which Docker reserves.
func TestHealthcheckBadConfig(t *testing.T) {
	for name, args := range map[string][]string{"flag": {"-verbose"}, "argument": {"now"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"sentinelle", "healthcheck"}, args...), envOf(nil), &out, &errb); code != 1 {
			t.Errorf("%s: exit %d, want 1; stderr %q", name, code, errb.String())
		}
	}
	code, stderr := healthcheck(t, ":0")
	if code != 1 || !strings.Contains(stderr, `HTTP_ADDR=":0"`) {
		t.Errorf("HTTP_ADDR=:0: exit %d, stderr %q; want 1 naming HTTP_ADDR", code, stderr)
	}
	code, stderr = healthcheck(t, "8080")
	if code != 1 || !strings.Contains(stderr, `HTTP_ADDR="8080"`) {
		t.Errorf("HTTP_ADDR=8080: exit %d, stderr %q; want 1 naming HTTP_ADDR", code, stderr)
	}
}

// TestHealthcheckIPv6: an IPv6 HTTP_ADDR is dialled as given, brackets
// and all.
func TestHealthcheckIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})}}
	srv.Start()
	defer srv.Close()
	if code, stderr := healthcheck(t, ln.Addr().String()); code != 0 {
		t.Fatalf("HTTP_ADDR=%s: exit %d, stderr %q", ln.Addr(), code, stderr)
	}
}

// TestLocalAddr: the address a listener's HTTP_ADDR is reached at from
// the same machine.
func TestLocalAddr(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":               "127.0.0.1:8080",
		"0.0.0.0:8080":        "127.0.0.1:8080",
		"[::]:8080":           "127.0.0.1:8080",
		"127.0.0.1:9000":      "127.0.0.1:9000",
		"10.0.1.10:8080":      "10.0.1.10:8080",
		"[::1]:8080":          "[::1]:8080",
		"[fe80::1%eth0]:8080": "[fe80::1%eth0]:8080",
		"localhost:8080":      "localhost:8080",
	} {
		if got, err := localAddr(addr); err != nil || got != want {
			t.Errorf("localAddr(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, addr := range []string{":0", "8080", "::1:8080", ""} {
		if got, err := localAddr(addr); err == nil {
			t.Errorf("localAddr(%q) = %q, want an error", addr, got)
		}
	}
}

// healthcheck runs `sentinelle healthcheck args…` with HTTP_ADDR=addr and
// returns its exit code and stderr.
func healthcheck(t *testing.T, addr string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"sentinelle", "healthcheck"}, args...),
		envOf(map[string]string{"HTTP_ADDR": addr}), &out, &errb)
	if out.Len() != 0 {
		t.Errorf("stdout %q, want nothing", out.String())
	}
	return code, errb.String()
}
