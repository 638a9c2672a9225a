// Package web serves what people and machines read over HTTP: the public
// status page a parent opens from the bot's link and the académie staff keep
// on a screen, its JSON API and Atom feed, Prometheus metrics and the health
// probes.
//
// Pages are rendered on the server with html/template, in French, with no
// script and no external asset, so that they load on a saturated morning on
// a phone, and they answer under a Content-Security-Policy that allows
// nothing but their own inline style. The overview is read from the database
// at most once per cache period however many families reload it.
package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"sentinelle/catalog"
)

// Server holds what the handlers need. It has no package-level state: cmd
// builds one and mounts Handler.
type Server struct {
	log         *slog.Logger
	mux         *http.ServeMux
	handler     http.Handler
	store       Store
	cat         *catalog.Catalog
	now         func() time.Time
	loc         *time.Location
	bot         string
	publicURL   string
	metrics     *Metrics
	maxRoundAge time.Duration
	startedAt   time.Time
	cacheTTL    time.Duration
	pages       *pages
	csp         string
	cache       *ttlCache // the overview, the académie pages, the feed
	queries     *ttlCache // /api/incidents answers, by query
	writable    *writeCheck
	leading     func() (fence int64, ok bool)

	qrMu sync.Mutex
	qr   map[string]string // académie slug -> QR code SVG of its deep link
}

// Options are the dependencies of the web server. Store and Catalog are
// needed for everything but /healthz; without them the status routes answer
// 503.
type Options struct {
	Store   Store
	Catalog *catalog.Catalog
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
	// Location is where times are shown; nil: catalog.DefaultLocation
	// (Paris).
	Location *time.Location
	// BotUsername is the bot's @username, with or without the @; empty
	// when the bot is off: pages then say so instead of giving a link.
	BotUsername string
	PublicURL   string // absolute base URL, used in the Atom feed
	Metrics     *Metrics
	// MaxRoundAge is how old the last finished round may be before /readyz
	// fails and the page warns that states are stale: three check
	// intervals. Zero: 3 minutes; negative: never stale.
	MaxRoundAge time.Duration
	// StartedAt is when the service started: before any round, it is ready
	// for MaxRoundAge after it.
	StartedAt time.Time
	// Leading says whether this instance is the leader among those sharing
	// one database (the one that polls Telegram and sends), as
	// leader.Elector.Leading does: /readyz says "leader" or "follower" and
	// /metrics has sentinelle_leader. Nil: always the leader (SQLite, one
	// process).
	Leading func() (fence int64, ok bool)
	// CacheTTL is how long what is read from the database for the pages,
	// the API and the feed is reused. Zero: 10 s; negative: never reused.
	CacheTTL time.Duration
}

// New builds the server and its routes.
func New(opts Options) *Server {
	s := &Server{
		log: opts.Logger, store: opts.Store, cat: opts.Catalog, now: opts.Now, loc: opts.Location,
		bot: strings.TrimPrefix(strings.TrimSpace(opts.BotUsername), "@"), publicURL: strings.TrimRight(opts.PublicURL, "/"),
		metrics: opts.Metrics, maxRoundAge: opts.MaxRoundAge, startedAt: opts.StartedAt, cacheTTL: opts.CacheTTL,
		mux: http.NewServeMux(), pages: mustParsePages(), qr: map[string]string{}, leading: opts.Leading,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = catalog.DefaultLocation()
	}
	if s.maxRoundAge == 0 {
		s.maxRoundAge = 3 * time.Minute
	}
	if s.startedAt.IsZero() {
		s.startedAt = s.now()
	}
	if s.leading == nil {
		s.leading = func() (int64, bool) { return 1, true }
	}
	if s.metrics != nil {
		s.metrics.watchLeader(s.leading)
	}
	if s.cacheTTL == 0 {
		s.cacheTTL = 10 * time.Second
	}
	if ms, ok := s.store.(metricsStore); ok && s.metrics != nil {
		s.metrics.watchStore(ms, s.now, s.log, s.checkerStatus)
	}
	s.cache = newTTLCache(s.cacheTTL, maxPageEntries)
	s.queries = newTTLCache(s.cacheTTL, maxQueryEntries)
	if s.store != nil {
		s.writable = &writeCheck{ping: s.store.Ping}
	}
	s.csp = "default-src 'none'; style-src '" + s.pages.styleHash + "'; img-src 'self' data:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
	s.routes()
	s.handler = secure(s.mux, s.csp)
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.needStore(s.index))
	s.mux.HandleFunc("GET /academie/{slug}", s.needStore(s.academy))
	s.mux.HandleFunc("GET /api/status", s.needStore(s.apiStatus))
	s.mux.HandleFunc("GET /api/incidents", s.needStore(s.apiIncidents))
	s.mux.HandleFunc("GET /feed.atom", s.needStore(s.feed))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.HandleFunc("/", s.notFound)
}

// Handler is the root handler to give an http.Server.
func (s *Server) Handler() http.Handler { return s.handler }

// needStore answers 503 on the status routes of a server built without a
// database or a catalog, instead of a nil dereference.
func (s *Server) needStore(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.store == nil || s.cat == nil {
			noStore(w)
			http.Error(w, "Page d'état indisponible : service mal configuré.", http.StatusServiceUnavailable)
			return
		}
		h(w, r)
	}
}

// overview returns the current snapshot, read again from the database when
// the cached one is older than the cache period, so that a thousand parents
// reloading at 8:00 cost one read.
func (s *Server) overview(ctx context.Context) (*snapshot, error) {
	now := s.now()
	v, err := s.cache.get(now, "overview", func() (any, error) { return s.buildSnapshot(ctx, now) })
	if err != nil {
		return nil, err
	}
	return v.(*snapshot), nil
}

// healthz answers as long as the process serves HTTP: it is the liveness
// probe, and deliberately checks nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// secure sets the headers every response carries: a policy that allows no
// script, no frame and no external anything but the page's own inline style
// sheet (by its hash), whatever a handler forgot.
func secure(next http.Handler, csp string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// cachePublic lets browsers and a reverse proxy reuse a page or an API
// answer for 30 s: the states change once a minute at most.
func cachePublic(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "public, max-age=30")
}

// noStore forbids caching: probes and metrics must be read live.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

// writeBody sends a fully rendered body, so that a template error never
// leaves half a page behind a 200.
func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// serverError logs what went wrong and shows a fixed French sentence.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		s.log.Debug("web: request cancelled", "path", r.URL.Path)
	} else {
		s.log.Error("web: request failed", "path", r.URL.Path, "error", err)
	}
	noStore(w)
	var buf bytes.Buffer
	if terr := s.pages.render(&buf, "error", s.pageData("Erreur", nil)); terr != nil {
		http.Error(w, "Erreur interne : réessayez dans une minute.", http.StatusInternalServerError)
		return
	}
	writeBody(w, r, http.StatusInternalServerError, "text/html; charset=utf-8", buf.Bytes())
}
