package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"

	"sentinelle/french"
	"sentinelle/status"
)

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// pages are the parsed templates, one set per page sharing the layout, and
// the one style sheet every page inlines.
type pages struct {
	sets  map[string]*template.Template
	style template.CSS
	// styleHash is the CSP source allowing exactly that style sheet.
	styleHash string
}

// pageData is what the layout needs around a page's own Body.
type pageData struct {
	Title   string
	Style   template.CSS
	Refresh bool
	Body    any
	// Zone names the page's time zone when it is not Paris (an overseas
	// académie's page): the footer then says so instead of « Heures de
	// Paris ».
	Zone string
}

// templateFuncs are the helpers the templates call.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"when":   frenchTime,
		"dur":    french.Duration,
		"num":    french.Number,
		"lat":    frenchLatency,
		"pct":    func(a availability) string { return frenchPercent(a.Ratio, a.OK) },
		"label":  stateLabel,
		"reason": reasonLabel,
		"cls":    stateClass,
		"runs":   runsBar,
		"sbar":   serviceBar,
		"dsum":   daysSummary,
		"states": dayStates,
		"seen":   seenSentence,
		"iseen":  incidentSentence,
	}
}

// mustParsePages parses the embedded templates; they are part of the
// binary, so an error is a programming error caught by every test.
func mustParsePages() *pages {
	css, err := templateFS.ReadFile("templates/style.css")
	if err != nil {
		panic(err)
	}
	style := strings.TrimSpace(string(css))
	sum := sha256.Sum256([]byte(style))
	p := &pages{sets: map[string]*template.Template{}, style: template.CSS(style),
		styleHash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}
	for _, name := range []string{"index", "academie", "notfound", "error"} {
		t := template.Must(template.New(name).Funcs(templateFuncs()).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
		p.sets[name] = t
	}
	return p
}

// render writes a page through the layout, typeset: the templates and
// the texts they show are written with ordinary spaces, and the no-break
// spaces French puts before « : ; ? ! » and inside « » are set here, where
// the page leaves the program (see typesetPage).
func (p *pages) render(w io.Writer, name string, data pageData) error {
	data.Style = p.style
	t, ok := p.sets[name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return err
	}
	_, err := io.WriteString(w, typesetPage(buf.String()))
	return err
}

// typesetPage typesets a page's HTML with french.TypesetHTML (tags and
// attribute values untouched), except its style sheet: the CSP allows
// that style by its hash, so not one byte of it may change.
func typesetPage(page string) string {
	const open, end = "<style>", "</style>"
	i := strings.Index(page, open)
	j := strings.Index(page, end)
	if i < 0 || j < i {
		return french.TypesetHTML(page)
	}
	return french.TypesetHTML(page[:i]) + page[i:j+len(end)] + typesetPage(page[j+len(end):])
}

// pageData starts the data of a page.
func (s *Server) pageData(title string, body any) pageData {
	return pageData{Title: title, Body: body}
}

// Summary counts the académies by state in one sentence, for readers who
// only want the headline.
func (snap *snapshot) Summary() string {
	count := map[status.State]int{}
	total := 0
	for _, r := range snap.Regions {
		for _, a := range r.Academies {
			total++
			if len(a.Services) == 0 {
				count["none"]++
				continue
			}
			count[a.State]++
		}
	}
	var parts []string
	for _, p := range []struct {
		state     status.State
		one, many string
	}{
		{status.Down, "en panne", "en panne"},
		{status.Degraded, "avec lenteurs", "avec lenteurs"},
		{stateMaintenance, "en maintenance", "en maintenance"},
		{status.Up, "fonctionne", "fonctionnent"},
		{status.Unknown, "pas encore vérifiée", "pas encore vérifiées"},
		{stateUnverified, "non vérifiée", "non vérifiées"},
		{"none", "sans ENT suivi", "sans ENT suivi"},
	} {
		if n := count[p.state]; n > 0 {
			parts = append(parts, french.Number(n)+" "+plural(n, p.one, p.many))
		}
	}
	return french.Number(total) + " académies et territoires : " + strings.Join(parts, ", ") + "."
}

// headline says in one sentence how an académie is doing and since when.
func headline(a *academyView) string {
	if len(a.Services) == 0 {
		return "Aucun ENT surveillé pour ce territoire."
	}
	since := ""
	if !a.Since.IsZero() {
		since = " depuis le " + frenchTime(a.Since)
	}
	switch a.State {
	case status.Down:
		return "En panne" + since + "."
	case status.Degraded:
		return "Lenteurs" + since + "."
	case status.Up:
		return "Tout fonctionne" + since + "."
	case stateMaintenance:
		return "En maintenance jusqu'au " + frenchTime(a.Until) + "."
	case stateUnverified:
		return "Non vérifié : Sentinelle n'a encore jamais vu fonctionner cet ENT à l'adresse qu'elle connaît."
	}
	return "Pas encore vérifié."
}

// renderPage renders a page to memory and sends it, or a 500 page.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, name string, status int, data pageData) {
	var buf bytes.Buffer
	if err := s.pages.render(&buf, name, data); err != nil {
		s.serverError(w, r, err)
		return
	}
	writeBody(w, r, status, "text/html; charset=utf-8", buf.Bytes())
}
