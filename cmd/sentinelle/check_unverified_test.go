package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sentinelle/checker"
	"sentinelle/storage"
)

// neverSeenDB writes a database in which the checker judged monlycee,
// failing since it entered the catalog, never seen up.
func neverSeenDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	at := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	st, err := storage.Open(context.Background(), path, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	judge := func(prev storage.ServiceState, r storage.CheckResult) storage.ServiceState {
		return checker.Decide(prev, r, "https://ent.example.fr", checker.Thresholds{DownAfter: 2, UpAfter: 2}, at)
	}
	_, err = checker.Record(context.Background(), st, checker.RoundInput{Round: storage.Round{StartedAt: at, FinishedAt: at, Services: 2},
		Results: []storage.CheckResult{{ServiceID: "monlycee", State: "down", Reason: "connection"},
			{ServiceID: "pcn", State: "up", Reason: "ok"}}}, judge)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Where the database says a service was never seen up, check still judges
// its probe on its own, and says so: "verified": false, « non vérifié ».
func TestCheckNeverSeenUp(t *testing.T) {
	env := map[string]string{"CATALOG_FILE": writeCatalog(t, fakeENTs(t)), "CHECK_TIMEOUT": "2s", "DATABASE_PATH": neverSeenDB(t)}
	code, out, errs := runCheckCmd(t, env, "--json", "paris")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("output is not one JSON array: %v\n%s", err, out)
	}
	for _, r := range rows {
		v, has := r["verified"]
		switch r["service"] {
		case "monlycee":
			if !has || v != false || r["state"] != "down" || r["reason"] != "waiting_room" {
				t.Errorf("monlycee: %v, want its probe judged (down, waiting_room) and verified false", r)
			}
		default:
			if has {
				t.Errorf("%v: verified given for a service the database saw up or never checked", r)
			}
		}
	}
	code, out, errs = runCheckCmd(t, env, "paris")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	line := ""
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "monlycee") {
			line = l
		}
	}
	if !strings.Contains(line, "en panne (non vérifié)") || !strings.Contains(out, "Non vérifié\u00a0: jamais vu fonctionner") {
		t.Errorf("table:\n%s\nwant monlycee's line marked « non vérifié » and the note", out)
	}
	if strings.Count(out, "non vérifié") != 1 {
		t.Errorf("table:\n%s\nwant only monlycee marked", out)
	}
}
