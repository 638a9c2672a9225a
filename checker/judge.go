package checker

import (
	"context"
	"strings"
	"sync"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
)

// Result is one probe of one service and its judgement.
type Result struct {
	ServiceID  string
	URL        string
	State      status.State // Up, Degraded or Down
	Reason     status.Reason
	HTTPStatus int // 0 when no response came
	Latency    time.Duration
	FinalURL   string
	Marker     string // the waiting-room marker found, as written in the catalog
	Error      string // the transport error, for logs and the database; never shown to families
	Answered   bool   // an HTTP response came, whatever it was
}

// Judge decides what one probe of a service means, in this order:
//
//  1. no complete answer: down, with the transport's reason (timeout,
//     connection, tls, redirect_loop);
//  2. a waiting-room marker of the catalog in what the page shows: down,
//     waiting_room, whatever the status (the 2021 quota pages were HTTP 200);
//  3. a status the service does not answer when healthy: down, http_status;
//  4. a 2xx page with nothing to read, fill in or run: down, blank_page;
//  5. the service's body_contains text missing: down, body_mismatch;
//  6. slower than the service's slow_ms: degraded, slow;
//  7. otherwise up, ok.
//
// Markers are looked for in what a visitor reads (see waitingRoomMarker),
// so that a healthy page whose JavaScript, hidden footer or maintenance
// notice merely contains « service indisponible » is not judged down. cat
// may be nil (no markers).
func Judge(cat *catalog.Catalog, svc catalog.Service, f Fetch) Result {
	r := Result{ServiceID: svc.ID, URL: svc.URL, HTTPStatus: f.HTTPStatus, Latency: f.Latency,
		FinalURL: f.FinalURL, Answered: f.Answered()}
	if f.Err != nil {
		r.State, r.Reason, r.Error = status.Down, classify(f.Err), f.Err.Error()
		return r
	}
	body := decodeBody(f.Body)
	pg := readPage(body, f.ContentType)
	if cat != nil {
		if m, ok := waitingRoomMarker(cat.WaitingRoomMarkers, pg); ok {
			r.State, r.Reason, r.Marker = status.Down, status.ReasonWaitingRoom, m
			return r
		}
	}
	slow := svc.SlowMS
	if slow <= 0 {
		slow = catalog.DefaultSlowMS
	}
	switch {
	case !svc.StatusOK(f.HTTPStatus):
		r.State, r.Reason = status.Down, status.ReasonHTTPStatus
	case f.HTTPStatus >= 200 && f.HTTPStatus <= 299 && f.HTTPStatus != 204 && pg.blank():
		r.State, r.Reason = status.Down, status.ReasonBlankPage
	case !pg.contains(body, svc.BodyContains):
		r.State, r.Reason = status.Down, status.ReasonBodyMismatch
	case f.Latency > time.Duration(slow)*time.Millisecond:
		r.State, r.Reason = status.Degraded, status.ReasonSlow
	default:
		r.State, r.Reason = status.Up, status.ReasonOK
	}
	return r
}

// Check probes one service and judges the probe.
func (p *Probe) Check(ctx context.Context, cat *catalog.Catalog, svc catalog.Service) Result {
	return Judge(cat, svc, p.Fetch(ctx, svc.URL))
}

// CheckAll probes services concurrently, at most concurrency at a time (≤ 0:
// all of them at once, CHECK_CONCURRENCY's default), and returns their
// results in the order of services. A round lasts about as long as its
// slowest probe only when concurrency is at least the number of services
// that hang: otherwise the hanging probes queue behind each other, about
// ceil(hanging/concurrency) × Timeout.
func (p *Probe) CheckAll(ctx context.Context, cat *catalog.Catalog, services []catalog.Service, concurrency int) []Result {
	out := make([]Result, len(services))
	jobs := make([]func(), len(services))
	for i, svc := range services {
		jobs[i] = func() { out[i] = p.Check(ctx, cat, svc) }
	}
	runAll(concurrency, jobs)
	return out
}

// runAll runs jobs with at most limit at once (≤ 0: all at once),
// starting them in order (so that jobs placed first, such as the canaries,
// are never starved), and waits for all of them.
func runAll(limit int, jobs []func()) {
	if limit <= 0 {
		limit = max(len(jobs), 1)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, job := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			job()
		})
	}
	wg.Wait()
}

// genericMarkers are the markers, normalised, that also read as a notice
// on a working portal (« service indisponible le samedi de 8 h à 10 h »).
// They count only where they are the page's message: in its title, or on
// a short page. The others (« logique de quota ») name a waiting room
// wherever they are shown.
var genericMarkers = map[string]bool{"service indisponible": true, "momentanement indisponible": true}

// waitingRoomMarker returns the first of markers that the page shows: in
// its title, or in its visible text outside hidden elements, scripts,
// styles and comments, as whole words with case, accents, tags and
// entities ignored; a generic marker only in the title or on a page of
// less than shortPageText. The marker is returned as written in the
// catalog.
func waitingRoomMarker(markers []string, pg page) (string, bool) {
	shown, title := " "+pg.shown+" ", " "+pg.title+" "
	short := len(pg.shown) < shortPageText
	for _, m := range markers {
		n := catalog.Normalize(m)
		if n == "" {
			continue
		}
		w := " " + n + " "
		if strings.Contains(title, w) || strings.Contains(shown, w) && (short || !genericMarkers[n]) {
			return m, true
		}
	}
	return "", false
}
