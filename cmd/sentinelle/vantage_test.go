package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeNamesItsVantage: the service logs VANTAGE at start and stores
// its rounds and results under it.
func TestServeNamesItsVantage(t *testing.T) {
	ent := newSwitchableENT(t)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "s.db")
	_, cancel, done, logs := startService(t, map[string]string{
		"HTTP_ADDR": "127.0.0.1:0", "DATABASE_PATH": dbPath, "CANARY_URLS": "",
		"CATALOG_FILE": writeAlphaCatalog(t, dir, ent.srv.URL), "VANTAGE": "paris-1",
	})
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rounds, results string
	waitUntil(t, "the first round", 20*time.Second, func() bool {
		err := db.QueryRow(`SELECT (SELECT GROUP_CONCAT(DISTINCT vantage) FROM rounds),
			(SELECT GROUP_CONCAT(DISTINCT vantage) FROM check_results)`).Scan(&rounds, &results)
		return err == nil
	})
	stopService(t, cancel, done, 15*time.Second, logs)
	if rounds != "paris-1" || results != "paris-1" {
		t.Errorf("rounds under %q, results under %q; want paris-1", rounds, results)
	}
	if !strings.Contains(logs.String(), "vantage=paris-1") {
		t.Errorf("the start does not log the vantage:\n%s", logs.String())
	}
}
