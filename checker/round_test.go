package checker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

func TestRestartInTheMiddle(t *testing.T) {
	ent := newSwitchable(t)
	cat := testCatalog(t, catalog.Service{ID: "ent", URL: ent.srv.URL})
	c := newClock()
	path := filepath.Join(t.TempDir(), "s.db")
	canaries := []string{okServer(t)}

	// restart closes the store, as a stopped process would, and starts a
	// fresh Runner on the same file.
	st := openStore(t, path, c)
	r := newRunner(t, cat, st, c, canaries, func(o *Options) { o.DownAfter = 3 })
	restart := func() {
		st.Close()
		st = openStore(t, path, c)
		r = newRunner(t, cat, st, c, canaries, func(o *Options) { o.DownAfter = 3 })
	}
	defer func() { st.Close() }()

	round(t, r, c)
	round(t, r, c)
	ent.set("502")
	round(t, r, c) // candidate 1 of 3
	restart()
	round(t, r, c) // candidate 2 of 3: the count survived the restart
	if s, _ := storagetest.One(st.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "ent" }); s.State != status.Up || s.CandidateCount != 2 {
		t.Fatalf("after a restart in the streak: %s with candidate count %d, want up with 2", s.State, s.CandidateCount)
	}
	rep := round(t, r, c)
	if len(rep.Transitions) != 1 || rep.Transitions[0].To != status.Down {
		t.Fatalf("third bad round: transitions %+v, want down", rep.Transitions)
	}
	restart()
	if rep := round(t, r, c); len(rep.Transitions) != 0 || rep.Events != 0 {
		t.Fatalf("a restart during the outage re-announced it: %+v", rep)
	}
	if n := len(events(t, path)); n != 1 {
		t.Fatalf("%d events, want the one outage", n)
	}
	ent.set("ok")
	round(t, r, c)
	restart()
	round(t, r, c)
	if ev := events(t, path); len(ev) != 2 || ev[1].kind != "recovery" {
		t.Fatalf("events %+v, want the outage then its recovery, across restarts", ev)
	}
}

func TestMaintenanceIsProbedButNotAnnounced(t *testing.T) {
	ent := newSwitchable(t)
	cat := testCatalog(t, catalog.Service{ID: "ent", URL: ent.srv.URL})
	r, st, c, _ := runnerOnFile(t, cat)
	round(t, r, c)
	round(t, r, c)
	if err := st.Update(context.Background(), func(tx *storage.Tx) error {
		return tx.SetMaintenance(context.Background(), "ent", c.Now().Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	ent.set("502")
	round(t, r, c)
	rep := round(t, r, c)
	if len(rep.Transitions) != 1 || rep.Transitions[0].Announced || rep.Events != 0 {
		t.Fatalf("down in maintenance: %+v, want a silent transition", rep.Transitions)
	}
	s, _ := storagetest.One(st.ServiceStates, context.Background(), func(s storage.ServiceState) bool { return s.ServiceID == "ent" })
	if s.State != status.Down || s.LastHTTPStatus != 502 {
		t.Fatalf("state %+v, want down and probed during the maintenance", s)
	}
	if err := st.Update(context.Background(), func(tx *storage.Tx) error { return tx.SetMaintenance(context.Background(), "ent", time.Time{}) }); err != nil {
		t.Fatal(err)
	}
	if rep := round(t, r, c); rep.Events != 1 {
		t.Fatalf("maintenance over, still down: %d events, want the outage announced", rep.Events)
	}
}

func TestRoundLastsAsLongAsItsSlowestProbe(t *testing.T) {
	hang := hangingListener(t)
	ok := okServer(t)
	var svcs []catalog.Service
	for i := range 30 {
		u := ok + fmt.Sprintf("/ok%d", i)
		if i%3 == 0 {
			u = hang + fmt.Sprintf("/hang%d", i)
		}
		svcs = append(svcs, catalog.Service{ID: fmt.Sprintf("s%d", i), URL: u})
	}
	cat := testCatalog(t, svcs...)
	c := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"), c)
	defer st.Close()
	r := newRunner(t, cat, st, c, []string{ok}, func(o *Options) { o.Concurrency = 32 })
	start := time.Now()
	rep := round(t, r, c)
	took := time.Since(start)
	if rep.Failed != 10 {
		t.Fatalf("%d failed, want the 10 hanging ones", rep.Failed)
	}
	if limit := testTimeout * 12 / 10; took > limit {
		t.Fatalf("round took %v with 10 hanging probes, want under %v: probes must run concurrently", took, limit)
	}
}

func TestRoundWithTooFewSlotsQueuesHangingProbes(t *testing.T) {
	// The finding reported to the README: with fewer slots than hanging
	// services, the hanging probes queue, ceil(hanging/concurrency) waves.
	// A server that accepts and never answers is cut by Timeout, the
	// probe's one deadline: 200 ms here, so two waves ≥ 400 ms.
	hang := hangingListener(t)
	var svcs []catalog.Service
	for i := range 4 {
		svcs = append(svcs, catalog.Service{ID: fmt.Sprintf("s%d", i), URL: hang + fmt.Sprintf("/h%d", i)})
	}
	start := time.Now()
	NewProbe(ProbeOptions{Timeout: 200 * time.Millisecond}).CheckAll(context.Background(), testCatalog(t, svcs...), svcs, 2)
	if took := time.Since(start); took < 2*200*time.Millisecond {
		t.Fatalf("4 hanging probes on 2 slots took %v, want two waves (≥ 400ms)", took)
	}
}

func TestRunOnceCancelledRecordsNothing(t *testing.T) {
	hang := hangingListener(t)
	cat := testCatalog(t, catalog.Service{ID: "ent", URL: hang})
	c := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"), c)
	defer st.Close()
	r := newRunner(t, cat, st, c, nil, func(o *Options) { o.Probe.Timeout = 5 * time.Second })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.RunOnce(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunOnce during a shutdown: %v, want the context's error", err)
	}
	if _, err := st.LastRound(context.Background()); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("an interrupted round was recorded: %v", err)
	}
}

func TestNewRequiresCatalogAndStore(t *testing.T) {
	if _, err := New(Options{Store: fakeStore{}}); err == nil {
		t.Error("New without a catalog succeeded")
	}
	if _, err := New(Options{Catalog: testCatalog(t)}); err == nil {
		t.Error("New without a store succeeded")
	}
}

// TestOwnPortalsBeforeNationalServices: when a national service and an
// académie's ENT fail in the same round, the ENT's event is written first,
// so that its messages are not queued behind a fan-out to every
// subscriber. The national service comes first in the catalog, as the
// CNED does in the embedded one.
func TestOwnPortalsBeforeNationalServices(t *testing.T) {
	cned, ent := newSwitchable(t), newSwitchable(t)
	cat := testCatalog(t, catalog.Service{ID: "cned", URL: cned.srv.URL, National: true},
		catalog.Service{ID: "ent", URL: ent.srv.URL})
	r, _, c, path := runnerOnFile(t, cat)
	round(t, r, c)
	cned.set("502")
	ent.set("502")
	round(t, r, c)
	round(t, r, c)
	ev := events(t, path)
	if len(ev) != 2 || ev[0].service != "ent" || ev[1].service != "cned" {
		t.Fatalf("events %+v, want the ENT's outage, then the national one", ev)
	}
}

// runnerOnFile is a Runner with a healthy canary, on a fake clock and a
// store in a temporary file (closed when the test ends), whose path it
// returns for reading the events.
func runnerOnFile(t *testing.T, cat *catalog.Catalog) (*Runner, *storage.Store, *clock, string) {
	t.Helper()
	c := newClock()
	st, path := storeOnFile(t, c)
	return newRunner(t, cat, st, c, []string{okServer(t)}, nil), st, c, path
}
