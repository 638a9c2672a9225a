// Package web serves what people and machines read over HTTP: the public
// status page, its JSON API, Prometheus metrics and the health probes.
package web

import (
	"log/slog"
	"net/http"
)

// Server holds what the handlers need. It has no package-level state: cmd
// builds one and mounts Handler.
type Server struct {
	log *slog.Logger
	mux *http.ServeMux
}

// Options are the dependencies of the web server.
type Options struct {
	Logger *slog.Logger
}

// New builds the server and its routes.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{log: log, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	return s
}

// Handler is the root handler to give an http.Server.
func (s *Server) Handler() http.Handler { return s.mux }

// healthz answers as long as the process serves HTTP: it is the liveness
// probe, and deliberately checks nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}
