package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sentinelle/status"
)

// TestIncidentsQuery checks how /api/incidents reads its parameters.
func TestIncidentsQuery(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	h := srv.Handler()
	tests := []struct {
		name, query string
		status      int
		errPart     string // in the French error, for a refusal
		ids         []int64
	}{
		{"default: last 30 days", "", 200, "", []int64{4, 3, 2, 1}},
		{"since the day before", "since=2021-04-05", 200, "", []int64{4, 3, 2}},
		{"since a date", "since=2021-03-01", 200, "", []int64{4, 3, 2, 1}},
		{"since an instant", "since=2021-04-05T15:30:00%2B02:00", 200, "", []int64{4, 3}},
		{"one académie", "academie=versailles&since=2021-03-01", 200, "", []int64{3, 1}},
		{"a territory without ENT", "academie=wallis-et-futuna", 200, "", nil},
		{"limit", "since=2021-03-01&limit=1", 200, "", []int64{4}},
		{"empty values mean default", "academie=&since=&limit=", 200, "", []int64{4, 3, 2, 1}},
		{"unknown parameter", "academy=versailles", 400, "paramètre inconnu\u00a0: academy", nil},
		{"repeated parameter", "since=2021-03-01&since=2021-03-02", 400, "paramètre répété\u00a0: since", nil},
		{"malformed escape", "since=%zz", 400, "requête mal formée", nil},
		{"since not a date", "since=hier", 400, "paramètre since invalide", nil},
		{"since in the future", "since=2030-01-01", 400, "dans le futur", nil},
		{"since before 2000", "since=1999-12-31", 400, "antérieure à 2000", nil},
		{"limit zero", "limit=0", 400, "paramètre limit invalide", nil},
		{"limit too big", "limit=501", 400, "paramètre limit invalide", nil},
		{"limit not a number", "limit=dix", 400, "paramètre limit invalide", nil},
		{"académie with capitals", "academie=Versailles", 400, "paramètre academie invalide", nil},
		{"unknown académie", "academie=atlantide", 404, "académie inconnue\u00a0: atlantide", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, h, "/api/incidents?"+tt.query)
			if res.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%s)", res.StatusCode, tt.status, body)
			}
			if tt.status != http.StatusOK {
				var e struct{ Error string }
				if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.errPart) {
					t.Errorf("error = %q (%v), want it to contain %q", e.Error, err, tt.errPart)
				}
				return
			}
			var got apiIncidents
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, in := range got.Incidents {
				ids = append(ids, in.ID)
			}
			if len(ids) != len(tt.ids) {
				t.Fatalf("incidents %v, want %v", ids, tt.ids)
			}
			for i := range ids {
				if ids[i] != tt.ids[i] {
					t.Fatalf("incidents %v, want %v", ids, tt.ids)
				}
			}
		})
	}
}

// TestStatusRefusesParameters: /api/status takes none, and says so.
func TestStatusRefusesParameters(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	res, body := get(t, srv.Handler(), "/api/status?academie=versailles")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "cette adresse n'en prend aucun") {
		t.Errorf("GET /api/status?academie= = %d %s, want 400", res.StatusCode, body)
	}
}

// FuzzIncidentsQuery sends any query string to /api/incidents: the answer
// is never a server error, a refusal is a JSON French sentence, and a
// success is a list no longer than the limit.
func FuzzIncidentsQuery(f *testing.F) {
	now := time.Date(2021, 4, 6, 9, 40, 0, 0, parisLoc(f))
	st := openStore(f, now)
	cat := mustCatalog(f, storyCatalog)
	feed(f, st, []string{"monlycee", "toutatice"}, every(now.Add(-3*time.Hour), now, 30*time.Minute), 0, storyScenario(now))
	h := New(Options{Store: st, Catalog: cat, Now: func() time.Time { return now }, Location: now.Location(), CacheTTL: -1}).Handler()
	for _, seed := range []string{"", "academie=versailles", "since=2021-04-01", "since=2021-04-06T07:00:00Z&limit=3",
		"limit=-1", "since=%zz", "academie=../../etc", "x=1&x=2", "since=2021-02-30", "since=99999-01-01", "limit=99999999999999999999",
		"academie=versailles&academie=creteil", ";", "&&&", "since=2021-04-06T07:00:00%2B14:00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest(http.MethodGet, "/api/incidents", nil)
		req.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
			var got apiIncidents
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("200 with invalid JSON %q: %v", body, err)
			}
			limit := defaultIncidentMax
			if q, err := url.ParseQuery(raw); err == nil && q.Get("limit") != "" {
				if limit, err = strconv.Atoi(q.Get("limit")); err != nil {
					t.Fatalf("limit %q accepted", q.Get("limit"))
				}
			}
			if len(got.Incidents) > limit {
				t.Fatalf("%d incidents, more than the limit %d", len(got.Incidents), limit)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || !utf8.ValidString(e.Error) {
				t.Fatalf("%d without a JSON error: %q (%v)", rec.Code, body, err)
			}
		default:
			t.Fatalf("query %q: status %d, want 200, 400 or 404: %s", raw, rec.Code, body)
		}
	})
}

// TestAPIStatusMaintenance reports a service in maintenance with the end
// of the maintenance, and never "ok" as a reason.
func TestAPIStatusMaintenance(t *testing.T) {
	t.Parallel()
	srv, _, _, _ := storyServer(t)
	_, body := get(t, srv.Handler(), "/api/status")
	var got apiStatus
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range got.Academies {
		for _, s := range a.Services {
			if s.Reason == "ok" {
				t.Errorf("%s: reason ok, want empty", s.ID)
			}
			if s.ID == "ent-aura" {
				found = true
				if s.State != stateMaintenance || s.MaintenanceUntil == nil || *s.MaintenanceUntil != "2021-04-06T10:00:00Z" {
					t.Errorf("ent-aura = %+v, want maintenance until 2021-04-06T10:00:00Z", s)
				}
			}
		}
	}
	if !found {
		t.Error("ent-aura missing from /api/status")
	}
	if len(got.National) != 2 || got.National[0].State != status.Down {
		t.Errorf("national_services = %+v, want cned-college down first", got.National)
	}
}
