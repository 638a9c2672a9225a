package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeENTs serves one path per way a portal failed on 6 April 2021.
func fakeENTs(t *testing.T) string {
	mux := http.NewServeMux()
	page := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
	}
	login := `<html><body><h1>Connexion à votre ENT</h1><form><input name="login"><input type="password"></form></body></html>`
	mux.Handle("/monlycee", page(200, `<p>Quand le nombre d'utilisateurs maximum est atteint, il vous faut patienter pour y accéder à votre tour.</p>`))
	mux.Handle("/pcn", page(200, login))
	mux.Handle("/cned", page(502, "<h1>502 Bad Gateway</h1>"))
	mux.Handle("/elyco", page(200, "<html><body></body></html>"))
	mux.HandleFunc("/lent", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		page(200, login)(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// writeCatalog writes a catalog whose services are the fake ENTs.
func writeCatalog(t *testing.T, base string) string {
	yaml := fmt.Sprintf(`waiting_room_markers:
  - "patienter pour y accéder à votre tour"
services:
  - {id: monlycee, name: "MonLycée.net", url: "%[1]s/monlycee", levels: [lycee]}
  - {id: pcn, name: "Paris Classe Numérique", url: "%[1]s/pcn", levels: [college]}
  - {id: elyco, name: "e-lyco", url: "%[1]s/elyco", levels: [college, lycee]}
  - {id: lent, name: "ENT lent", url: "%[1]s/lent", levels: [lycee], slow_ms: 5}
  - {id: cned-lycee, name: "CNED lycée", url: "%[1]s/cned", levels: [lycee], national: true}
academies:
  - {slug: creteil, code: "24", name: "Créteil", region: "Île-de-France", services: [monlycee]}
  - {slug: paris, code: "01", name: "Paris", region: "Île-de-France", services: [monlycee, pcn]}
  - {slug: versailles, code: "25", name: "Versailles", region: "Île-de-France", services: [monlycee]}
  - {slug: nantes, code: "17", name: "Nantes", region: "Pays de la Loire", services: [elyco, lent]}
`, base)
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCheckCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"sentinelle", "check"}, args...), envOf(env), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckJSON(t *testing.T) {
	env := map[string]string{"CATALOG_FILE": writeCatalog(t, fakeENTs(t)), "CHECK_TIMEOUT": "2s"}
	code, out, errs := runCheckCmd(t, env, "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not one JSON array: %v\n%s", err, out)
	}
	want := map[string]struct {
		state, reason string
		status        float64
		academies     string
	}{
		"monlycee":   {"down", "waiting_room", 200, "creteil,paris,versailles"},
		"pcn":        {"up", "ok", 200, "paris"},
		"elyco":      {"down", "blank_page", 200, "nantes"},
		"lent":       {"degraded", "slow", 200, "nantes"},
		"cned-lycee": {"down", "http_status", 502, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %s", len(rows), len(want), out)
	}
	for _, r := range rows {
		id, _ := r["service"].(string)
		w, ok := want[id]
		if !ok {
			t.Errorf("unexpected service %q", id)
			continue
		}
		var acads []string
		for _, a := range r["academies"].([]any) {
			acads = append(acads, a.(string))
		}
		if r["state"] != w.state || r["reason"] != w.reason || r["http_status"] != w.status || strings.Join(acads, ",") != w.academies {
			t.Errorf("%s: got %v, want %+v", id, r, w)
		}
		for _, key := range []string{"name", "url", "latency_ms"} {
			if _, ok := r[key]; !ok {
				t.Errorf("%s: no %q in %v", id, key, r)
			}
		}
	}
	if !strings.Contains(out, `"academies":[]`) {
		t.Errorf("a national service must have an empty academies array, not null: %s", out)
	}
}

func TestCheckTableForOneAcademie(t *testing.T) {
	env := map[string]string{"CATALOG_FILE": writeCatalog(t, fakeENTs(t))}
	code, out, errs := runCheckCmd(t, env, "Créteil")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"SERVICE", "monlycee", "creteil, paris, versailles", "en panne", "file d'attente (trop de connexions)", "cned-lycee",
		"(national)", "erreur du serveur", "502", "2 services vérifiés\u00a0: 0 en service, 0 dégradé, 2 en panne."} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "pcn") || strings.Contains(out, "elyco") {
		t.Errorf("the table of Créteil shows another académie's ENT:\n%s", out)
	}
}

func TestCheckBadInput(t *testing.T) {
	catalogFile := writeCatalog(t, "http://127.0.0.1:1")
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"unknown académie with a suggestion", map[string]string{"CATALOG_FILE": catalogFile}, []string{"creteuil"},
			"académie inconnue : « creteuil » (vouliez-vous dire « Créteil » ?)"},
		{"unknown académie", map[string]string{"CATALOG_FILE": catalogFile}, []string{"atlantis"}, "académie inconnue : « atlantis »"},
		{"bad configuration", map[string]string{"CHECK_TIMEOUT": "never"}, nil, "CHECK_TIMEOUT"},
		{"unknown option", nil, []string{"--yaml"}, "option inconnue de check : --yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCheckCmd(t, tt.env, tt.args...)
			if code != 2 || !strings.Contains(errs, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, tt.wantErr)
			}
			if out != "" {
				t.Fatalf("printed %q on a bad input", out)
			}
		})
	}
}
