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
// It returns the environment that names it: DATABASE_PATH for SQLite,
// DATABASE_URL for PostgreSQL.
func neverSeenDB(t *testing.T, engine storage.Engine) map[string]string {
	t.Helper()
	at := time.Date(2026, 9, 1, 6, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	env := map[string]string{"DATABASE_PATH": filepath.Join(t.TempDir(), "s.db")}
	if engine == storage.PostgreSQL {
		env["DATABASE_URL"] = pg.Database(t)
	}
	var st *storage.Store
	var err error
	if engine == storage.PostgreSQL {
		st, err = storage.OpenPostgres(context.Background(), env["DATABASE_URL"], now)
	} else {
		st, err = storage.Open(context.Background(), env["DATABASE_PATH"], now)
	}
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
	if engine == storage.PostgreSQL {
		// check reads the database the service uses: PostgreSQL's, not
		// a file at DATABASE_PATH.
		sqlite, err := storage.Open(context.Background(), env["DATABASE_PATH"], now)
		if err != nil {
			t.Fatal(err)
		}
		sqlite.Close()
	}
	return env
}

// Where the database says a service was never seen up, check still judges
// its probe on its own, and says so: "verified": false, « non vérifié ».
// With DATABASE_URL, check reads PostgreSQL's database.
func TestCheckNeverSeenUp(t *testing.T) {
	for _, engine := range []storage.Engine{storage.SQLite, storage.PostgreSQL} {
		t.Run(engine.String(), func(t *testing.T) { testCheckNeverSeenUp(t, engine) })
	}
}

func testCheckNeverSeenUp(t *testing.T, engine storage.Engine) {
	env := neverSeenDB(t, engine)
	env["CATALOG_FILE"], env["CHECK_TIMEOUT"] = writeCatalog(t, fakeENTs(t)), "2s"
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

// A PostgreSQL database the service never opened marks nothing and says
// nothing; one that cannot be reached is said on stderr, without its
// password, and the check goes on.
func TestCheckPostgresWithoutService(t *testing.T) {
	catalogFile := writeCatalog(t, fakeENTs(t))
	for _, c := range []struct {
		name, url, wantErr string
	}{
		{"never opened", pg.Database(t), ""},
		{"unreachable", "postgres://sentinelle:s3cr3t@127.0.0.1:1/sentinelle?connect_timeout=2", "base de données illisible"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"CATALOG_FILE": catalogFile, "CHECK_TIMEOUT": "2s", "DATABASE_URL": c.url}
			code, out, errs := runCheckCmd(t, env, "--json", "paris")
			if code != 0 || strings.Contains(out, "verified") {
				t.Fatalf("exit %d, stdout %s, stderr %q; want 0 and no service marked", code, out, errs)
			}
			if (c.wantErr == "") != (errs == "") || !strings.Contains(errs, c.wantErr) || strings.Contains(errs, "s3cr3t") {
				t.Errorf("stderr %q, want %q and no password", errs, c.wantErr)
			}
		})
	}
}
