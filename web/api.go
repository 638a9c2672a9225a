package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// apiStatus is the body of /api/status. Its shape is a contract with those
// who build on it (newsrooms, académie dashboards): add fields, never
// rename or remove one.
type apiStatus struct {
	CheckedAt     *string `json:"checked_at"` // end of the last round, RFC 3339 UTC; null before the first
	CheckerOnline bool    `json:"checker_online"`
	// JudgedAt is the end of the latest round the leader judged (its vote
	// moved the states from it), RFC 3339 UTC; null before the first.
	// With several instances it may be older than checked_at, which any
	// instance's round moves. JudgementStale is true when no round was
	// judged recently (no instance leads, or the leader's checker is
	// stuck): the states no longer move, and checker_online is false.
	JudgedAt       *string       `json:"judged_at"`
	JudgementStale bool          `json:"judgement_stale"`
	Academies      []apiAcademy  `json:"academies"`
	National       []apiServiceS `json:"national_services"`
}

type apiAcademy struct {
	Slug     string        `json:"slug"`
	Name     string        `json:"name"`
	State    status.State  `json:"state"`
	Services []apiServiceS `json:"services"`
}

// apiServiceS is a service's state in /api/status. State is unknown, up,
// degraded, down, maintenance or unverified (never seen up at its catalog
// address: not an outage); Reason the checker's code of the cause
// (waiting_room, timeout…), empty when up. Unsure marks a catalog entry
// still to be confirmed.
type apiServiceS struct {
	ID               string        `json:"id"`
	Name             string        `json:"name"`
	State            status.State  `json:"state"`
	Reason           status.Reason `json:"reason"`
	Since            *string       `json:"since"`
	MaintenanceUntil *string       `json:"maintenance_until,omitempty"`
	Unsure           bool          `json:"unsure,omitempty"`
	// Vantages is what each live vantage saw in its latest round, by name:
	// one entry with one instance, none before the first round.
	Vantages []apiVantage `json:"vantages"`
}

// apiTime writes a time as RFC 3339 in UTC, or null for the zero time.
func apiTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := t.UTC().Format(time.RFC3339)
	return &v
}

func apiService(v *serviceView) apiServiceS {
	out := apiServiceS{ID: v.ID, Name: v.Name, State: v.State, Reason: v.Reason, Since: apiTime(v.Since), Unsure: v.Unsure,
		Vantages: toAPIVantages(v.Seen)}
	if v.State == status.Up || v.Reason == status.ReasonOK {
		out.Reason = ""
	}
	if v.State == stateMaintenance {
		out.MaintenanceUntil = apiTime(v.MaintenanceUntil)
	}
	return out
}

// apiStatus answers the state of every académie and national service.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiQuery(w, r, nil); !ok {
		return
	}
	snap, err := s.overview(r.Context())
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	out := apiStatus{CheckerOnline: snap.Checker.Online(), JudgementStale: snap.Checker.JudgementStale,
		Academies: []apiAcademy{}, National: []apiServiceS{}}
	if snap.Checker.HasRound {
		out.CheckedAt = apiTime(snap.Checker.Round.FinishedAt)
	}
	if snap.Checker.HasJudged {
		out.JudgedAt = apiTime(snap.Checker.Judged.FinishedAt)
	}
	for _, reg := range snap.Regions {
		for _, a := range reg.Academies {
			aa := apiAcademy{Slug: a.Slug, Name: a.Name, State: a.State, Services: []apiServiceS{}}
			for _, v := range a.Services {
				aa.Services = append(aa.Services, apiService(v))
			}
			out.Academies = append(out.Academies, aa)
		}
	}
	for _, v := range snap.National {
		out.National = append(out.National, apiService(v))
	}
	cachePublic(w)
	s.writeJSON(w, r, http.StatusOK, out)
}

// apiIncident is one incident in /api/incidents.
type apiIncident struct {
	ID              int64         `json:"id"`
	ServiceID       string        `json:"service_id"`
	ServiceName     string        `json:"service_name"`
	National        bool          `json:"national"`
	Academies       []string      `json:"academies"`
	Reason          status.Reason `json:"reason"`
	StartedAt       *string       `json:"started_at"`
	EndedAt         *string       `json:"ended_at"`
	EndState        status.State  `json:"end_state"`
	DurationSeconds int64         `json:"duration_seconds"`
	Ongoing         bool          `json:"ongoing"`
	Maintenance     bool          `json:"maintenance"`
	// Vantages is what each vantage saw during the incident, by name
	// (empty for an incident older than the results kept).
	Vantages []apiIncidentVantage `json:"vantages"`
}

type apiIncidents struct {
	Since     string        `json:"since"`
	Academie  string        `json:"academie,omitempty"`
	Incidents []apiIncident `json:"incidents"`
}

// apiIncidents lists the incidents still open or ended since a time,
// newest first, for every service or for one académie's own services.
func (s *Server) apiIncidents(w http.ResponseWriter, r *http.Request) {
	q, ok := s.apiQuery(w, r, []string{"academie", "since", "limit"})
	if !ok {
		return
	}
	now := s.now()
	iq, aerr := parseIncidentsQuery(q, now, s.loc)
	if aerr == nil && iq.Academie != "" {
		aerr = s.knownAcademy(iq.Academie)
	}
	if aerr != nil {
		s.apiError(w, r, aerr.status, aerr.msg)
		return
	}
	v, err := s.queries.get(now, iq.key(), func() (any, error) { return s.incidentsBody(r.Context(), iq, now) })
	if err != nil {
		s.apiServerError(w, r, err)
		return
	}
	cachePublic(w)
	writeBody(w, r, http.StatusOK, jsonType, v.([]byte))
}

// incidentsBody reads and encodes the answer to a validated query.
func (s *Server) incidentsBody(ctx context.Context, iq incidentsQuery, now time.Time) ([]byte, error) {
	out := apiIncidents{Since: iq.Since.UTC().Format(time.RFC3339), Academie: iq.Academie, Incidents: []apiIncident{}}
	f := storage.IncidentFilter{Since: iq.Since, Limit: iq.Limit}
	if iq.Academie != "" {
		a, _ := s.cat.Academy(iq.Academie)
		f.ServiceIDs = a.Services
	}
	if iq.Academie == "" || len(f.ServiceIDs) > 0 {
		list, err := s.store.Incidents(ctx, f)
		if err != nil {
			return nil, err
		}
		views := s.incidentViews(list, now)
		if err := s.withSightings(ctx, views, now); err != nil {
			return nil, err
		}
		for _, in := range views {
			out.Incidents = append(out.Incidents, toAPIIncident(in))
		}
	}
	return encodeJSON(out)
}

func toAPIIncident(in incidentView) apiIncident {
	slugs := make([]string, 0, len(in.Academies))
	for _, a := range in.Academies {
		slugs = append(slugs, a.Slug)
	}
	return apiIncident{ID: in.ID, ServiceID: in.ServiceID, ServiceName: in.Service.Name, National: in.Service.National,
		Academies: slugs, Reason: in.Reason, StartedAt: apiTime(in.StartedAt), EndedAt: apiTime(in.EndedAt),
		EndState: in.EndState, DurationSeconds: int64(in.Lasted / time.Second), Ongoing: in.Open(), Maintenance: in.Maintenance,
		Vantages: toAPIIncidentVantages(in.Seen)}
}

// apiErr is a refused request: its status and the French sentence shown.
type apiErr struct {
	status int
	msg    string
}

func badRequest(format string, args ...any) *apiErr {
	return &apiErr{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// incidentsQuery is a validated /api/incidents query.
type incidentsQuery struct {
	Academie string
	Since    time.Time
	Limit    int
	sinceSet bool // Since was given, not the default (30 days before now)
}

// key names the answer in the cache: two queries with one key have one
// answer.
func (q incidentsQuery) key() string {
	since := "default"
	if q.sinceSet {
		since = strconv.FormatInt(q.Since.UnixNano(), 10)
	}
	return q.Academie + "|" + since + "|" + strconv.Itoa(q.Limit)
}

// Bounds of /api/incidents: by default the last 30 days and 100
// incidents; never more than 500 in one answer.
const (
	defaultIncidentDays = 30
	defaultIncidentMax  = 100
	maxIncidentMax      = 500
)

// parseIncidentsQuery checks the parameters of /api/incidents. since is an
// RFC 3339 time or a date (midnight, French time); it may not be in the
// future nor before 2000.
func parseIncidentsQuery(q url.Values, now time.Time, loc *time.Location) (incidentsQuery, *apiErr) {
	iq := incidentsQuery{Since: now.AddDate(0, 0, -defaultIncidentDays), Limit: defaultIncidentMax}
	if v := q.Get("academie"); v != "" {
		if !validSlug(v) {
			return iq, badRequest("paramètre academie invalide : un identifiant d'académie en minuscules, par exemple versailles")
		}
		iq.Academie = v
	}
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.ParseInLocation(time.DateOnly, v, loc)
		}
		if err != nil {
			return iq, badRequest("paramètre since invalide : une date AAAA-MM-JJ ou un instant RFC 3339, par exemple 2021-04-06 ou 2021-04-06T07:30:00+02:00")
		}
		if t.After(now.Add(time.Minute)) {
			return iq, badRequest("paramètre since invalide : la date est dans le futur")
		}
		if t.Year() < 2000 {
			return iq, badRequest("paramètre since invalide : la date est antérieure à 2000")
		}
		iq.Since, iq.sinceSet = t, true
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxIncidentMax {
			return iq, badRequest("paramètre limit invalide : un entier entre 1 et %d", maxIncidentMax)
		}
		iq.Limit = n
	}
	return iq, nil
}

// knownAcademy refuses a well-formed slug the catalog does not know.
func (s *Server) knownAcademy(slug string) *apiErr {
	if _, ok := s.cat.Academy(slug); ok {
		return nil
	}
	return &apiErr{status: http.StatusNotFound, msg: "académie inconnue : " + slug + " (la liste est dans /api/status)"}
}

// validSlug accepts what an académie slug looks like: lower-case ASCII
// letters, digits and hyphens, at most maxSlugLen.
func validSlug(v string) bool { return plainWord(v, maxSlugLen, '-') }

// apiQuery parses the query string strictly: a malformed escape, an
// unknown parameter (a typo would silently give another answer) or a
// repeated one is refused with 400.
func (s *Server) apiQuery(w http.ResponseWriter, r *http.Request, allowed []string) (url.Values, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		s.apiError(w, r, http.StatusBadRequest, "requête mal formée : paramètres mal encodés")
		return nil, false
	}
	for k, vs := range q {
		known := false
		for _, a := range allowed {
			known = known || k == a
		}
		switch {
		case !known:
			s.apiError(w, r, http.StatusBadRequest, "paramètre inconnu : "+truncate(k, 40)+paramsHint(allowed))
			return nil, false
		case len(vs) > 1:
			s.apiError(w, r, http.StatusBadRequest, "paramètre répété : "+k)
			return nil, false
		}
	}
	return q, true
}

func paramsHint(allowed []string) string {
	if len(allowed) == 0 {
		return " (cette adresse n'en prend aucun)"
	}
	return " (acceptés : " + strings.Join(allowed, ", ") + ")"
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// apiError answers a refused request with a French sentence in JSON,
// typeset (« paramètre inconnu\u00a0: x »).
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	noStore(w)
	s.writeJSON(w, r, status, map[string]string{"error": french.Typeset(msg)})
}

// apiServerError logs a failure and answers a fixed sentence.
func (s *Server) apiServerError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("web: api request failed", "path", r.URL.Path, "error", err)
	s.apiError(w, r, http.StatusInternalServerError, "erreur interne : réessayez dans une minute")
}

// jsonType is the Content-Type of the API's answers.
const jsonType = "application/json; charset=utf-8"

// encodeJSON is an answer's body: v and a newline.
func encodeJSON(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("web: encode json: %w", err)
	}
	return append(body, '\n'), nil
}

// writeJSON encodes v in full before sending it.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		s.log.Error("web: encode json", "path", r.URL.Path, "error", err)
		noStore(w)
		http.Error(w, `{"error":"erreur interne"}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, r, status, jsonType, body)
}
