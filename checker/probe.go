package checker

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"sentinelle/status"
)

// Defaults of ProbeOptions.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultMaxBody      = 256 << 10 // bytes after decompression: a login page is far smaller
	DefaultMaxRedirects = 5
)

// ProbeOptions configures a Probe. Only Timeout and UserAgent matter in
// production; the rest lets tests and operators adjust the transport.
type ProbeOptions struct {
	// Timeout bounds the whole exchange, and is its only deadline by
	// default: dial, TLS, headers and body share it, so a portal that
	// answers at 0.9 × Timeout is judged on its answer. CHECK_TIMEOUT;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// DialTimeout, TLSHandshakeTimeout and ResponseHeaderTimeout, when set,
	// also fail a probe early on the step that hangs. Zero: no limit of
	// their own, only Timeout.
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout time.Duration
	// UserAgent identifies Sentinelle to the portals' operators; see
	// UserAgent.
	UserAgent string
	// RootCAs replaces the system's certificate authorities: tests use it to
	// trust an httptest TLS server. Verification is never turned off.
	RootCAs *x509.CertPool
	// Transport replaces the whole transport (then RootCAs and the three
	// step timeouts are ignored; Timeout still applies).
	Transport http.RoundTripper
	// MaxBody is how much of a body is read; DefaultMaxBody when zero.
	MaxBody int64
	// MaxRedirects is how many redirects are followed; DefaultMaxRedirects
	// when zero.
	MaxRedirects int
	// Now measures latencies; time.Now when nil.
	Now func() time.Time
}

// UserAgent is the User-Agent of the probes: "Sentinelle/<version>
// (+<public URL>)", so that a portal's operator who sees the requests in
// their logs can find out who sends them and why.
func UserAgent(version, publicURL string) string {
	if version == "" {
		version = "dev"
	}
	if publicURL == "" {
		return "Sentinelle/" + version
	}
	return fmt.Sprintf("Sentinelle/%s (+%s)", version, publicURL)
}

// Probe fetches pages the way a family's browser would on its first visit:
// a fresh connection (no keep-alive, so each round measures dial and TLS
// too), redirects followed up to a limit, certificates verified, gzip
// decoded, the body read through a cap. It is safe for concurrent use.
type Probe struct {
	client  *http.Client
	ua      string
	timeout time.Duration
	maxBody int64
	now     func() time.Time
}

// errTooManyRedirects marks a redirect chain longer than allowed.
var errTooManyRedirects = errors.New("checker: too many redirects")

// NewProbe builds a Probe from its options.
func NewProbe(o ProbeOptions) *Probe {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rt := o.Transport
	if rt == nil {
		rt = newTransport(o)
	}
	maxRedirects := o.MaxRedirects
	client := &http.Client{
		Transport: rt, // no Client.Timeout: Fetch's context bounds the whole exchange
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return errTooManyRedirects
			}
			return nil
		},
	}
	return &Probe{client: client, ua: o.UserAgent, timeout: o.Timeout, maxBody: o.MaxBody, now: o.Now}
}

// newTransport builds the probes' transport. Fetch's context carries the
// one deadline of a probe; the step timeouts are zero (no limit) unless
// set.
func newTransport(o ProbeOptions) *http.Transport {
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: max(o.DialTimeout, 0)}).DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    max(o.TLSHandshakeTimeout, 0),
		ResponseHeaderTimeout:  max(o.ResponseHeaderTimeout, 0),
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Fetch is the raw observation of one GET, before any judgement.
type Fetch struct {
	URL         string
	FinalURL    string // after redirects; empty when no response came
	HTTPStatus  int    // 0 when no response came
	ContentType string
	Body        []byte // at most MaxBody bytes, decompressed
	Truncated   bool   // the body was longer than MaxBody
	Latency     time.Duration
	Err         error // transport failure, timeout (also while reading the body), too many redirects
}

// Answered reports whether the server sent an HTTP response at all, which
// is what a canary must do to prove that the checker's network works.
func (f Fetch) Answered() bool { return f.HTTPStatus != 0 }

// Fetch GETs url within the probe's timeout and reads the body through the
// cap. One deadline covers the whole exchange: a body still arriving when
// it passes is a timeout. It never returns an error: failures are part of
// the observation.
func (p *Probe) Fetch(ctx context.Context, url string) (f Fetch) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	f.URL = url
	start := p.now()
	defer func() { f.Latency = p.now().Sub(start) }()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		f.Err = err
		return f
	}
	if p.ua != "" {
		req.Header.Set("User-Agent", p.ua)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9")
	resp, err := p.client.Do(req)
	if resp != nil {
		f.HTTPStatus, f.FinalURL = resp.StatusCode, resp.Request.URL.String()
		f.ContentType = resp.Header.Get("Content-Type")
	}
	if err != nil {
		f.Err = err
		return f
	}
	defer resp.Body.Close()
	f.Body, err = io.ReadAll(io.LimitReader(resp.Body, p.maxBody+1))
	if int64(len(f.Body)) > p.maxBody {
		f.Body, f.Truncated = f.Body[:p.maxBody], true
	}
	if err != nil {
		f.Err = fmt.Errorf("read body: %w", err)
	}
	return f
}

// classify turns a transport error into a reason. Order matters: a TLS
// handshake that times out is a timeout, a certificate refused is TLS, and
// whatever else prevented an answer (refused, reset, DNS) is connection.
func classify(err error) status.Reason {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, errTooManyRedirects):
		return status.ReasonRedirectLoop
	case isTLSError(err):
		return status.ReasonTLS
	case errors.As(err, &dnsErr):
		return status.ReasonConnection
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return status.ReasonTimeout
	}
	return status.ReasonConnection
}

func isTLSError(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
		record           tls.RecordHeaderError
		alert            tls.AlertError
	)
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verification) || errors.As(err, &record) || errors.As(err, &alert)
}
