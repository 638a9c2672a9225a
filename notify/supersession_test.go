package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// TestSupersedesMatchesStorage: over random sequences of events about two
// services (and events of other kinds, some carrying a service id), what
// storage cancels when an event supersedes the earlier ones (Supersede,
// called as notify calls it: for service events) and the messages it
// skips at send time as "news outdated" (PrepareDelivery) are what
// Supersedes says. The events' rows are left in every state: not expanded,
// half expanded, pending, inflight, sent, failed, dead.
// It runs on both engines.
func TestSupersedesMatchesStorage(t *testing.T) {
	engines(t, testSupersedesMatchesStorage)
}

func testSupersedesMatchesStorage(t *testing.T, open func(testing.TB) *storage.Store) {
	r := rand.New(rand.NewPCG(testSeed(t), 0))
	for trial := range 12 {
		s := open(t)
		evs := randomHistory(t, s, r, trial)
		checkPrepared(t, s, trial, evs)
		var services []storage.Event
		for _, e := range evs {
			if e.Kind.IsService() && e.ServiceID != "" {
				services = append(services, e)
			}
		}
		for range min(3, len(services)) {
			b := services[r.IntN(len(services))]
			checkSupersede(t, s, trial, evs, b)
			checkPrepared(t, s, trial, evs)
		}
		if t.Failed() {
			t.Fatalf("trial %d: storage and Supersedes disagree (above)", trial)
		}
	}
}

// randomHistory writes up to 16 events, each left new, half expanded or
// expanded to three chats and a channel, then claims and settles some of
// their rows, and kills some events. It returns the events as written
// (their ids and kinds: their states move).
func randomHistory(t *testing.T, s *storage.Store, r *rand.Rand, trial int) []storage.Event {
	t.Helper()
	ctx := context.Background()
	svcs := []string{"ent-a", "ent-b"}
	var evs []storage.Event
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for id := int64(1); id <= 3; id++ {
			if err := tx.CreateOrUpdateChat(ctx, storage.NewChat(id)); err != nil {
				return err
			}
			if err := tx.Subscribe(ctx, id, "alpha"); err != nil {
				return err
			}
		}
		for i := range 4 + r.IntN(13) {
			// A service event always names its service, as the checker
			// writes it: two naming none would be news of one service
			// for PrepareDelivery's SQL, and of none for Supersedes.
			e := storage.Event{Kind: []status.Kind{status.KindOutage, status.KindDegraded, status.KindRecovery}[r.IntN(3)],
				ServiceID: svcs[r.IntN(2)], Priority: r.IntN(3)}
			if r.IntN(4) == 0 {
				// Another kind, maybe naming a service: it supersedes nothing.
				e.Kind = []status.Kind{status.KindClassNotice, status.KindAnnouncement, status.KindReply}[r.IntN(3)]
				e.ServiceID = []string{"", svcs[0], svcs[1]}[r.IntN(3)]
			}
			id, _, err := tx.InsertEvent(ctx, storage.NewEvent{DedupKey: fmt.Sprintf("t%d-e%d", trial, i), Kind: e.Kind,
				Priority: e.Priority, ServiceID: e.ServiceID, Audience: status.AudienceAcademie("alpha")})
			e.ID = id
			evs = append(evs, e)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	for _, e := range evs {
		spec := storage.ExpandSpec{EventID: e.ID, Academies: []string{"alpha"}, ChunkSize: 1,
			Channels: []storage.ChannelTarget{{Channel: "@ent_alpha", Academie: "alpha"}}}
		steps := []int{0, 1, 4, 4}[r.IntN(4)] // new, half expanded, expanded (a step per chat, one more to end)
		for range steps {
			if _, err := s.ExpandStep(ctx, spec); err != nil {
				t.Fatalf("expand: %v", err)
			}
		}
	}
	var results []storage.DeliveryResult
	for range 4 {
		cl, err := s.SettleAndClaim(ctx, results, 1+r.IntN(4), storage.ClaimFilter{}, time.Hour)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		results = results[:0]
		for _, d := range cl.Deliveries {
			switch r.IntN(3) {
			case 0:
				results = append(results, storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeSent, MessageID: 1})
			case 1:
				results = append(results, storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeFailed, Error: "test"})
			} // else left inflight
		}
	}
	for _, e := range evs {
		if r.IntN(6) == 0 { // its rows inflight stay so
			if err := s.MarkEventDead(ctx, e.ID, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	return evs
}

// history is the events' states and rows as stored.
type history struct {
	events map[int64]storage.Event
	rows   map[int64][]storagetest.Delivery
}

func readHistory(t *testing.T, s *storage.Store, evs []storage.Event) history {
	t.Helper()
	ctx := context.Background()
	h := history{events: map[int64]storage.Event{}, rows: map[int64][]storagetest.Delivery{}}
	for _, e := range evs {
		stored, err := s.Event(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		h.events[e.ID] = stored
		if h.rows[e.ID], err = deliveriesOf(ctx, s, e.ID); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// checkPrepared asks PrepareDelivery about every inflight row: the news of
// an event that a later one supersedes is outdated.
func checkPrepared(t *testing.T, s *storage.Store, trial int, evs []storage.Event) {
	t.Helper()
	h := readHistory(t, s, evs)
	for _, e := range evs {
		ev := h.events[e.ID]
		want := ""
		switch {
		case ev.State == "dead" || ev.State == "superseded":
			want = "event " + ev.State
		case anySupersedes(evs, ev):
			want = "news outdated"
		}
		for _, row := range h.rows[e.ID] {
			if row.State != "inflight" {
				continue
			}
			d := storage.Delivery{EventID: e.ID, ChatID: row.ChatID, Channel: row.Channel, Academie: "alpha"}
			_, skip, err := s.PrepareDelivery(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if skip != want {
				t.Errorf("trial %d: prepare event %d (%s %q, %s) to %s: skip %q, want %q\n  events: %s",
					trial, e.ID, e.Kind, e.ServiceID, ev.State, rowTarget(row), skip, want, eventsString(h, evs))
			}
		}
	}
}

// anySupersedes tells whether one of evs supersedes e.
func anySupersedes(evs []storage.Event, e storage.Event) bool {
	for _, n := range evs {
		if Supersedes(n, e) {
			return true
		}
	}
	return false
}

// checkSupersede calls Supersede for b and compares what it changed with
// Supersedes: the earlier events it supersedes, new or expanded, are
// marked superseded and their pending rows cancelled; nothing else moves.
func checkSupersede(t *testing.T, s *storage.Store, trial int, evs []storage.Event, b storage.Event) {
	t.Helper()
	before := readHistory(t, s, evs)
	sup, err := s.Supersede(context.Background(), before.events[b.ID])
	if err != nil {
		t.Fatalf("supersede: %v", err)
	}
	after := readHistory(t, s, evs)
	inflight := 0
	for _, a := range evs {
		obsolete := Supersedes(b, a)
		want := before.events[a.ID].State
		if obsolete && (want == "new" || want == "expanded") {
			want = "superseded"
		}
		if got := after.events[a.ID].State; got != want {
			t.Errorf("trial %d: Supersede(event %d %s %q): event %d (%s %q) is %s, want %s (Supersedes: %v)\n  events before: %s",
				trial, b.ID, b.Kind, b.ServiceID, a.ID, a.Kind, a.ServiceID, got, want, obsolete, eventsString(before, evs))
		}
		for i, row := range before.rows[a.ID] {
			want := row.State
			if obsolete && want == "pending" {
				want = "cancelled"
			}
			if obsolete && row.State == "inflight" {
				inflight++
			}
			if got := after.rows[a.ID][i]; got.State != want || got.ChatID != row.ChatID || got.Channel != row.Channel {
				t.Errorf("trial %d: Supersede(event %d %s %q): row of event %d (%s %q) to %s is %s, want %s (Supersedes: %v)",
					trial, b.ID, b.Kind, b.ServiceID, a.ID, a.Kind, a.ServiceID, rowTarget(row), got.State, want, obsolete)
			}
		}
	}
	if sup.Inflight != inflight {
		t.Errorf("trial %d: Supersede(event %d): %d rows inflight, want %d", trial, b.ID, sup.Inflight, inflight)
	}
}

func eventsString(h history, evs []storage.Event) string {
	out := ""
	for _, e := range evs {
		out += fmt.Sprintf("%d:%s/%q/%s ", e.ID, e.Kind, e.ServiceID, h.events[e.ID].State)
	}
	return out
}

// rowTarget names where a row goes: a chat or a channel.
func rowTarget(row storagetest.Delivery) string {
	if row.Channel != "" {
		return row.Channel
	}
	return fmt.Sprintf("chat %d", row.ChatID)
}
