package checker

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
)

// CHECK_TIMEOUT bounds the whole probe and nothing less: a portal that
// answers late but within it is judged on what it answered. These tests
// place each step (handshake, headers, body) late in the timeout, past
// where a step timeout derived from it used to cut the probe; the verdict
// is asserted, not the time.
func TestTimeoutIsTheWholeProbesLimit(t *testing.T) {
	const timeout = 2 * time.Second
	late := timeout * 17 / 20 // 0.85 × timeout
	mux := http.NewServeMux()
	mux.HandleFunc("/late-headers", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(late)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, loginPage)
	})
	mux.HandleFunc("/late-quota", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(late)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<p>"+monlyceeQuota+"</p>")
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><h1>MonLycée.net</h1>")
		w.(http.Flusher).Flush()
		time.Sleep(late)
		fmt.Fprint(w, loginPage[len("<!doctype html>"):])
	})
	mux.HandleFunc("/late-login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, loginPage)
	})
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)
	slowTLS := httptest.NewUnstartedServer(mux)
	slowTLS.Listener = &slowListener{Listener: slowTLS.Listener, delay: timeout * 3 / 5}
	slowTLS.Config.ErrorLog = log.New(io.Discard, "", 0) // the last handshake may be cut by Close
	slowTLS.StartTLS()
	t.Cleanup(slowTLS.Close)
	pool := x509.NewCertPool()
	pool.AddCert(slowTLS.Certificate())
	cat := testCatalog(t)
	p := NewProbe(ProbeOptions{Timeout: timeout, RootCAs: pool})

	tests := []struct {
		name, url  string
		wantReason status.Reason
	}{
		{"headers at 0.85 × timeout", plain.URL + "/late-headers", status.ReasonOK},
		{"a waiting room at 0.85 × timeout", plain.URL + "/late-quota", status.ReasonWaitingRoom},
		{"body finished at 0.85 × timeout", plain.URL + "/slow-body", status.ReasonOK},
		{"TLS handshake at 0.6 × timeout", slowTLS.URL + "/late-login", status.ReasonOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := p.Check(context.Background(), cat, catalog.Service{ID: "ent", URL: tt.url, SlowMS: 60_000})
			if got.Reason != tt.wantReason {
				t.Fatalf("got %s/%s (error %q), want %s", got.State, got.Reason, got.Error, tt.wantReason)
			}
		})
	}
}

// slowListener delays the first read of each connection: a server so
// loaded that it takes a while to start the TLS handshake.
type slowListener struct {
	net.Listener
	delay time.Duration
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &slowConn{Conn: c, delay: l.delay}, nil
}

type slowConn struct {
	net.Conn
	delay time.Duration
	once  sync.Once
}

func (c *slowConn) Read(b []byte) (int, error) {
	c.once.Do(func() { time.Sleep(c.delay) })
	return c.Conn.Read(b)
}
