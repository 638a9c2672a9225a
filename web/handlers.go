package web

import (
	"bytes"
	"context"
	"html/template"
	"net/http"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// maxSlugLen bounds what the 404 page tries to match: slugs are short, and
// the fuzzy match costs the product of the lengths.
const maxSlugLen = 64

// index is the overview: every académie by région académique.
func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	snap, err := s.overview(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	snap.page.once.Do(func() {
		var buf bytes.Buffer
		data := s.pageData("État des ENT — Sentinelle", snap)
		data.Refresh = true
		snap.page.err = s.pages.render(&buf, "index", data)
		snap.page.body = buf.Bytes()
	})
	if snap.page.err != nil {
		s.serverError(w, r, snap.page.err)
		return
	}
	cachePublic(w)
	writeBody(w, r, http.StatusOK, "text/html; charset=utf-8", snap.page.body)
}

// academyPage is the body of /academie/<slug>.
type academyPage struct {
	Academy     *academyView
	Checker     checkerStatus
	Headline    string
	Services    []academyService
	National    []*serviceView
	Incidents   []incidentView
	HistoryDays int
	DeepLink    string
	QR          template.HTML
	// Zone names the académie's time zone when its times are not Paris's
	// (« heure de La Réunion »); empty otherwise.
	Zone string
}

// academyService is one of the académie's services with its 24-hour
// charts, one per vantage.
type academyService struct {
	View      *serviceView
	Charts    []vantageChart
	DayStates []status.State
}

// academy is the page of one académie: its services' latency over 24
// hours, its incidents, and how to subscribe.
func (s *Server) academy(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	if _, ok := s.cat.Academy(slug); !ok {
		s.unknownAcademy(w, r, slug)
		return
	}
	snap, err := s.overview(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v, err := s.cache.get(s.now(), "academie/"+slug, func() (any, error) { return s.renderAcademy(r.Context(), snap, slug) })
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cachePublic(w)
	writeBody(w, r, http.StatusOK, "text/html; charset=utf-8", v.([]byte))
}

// renderAcademy reads what the snapshot lacks and renders an académie's
// page.
func (s *Server) renderAcademy(ctx context.Context, snap *snapshot, slug string) ([]byte, error) {
	var err error
	zone := s.zoneOf(snap.Academies[slug].Academy)
	av := zone.academy(snap.Academies[slug])
	now := snap.Now
	page := academyPage{Academy: av, Checker: zone.checker(snap.Checker), Headline: headline(av), National: zone.services(snap.National),
		HistoryDays: historyDays, DeepLink: s.deepLink(slug), Zone: zone.Label}
	for _, v := range av.Services {
		results, err := s.store.RecentResults(ctx, v.ID, now.Add(-chartSpan))
		if err != nil {
			return nil, err
		}
		charts := chartsOf(results, now, time.Duration(v.SlowMS)*time.Millisecond)
		page.Services = append(page.Services, academyService{View: v, Charts: charts, DayStates: dayStates(v.Days)})
	}
	if len(av.Academy.Services) > 0 {
		list, err := s.store.Incidents(ctx, storage.IncidentFilter{
			ServiceIDs: av.Academy.Services, Since: now.AddDate(0, 0, -historyDays), Limit: 100})
		if err != nil {
			return nil, err
		}
		views := s.incidentViews(list, now)
		if err := s.withSightings(ctx, views, now); err != nil {
			return nil, err
		}
		page.Incidents = zone.incidents(views)
	}
	if page.QR, err = s.qrSVG(slug); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	data := s.pageData(av.Name+" — état des ENT — Sentinelle", page)
	data.Refresh = true
	data.Zone = zone.Label
	if err := s.pages.render(&buf, "academie", data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// notFoundPage is the body of the French 404 page.
type notFoundPage struct {
	Message    string
	Suggestion *catalog.Academy
}

// unknownAcademy sends a reader who typed a name, a code or an old
// académie ("caen", "25") to the right page, and otherwise answers 404
// with the closest académie as a suggestion.
func (s *Server) unknownAcademy(w http.ResponseWriter, r *http.Request, slug string) {
	if len(slug) <= maxSlugLen {
		if a, ok := s.cat.Find(slug); ok {
			cachePublic(w)
			http.Redirect(w, r, "/academie/"+a.Slug, http.StatusMovedPermanently)
			return
		}
	}
	body := notFoundPage{Message: "Nous ne connaissons pas cette académie."}
	if len(slug) <= maxSlugLen {
		if a, ok := s.cat.Suggest(slug); ok {
			body.Suggestion = &a
		}
	}
	cachePublic(w)
	s.renderPage(w, r, "notfound", http.StatusNotFound, s.pageData("Académie inconnue — Sentinelle", body))
}

// notFound answers every path no route claims.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	cachePublic(w)
	s.renderPage(w, r, "notfound", http.StatusNotFound,
		s.pageData("Page introuvable — Sentinelle", notFoundPage{Message: "Cette page n'existe pas."}))
}
