package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// healthcheckTimeout bounds the whole request: a service that hangs is
// reported as such at once, well within the orchestrator's own timeout.
const healthcheckTimeout = 2 * time.Second

// runHealthcheck is `sentinelle healthcheck [-readyz]`: it asks the
// running service, at the address HTTP_ADDR gives, for /healthz (alive),
// or /readyz with -readyz (database writable, recent round), and exits 0
// when it answers 200 with "ok" as its first line. Anything else prints
// one French line on stderr and exits 1, a bad command line or
// configuration included: Docker's HEALTHCHECK reads 0 as healthy and 1
// as unhealthy, and reserves 2. It needs no shell and no HTTP client in
// the image, which has neither.
func runHealthcheck(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	ready := fs.Bool("readyz", false, "interroge /readyz au lieu de /healthz")
	code := withFlags(fs, args, lookupEnv, stderr, func(cfg Config) int {
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		if err := probeHealth(ctx, cfg.HTTPAddr, path, healthcheckTimeout); err != nil {
			fmt.Fprintf(stderr, "sentinelle : %v\n", err)
			return 1
		}
		return 0
	})
	return min(code, 1)
}

// probeHealth asks the service listening on addr (HTTP_ADDR) for path and
// returns nil when it answers 200 with "ok" as the body's first line, else
// an error of one French line that says what happened.
func probeHealth(ctx context.Context, addr, path string, timeout time.Duration) error {
	host, err := localAddr(addr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR=%q : %v", addr, err)
	}
	target := "http://" + host + path
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR=%q : %v", addr, err)
	}
	client := &http.Client{
		// No proxy from the environment, no connection kept: one request
		// to this machine, then the process exits.
		Transport: &http.Transport{DisableKeepAlives: true},
		// The service never redirects its probes: a redirect is a wrong
		// answer, reported with its status code.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s n'a pas répondu en %s", target, timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s : connexion refusée (le service n'écoute pas à HTTP_ADDR=%s)", target, addr)
	case err != nil:
		return fmt.Errorf("%s injoignable (%v)", target, innermost(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s n'a pas fini sa réponse en %s", target, timeout)
	case err != nil:
		return fmt.Errorf("%s : réponse %d interrompue (%v)", target, resp.StatusCode, innermost(err))
	}
	first, _, _ := strings.Cut(string(body), "\n")
	first = oneLine(first)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s a répondu %d : %s", target, resp.StatusCode, first)
	case first != "ok":
		return fmt.Errorf("%s a répondu 200 sans « ok » (un autre programme sur ce port ?) : %s", target, first)
	}
	return nil
}

// localAddr is the address at which this machine reaches a server
// listening on addr: a wildcard host (":8080", "0.0.0.0:8080",
// "[::]:8080") becomes 127.0.0.1, which Go's listener on a wildcard
// accepts whether or not IPv6 is enabled; any other host is kept
// ("[::1]:8080", "10.0.1.10:8080"). Port 0 is refused: the port was drawn
// at start and only the service's log says which.
func localAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", errors.New("une adresse hôte:port attendue, par exemple :8080")
	}
	if port == "" || port == "0" {
		return "", errors.New("port tiré au démarrage : healthcheck ne peut pas le connaître, donnez un port fixe")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// innermost is the deepest error err wraps, without the URL and the
// operation that url.Error and net.OpError put in front.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// oneLine is s fit for one line of a message: no control characters, at
// most 200 characters, "(vide)" when nothing is left.
func oneLine(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		return "(vide)"
	}
	return s
}
