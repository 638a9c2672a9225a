package web

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sentinelle/french"
	"sentinelle/storage"
)

// feedEntries is how many incidents the feed carries: a newsroom's reader
// polls it every few minutes and only needs the recent ones.
const feedEntries = 50

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title     string   `xml:"title"`
	ID        string   `xml:"id"`
	Published string   `xml:"published"`
	Updated   string   `xml:"updated"`
	Link      atomLink `xml:"link"`
	Summary   string   `xml:"summary"`
}

// feed publishes the incidents of the last 90 days as Atom, newest first,
// read at most once per cache period. An entry keeps its id when its
// incident ends, so that a reader shows the update rather than a new item.
func (s *Server) feed(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	v, err := s.cache.get(now, "feed", func() (any, error) { return s.feedBody(r.Context(), now) })
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cachePublic(w)
	writeBody(w, r, http.StatusOK, "application/atom+xml; charset=utf-8", v.([]byte))
}

// feedBody reads the incidents and writes the feed.
func (s *Server) feedBody(ctx context.Context, now time.Time) ([]byte, error) {
	list, err := s.store.Incidents(ctx, storage.IncidentFilter{Since: now.AddDate(0, 0, -historyDays), Limit: feedEntries})
	if err != nil {
		return nil, err
	}
	host := "sentinelle"
	if u, err := url.Parse(s.publicURL); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	f := atomFeed{Lang: "fr", Title: "Pannes des ENT et services scolaires — Sentinelle",
		ID: "tag:" + host + ",2021:incidents", Author: atomAuthor{Name: "Sentinelle"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: s.publicURL + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: s.publicURL + "/"}}}
	var latest time.Time
	for _, in := range s.incidentViews(list, now) {
		f.Entries = append(f.Entries, s.feedEntry(in, host))
		latest = maxTime(latest, in.StartedAt, in.EndedAt)
	}
	if latest.IsZero() {
		latest = now
	}
	f.Updated = latest.UTC().Format(time.RFC3339)
	body, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("web: encode feed: %w", err)
	}
	return append([]byte(xml.Header), append(body, '\n')...), nil
}

// feedEntry describes one incident in words.
func (s *Server) feedEntry(in incidentView, host string) atomEntry {
	names := make([]string, 0, len(in.Academies))
	for _, a := range in.Academies {
		names = append(names, a.Name)
	}
	link := s.publicURL + "/"
	if len(in.Academies) > 0 {
		link = s.publicURL + "/academie/" + in.Academies[0].Slug
	}
	cause := reasonLabel(in.Reason)
	e := atomEntry{ID: fmt.Sprintf("tag:%s,2021:incident:%d", host, in.ID),
		Published: in.StartedAt.UTC().Format(time.RFC3339), Link: atomLink{Href: link}}
	if in.Open() {
		e.Title = fmt.Sprintf("%s en panne : %s", in.Service.Name, cause)
		e.Updated = e.Published
		e.Summary = fmt.Sprintf("%s est en panne depuis le %s : %s.", in.Service.Name, frenchTime(in.StartedAt), cause)
	} else {
		e.Title = fmt.Sprintf("%s : panne terminée après %s", in.Service.Name, french.Duration(in.Lasted))
		e.Updated = in.EndedAt.UTC().Format(time.RFC3339)
		e.Summary = fmt.Sprintf("%s a été en panne du %s au %s (%s) : %s.", in.Service.Name,
			frenchTime(in.StartedAt), frenchTime(in.EndedAt), french.Duration(in.Lasted), cause)
	}
	if in.Service.National {
		e.Summary += " Service national : toutes les académies sont concernées."
	} else if len(names) > 0 {
		e.Summary += " " + plural(len(names), "Académie concernée", "Académies concernées") + " : " + strings.Join(names, ", ") + "."
	}
	e.Title, e.Summary = french.Typeset(e.Title), french.Typeset(e.Summary)
	return e
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}
