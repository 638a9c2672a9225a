package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestRecoveryCoalescing is the 6 April scenario in small: the outage
// reaches some parents, the others' messages are stuck in retries when the
// ENT comes back. The stuck outage messages are cancelled, never sent late;
// the recovery goes to those who heard the outage and want recoveries,
// plus the pupil who asked for recoveries only.
func TestRecoveryCoalescing(t *testing.T) {
	ctx := context.Background()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha"), parent(3, "alpha"),
		parent(4, "alpha"), parent(5, "alpha"),
		person{id: 7, role: "eleve", recovery: true, academies: []string{"alpha"}},                                               // recoveries only
		person{id: 8, role: "parent", outage: true, academies: []string{"alpha"}},                                                // no recoveries
		person{id: 9, role: "parent", levels: status.Primaire.Bit(), outage: true, recovery: true, academies: []string{"alpha"}}, // wrong level
	)
	stuck := map[int64]bool{4: true, 5: true}
	f.setFail(func(chat int64, _, text string) error {
		if stuck[chat] && strings.HasPrefix(text, string(status.KindOutage)) {
			return wrapped(tgErr{class: "server"})
		}
		return nil
	})
	opt := fastOptions(s, cat, f)
	opt.BackoffBase, opt.BackoffMax = time.Hour, time.Hour // the stuck ones wait
	d, _ := start(t, opt)

	outage := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	d.Wake()
	f.waitFor(t, "the outage to the reachable", func(m []sent) bool { return len(m) == 5 }) // 1, 2, 3, 8 and the channel
	waitRows(t, s, outage, func(st map[int64]string) bool { return st[4] == "pending" && st[5] == "pending" })

	announce(t, s, d, status.KindRecovery, "ent-alpha", "down", "up", april6.Add(time.Hour))

	got := map[string][]int64{}
	for _, m := range f.all() {
		kind := "outage"
		if strings.HasPrefix(m.text, string(status.KindRecovery)) {
			kind = "recovery"
		}
		if m.channel != "" {
			kind += " channel"
		}
		got[kind] = append(got[kind], m.chat)
	}
	for kind, want := range map[string][]int64{
		"outage": {1, 2, 3, 8}, "recovery": {1, 2, 3, 7}, "outage channel": {0}, "recovery channel": {0},
	} {
		slices.Sort(got[kind])
		if !slices.Equal(got[kind], want) {
			t.Errorf("%s sent to %v, want %v", kind, got[kind], want)
		}
	}
	rows, err := deliveriesOf(ctx, s, outage)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if stuck[r.ChatID] && (r.State != "cancelled" || !strings.Contains(r.LastError, "superseded")) {
			t.Errorf("stuck outage row of chat %d: state %q, error %q; want cancelled as superseded", r.ChatID, r.State, r.LastError)
		}
	}
	if ev, _ := s.Event(ctx, outage); ev.State != "superseded" {
		t.Errorf("outage event state %q, want superseded", ev.State)
	}
}

// TestRecoveryBeforeOutageWasSent: when the ENT comes back before anybody
// heard of the outage (dispatcher down meanwhile), nobody is told of the
// outage and only those who asked for recoveries only hear "rétabli".
func TestRecoveryBeforeOutageWasSent(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"), person{id: 2, role: "eleve", recovery: true, academies: []string{"alpha"}})
	serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	recovery := serviceEvent(t, s, status.KindRecovery, "ent-alpha", "down", "up", april6.Add(3*time.Minute))
	start(t, fastOptions(s, cat, f))
	waitSettled(t, s, recovery)
	msgs := f.all()
	if len(msgs) != 1 || msgs[0].chat != 2 || !strings.HasPrefix(msgs[0].text, string(status.KindRecovery)) {
		t.Errorf("sent %+v, want only the recovery to the pupil 2 (no channel post: the outage was never posted)", msgs)
	}
}

// TestRecoveryFromDegradedSkipsRecoveryOnly: a slow ENT getting fast again
// is news only for those who were told it was slow.
func TestRecoveryFromDegradedSkipsRecoveryOnly(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, person{id: 1, role: "enseignant", outage: true, recovery: true, degraded: true, academies: []string{"alpha"}},
		parent(2, "alpha"), person{id: 3, role: "eleve", recovery: true, academies: []string{"alpha"}})
	d, _ := start(t, fastOptions(s, cat, f))
	announce(t, s, d, status.KindDegraded, "ent-alpha", "up", "degraded", april6)
	announce(t, s, d, status.KindRecovery, "ent-alpha", "degraded", "up", april6.Add(time.Hour))
	if got := f.chats(); !slices.Equal(got, []int64{1, 1}) {
		t.Errorf("sent to %v, want the teacher twice (degraded, recovery) and nobody else, no channel post", got)
	}
}

// waitRows waits until the states of an event's deliveries satisfy ok.
func waitRows(t *testing.T, s *storage.Store, eventID int64, ok func(map[int64]string) bool) {
	t.Helper()
	eventually(t, 10*time.Second, func() (bool, string) {
		rows, err := deliveriesOf(context.Background(), s, eventID)
		if err != nil {
			t.Fatal(err)
		}
		st := statesByChat(rows)
		return ok(st), fmt.Sprintf("rows of event %d: %v", eventID, st)
	})
}
