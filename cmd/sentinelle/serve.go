package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
	"sentinelle/web"
)

// serve runs the service until ctx is cancelled, then stops its parts in
// order: checker (letting a running round finish), update poller,
// dispatcher, HTTP server (5 s), database last.
func serve(ctx context.Context, cfg Config, stdout, stderr io.Writer) int {
	log := newLogger(cfg, stderr)
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		log.Error("catalog invalid", "error", err)
		return 1
	}
	store, err := storage.Open(ctx, cfg.DatabasePath, time.Now)
	if err != nil {
		log.Error("database unusable", "path", cfg.DatabasePath, "error", err)
		return 1
	}
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("close database", "error", err)
		}
	}()

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		log.Error("cannot listen", "addr", cfg.HTTPAddr, "error", err)
		return 1
	}
	site := web.New(web.Options{Logger: log})
	srv := &http.Server{
		Handler:           site.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	log.Info("sentinelle started", "version", buildVersion(), "http_addr", ln.Addr().String(),
		"public_url", cfg.PublicURL, "academies", len(cat.Academies), "services", len(cat.Services))

	if cfg.TelegramToken == "" {
		log.Info("bot off: set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_FILE) to turn it on")
	}

	select {
	case <-ctx.Done():
	case err := <-httpDone:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "error", err)
			return 1
		}
	}
	log.Info("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	log.Info("stopped")
	return 0
}

// printCatalog validates the catalog and lists académies and services.
func printCatalog(cfg Config, stdout, stderr io.Writer) int {
	cat, err := catalog.Load(cfg.CatalogFile)
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : catalogue invalide :\n%v\n", err)
		return 1
	}
	src := "intégré"
	if cfg.CatalogFile != "" {
		src = cfg.CatalogFile
	}
	vr := 0
	for _, a := range cat.Academies {
		if a.ViceRectorat {
			vr++
		}
	}
	fmt.Fprintf(stdout, "Catalogue %s : %d académies (+ %d vice-rectorats), %d services.\n",
		src, len(cat.Academies)-vr, vr, len(cat.Services))
	for _, region := range cat.Regions() {
		fmt.Fprintf(stdout, "\n%s\n", region)
		for _, a := range cat.AcademiesIn(region) {
			mark := ""
			if a.ViceRectorat {
				mark = " (vice-rectorat)"
			}
			fmt.Fprintf(stdout, "  %-20s %-4s %-22s zone %-12s %v%s\n", a.Slug, a.Code, a.Name, a.Zone, a.Services, mark)
		}
	}
	fmt.Fprintln(stdout, "\nServices")
	for _, s := range cat.Services {
		flags := ""
		if s.National {
			flags += " national"
		}
		if s.Unsure {
			flags += " incertain"
		}
		fmt.Fprintf(stdout, "  %-22s %-40s %s%s\n", s.ID, s.Name, s.URL, flags)
	}
	return 0
}
