package checker

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
)

const testTimeout = time.Second

// entMux is a fake ENT front: one path per way a portal failed in 2021.
func entMux() *http.ServeMux {
	mux := http.NewServeMux()
	html := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	mux.Handle("/login", html(200, loginPage))
	mux.Handle("/monlycee-quota", html(200, "<html><body><div class=msg>"+monlyceeQuota+"</div></body></html>"))
	mux.Handle("/grand-est", html(200, "<p>"+grandEstRestricted+"</p>"))
	mux.Handle("/occitanie", html(200, "<h1>ACCÈS <strong>momentanément</strong>\n\n   indisponible</h1>"))
	mux.Handle("/occitanie-entities", html(200, "<h1>Acc&egrave;s momentan&eacute;ment indisponible</h1>"))
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		fmt.Fprint(w, "<p>Acc\xe8s momentan\xe9ment indisponible</p>")
	})
	mux.Handle("/unavailable-503", html(503, "<title>Service indisponible</title><h1>Service indisponible</h1>"))
	mux.Handle("/cned-502", html(502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"))
	mux.Handle("/not-found", html(404, "<h1>Page introuvable sur ce portail</h1>"))
	mux.Handle("/white", html(200, "<html><head><title>e-lyco</title></head><body>  \n </body></html>"))
	mux.Handle("/empty", html(200, ""))
	mux.Handle("/spa", html(200, `<html><body><div id="app"></div><script src="/app.js"></script></body></html>`))
	mux.Handle("/script-text", html(200, loginPage+`<script>var msg = "Service indisponible, patienter pour y accéder à votre tour";</script>`))
	mux.HandleFunc("/cas-redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/cas/login?service=ent", http.StatusFound)
	})
	mux.Handle("/cas/login", html(200, loginPage))
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			html(200, loginPage)(w, r)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, loginPage)
		chunk := bytes.Repeat([]byte("<p>Bienvenue sur votre espace numérique de travail.</p>\n"), 1000)
		for written := 0; written < 5<<20; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/gzip-quota", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip expected", 400)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		fmt.Fprint(gz, "<p>"+monlyceeQuota+"</p>")
		gz.Close()
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(60 * time.Millisecond)
		html(200, loginPage)(w, r)
	})
	mux.HandleFunc("/never-finishes", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><h1>Chargement de votre espace")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/ua", func(w http.ResponseWriter, r *http.Request) {
		html(200, loginPage+"<p>"+r.Header.Get("User-Agent")+"</p>")(w, r)
	})
	return mux
}

func TestProbeJudgesEveryReason(t *testing.T) {
	srv := httptest.NewServer(entMux())
	t.Cleanup(srv.Close)
	hang := hangingListener(t)
	refused := refusedURL(t)
	cat := testCatalog(t)
	p := NewProbe(ProbeOptions{Timeout: testTimeout, UserAgent: UserAgent("test", "https://sentinelle.example.fr")})

	tests := []struct {
		name       string
		svc        catalog.Service
		wantState  status.State
		wantReason status.Reason
		wantStatus int
	}{
		{"login page", catalog.Service{URL: srv.URL + "/login"}, status.Up, status.ReasonOK, 200},
		{"MonLycée quota page with HTTP 200", catalog.Service{URL: srv.URL + "/monlycee-quota"}, status.Down, status.ReasonWaitingRoom, 200},
		{"Grand Est restricted access", catalog.Service{URL: srv.URL + "/grand-est"}, status.Down, status.ReasonWaitingRoom, 200},
		{"Occitanie, case, tags and whitespace", catalog.Service{URL: srv.URL + "/occitanie"}, status.Down, status.ReasonWaitingRoom, 200},
		{"Occitanie with HTML entities", catalog.Service{URL: srv.URL + "/occitanie-entities"}, status.Down, status.ReasonWaitingRoom, 200},
		{"Occitanie in ISO-8859-1", catalog.Service{URL: srv.URL + "/latin1"}, status.Down, status.ReasonWaitingRoom, 200},
		{"gzip quota page", catalog.Service{URL: srv.URL + "/gzip-quota"}, status.Down, status.ReasonWaitingRoom, 200},
		{"503 with a marker is a waiting room", catalog.Service{URL: srv.URL + "/unavailable-503"}, status.Down, status.ReasonWaitingRoom, 503},
		{"CNED 502", catalog.Service{URL: srv.URL + "/cned-502"}, status.Down, status.ReasonHTTPStatus, 502},
		{"404", catalog.Service{URL: srv.URL + "/not-found"}, status.Down, status.ReasonHTTPStatus, 404},
		{"expected 404", catalog.Service{URL: srv.URL + "/not-found", ExpectStatus: 404}, status.Up, status.ReasonOK, 404},
		{"e-lyco white page", catalog.Service{URL: srv.URL + "/white"}, status.Down, status.ReasonBlankPage, 200},
		{"empty 200", catalog.Service{URL: srv.URL + "/empty"}, status.Down, status.ReasonBlankPage, 200},
		{"single-page app shell is not blank", catalog.Service{URL: srv.URL + "/spa"}, status.Up, status.ReasonOK, 200},
		{"marker inside a script is ignored", catalog.Service{URL: srv.URL + "/script-text"}, status.Up, status.ReasonOK, 200},
		{"body_contains present, accents and case ignored", catalog.Service{URL: srv.URL + "/login", BodyContains: "MONLYCEE.NET"}, status.Up, status.ReasonOK, 200},
		{"body_contains as raw HTML", catalog.Service{URL: srv.URL + "/login", BodyContains: `type="password"`}, status.Up, status.ReasonOK, 200},
		{"body_contains missing", catalog.Service{URL: srv.URL + "/login", BodyContains: "EduConnect"}, status.Down, status.ReasonBodyMismatch, 200},
		{"redirect to a CAS login page", catalog.Service{URL: srv.URL + "/cas-redirect"}, status.Up, status.ReasonOK, 200},
		{"five redirects are followed", catalog.Service{URL: srv.URL + "/chain/5"}, status.Up, status.ReasonOK, 200},
		{"six redirects are too many", catalog.Service{URL: srv.URL + "/chain/6"}, status.Down, status.ReasonRedirectLoop, 302},
		{"redirect loop", catalog.Service{URL: srv.URL + "/loop"}, status.Down, status.ReasonRedirectLoop, 302},
		{"5 MB body", catalog.Service{URL: srv.URL + "/huge"}, status.Up, status.ReasonOK, 200},
		{"slow", catalog.Service{URL: srv.URL + "/slow", SlowMS: 20}, status.Degraded, status.ReasonSlow, 200},
		{"page that never finishes", catalog.Service{URL: srv.URL + "/never-finishes"}, status.Down, status.ReasonTimeout, 200},
		{"accepts and never answers", catalog.Service{URL: hang + "/"}, status.Down, status.ReasonTimeout, 0},
		{"connection refused", catalog.Service{URL: refused + "/"}, status.Down, status.ReasonConnection, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.svc.ID = "ent"
			got := p.Check(context.Background(), cat, tt.svc)
			if got.State != tt.wantState || got.Reason != tt.wantReason || got.HTTPStatus != tt.wantStatus {
				t.Fatalf("got %s/%s HTTP %d (error %q, marker %q), want %s/%s HTTP %d",
					got.State, got.Reason, got.HTTPStatus, got.Error, got.Marker, tt.wantState, tt.wantReason, tt.wantStatus)
			}
			if got.Reason == status.ReasonTimeout && (got.Latency < testTimeout*3/4 || got.Latency > 2*testTimeout) {
				t.Errorf("timeout after %v, want about %v", got.Latency, testTimeout)
			}
		})
	}
}

func TestProbeRecordsFinalURLAndMarker(t *testing.T) {
	srv := httptest.NewServer(entMux())
	t.Cleanup(srv.Close)
	cat := testCatalog(t)
	p := NewProbe(ProbeOptions{Timeout: testTimeout})
	got := p.Check(context.Background(), cat, catalog.Service{ID: "x", URL: srv.URL + "/cas-redirect"})
	if want := srv.URL + "/cas/login?service=ent"; got.FinalURL != want {
		t.Errorf("final URL %q, want %q", got.FinalURL, want)
	}
	got = p.Check(context.Background(), cat, catalog.Service{ID: "x", URL: srv.URL + "/monlycee-quota"})
	if got.Marker == "" {
		t.Error("waiting room without its marker")
	}
}

func TestProbeSendsUserAgent(t *testing.T) {
	srv := httptest.NewServer(entMux())
	t.Cleanup(srv.Close)
	p := NewProbe(ProbeOptions{Timeout: testTimeout, UserAgent: UserAgent("1.2.3", "https://sentinelle.example.fr")})
	f := p.Fetch(context.Background(), srv.URL+"/ua")
	if want := "Sentinelle/1.2.3 (+https://sentinelle.example.fr)"; !strings.Contains(string(f.Body), want) {
		t.Fatalf("server saw no %q in %q", want, f.Body)
	}
}

func TestProbeCapsBodyAfterDecompression(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write(bytes.Repeat([]byte("a"), 5<<20)) // 5 MB that compresses to a few KB
		gz.Close()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f := NewProbe(ProbeOptions{Timeout: 2 * time.Second}).Fetch(context.Background(), srv.URL)
	if f.Err != nil || len(f.Body) != DefaultMaxBody || !f.Truncated {
		t.Fatalf("read %d bytes (truncated %v, err %v), want exactly %d and truncated", len(f.Body), f.Truncated, f.Err, DefaultMaxBody)
	}
}

func TestProbeTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(entMux())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cat := testCatalog(t)
	svc := catalog.Service{ID: "ent", URL: srv.URL + "/login"}

	// A generous timeout: the handshake is slow under -race, and the
	// verdict must come from the certificate, not from the clock.
	untrusted := NewProbe(ProbeOptions{Timeout: 10 * time.Second}).Check(context.Background(), cat, svc)
	if untrusted.State != status.Down || untrusted.Reason != status.ReasonTLS {
		t.Errorf("self-signed certificate: %s/%s (%s), want down/tls", untrusted.State, untrusted.Reason, untrusted.Error)
	}

	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	trusted := NewProbe(ProbeOptions{Timeout: 10 * time.Second, RootCAs: pool}).Check(context.Background(), cat, svc)
	if trusted.State != status.Up {
		t.Errorf("trusted certificate: %s/%s (%s), want up", trusted.State, trusted.Reason, trusted.Error)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want status.Reason
	}{
		{"DNS", &net.DNSError{Err: "no such host", Name: "ent.example", IsNotFound: true}, status.ReasonConnection},
		{"DNS timeout is still DNS", &net.DNSError{Err: "i/o timeout", Name: "ent.example", IsTimeout: true}, status.ReasonConnection},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded), status.ReasonTimeout},
		{"redirects", fmt.Errorf("get: %w", errTooManyRedirects), status.ReasonRedirectLoop},
		{"certificate", fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), status.ReasonTLS},
		{"reset", &net.OpError{Op: "read", Err: fmt.Errorf("connection reset by peer")}, status.ReasonConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Fatalf("classify(%v) = %s, want %s", tt.err, got, tt.want)
			}
		})
	}
}

func TestUserAgent(t *testing.T) {
	if got := UserAgent("", ""); got != "Sentinelle/dev" {
		t.Errorf("UserAgent without version nor URL = %q", got)
	}
}
