package notify

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// The vocabulary of the random worlds: académies, départements (codes
// shared by every académie: the SQL does not tie them), ENTs, plan Bs (one
// of blanks), and the académie every chat follows while the prior events
// are sent to it.
var (
	worldAcademies = []string{"alpha", "beta", "gamma", "delta"}
	worldDeps      = []string{"01", "02", "2A", "974", "78"}
	worldServices  = []string{"ent-a", "ent-b", "ent-c"}
	worldPlanBs    = []string{"", "", "Pronote papier, cahier de textes", " "}
	worldPrefs     = []string{storage.PrefNone, storage.PrefOutage, storage.PrefDegraded,
		storage.PrefDegradedAfterDown, storage.PrefRecovery}
	worldChunks = []int{0, 13, 50, 64, 199, 200, 1000}
)

const (
	worldChats   = 200
	worldClasses = 18
	worldPriors  = 4
	priorAcad    = "zz-prior"
)

// world is a database of random chats, subscriptions, classes and sent
// deliveries, with what it holds described as ChatFacts.
type world struct {
	store   *storage.Store
	chats   []ChatFacts // by id
	classes []int64
	prior   []int64
}

// buildWorld writes a random world in a store open opens: the prior events are sent to every
// chat with random outcomes first, then the chats get their own settings,
// subscriptions and classes.
func buildWorld(t *testing.T, r *rand.Rand, open func(testing.TB) *storage.Store) world {
	t.Helper()
	ctx := context.Background()
	w := world{store: open(t)}
	ids := map[int64]bool{}
	for len(ids) < worldChats {
		if id := r.Int64N(1<<41) - 1<<40; id != 0 {
			ids[id] = true
		}
	}
	for id := range ids {
		w.chats = append(w.chats, ChatFacts{ID: id})
	}
	slices.SortFunc(w.chats, func(a, b ChatFacts) int { return cmp.Compare(a.ID, b.ID) })
	w.prior = sendPriors(t, w.store, r, w.chats)
	sent := map[int64][]int64{}
	for _, ev := range w.prior {
		rows, err := deliveriesOf(ctx, w.store, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range rows {
			if d.State == "sent" {
				sent[d.ChatID] = append(sent[d.ChatID], ev)
			}
		}
	}
	err := w.store.Update(ctx, func(tx *storage.Tx) error {
		for i := range w.chats {
			w.chats[i] = randomChat(r, w.chats[i].ID, sent[w.chats[i].ID])
			if err := saveChat(ctx, tx, w.chats[i]); err != nil {
				return err
			}
		}
		var err error
		w.classes, err = randomClasses(ctx, tx, r, w.chats)
		return err
	})
	if err != nil {
		t.Fatalf("build world: %v", err)
	}
	return w
}

// sendPriors writes the prior events, expands each to every chat, and
// settles each delivery at random: sent, failed, cancelled, or pending
// for tomorrow.
func sendPriors(t *testing.T, s *storage.Store, r *rand.Rand, chats []ChatFacts) []int64 {
	t.Helper()
	ctx := context.Background()
	var prior []int64
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for _, c := range chats {
			if err := tx.CreateOrUpdateChat(ctx, storage.NewChat(c.ID)); err != nil {
				return err
			}
			if err := tx.Subscribe(ctx, c.ID, priorAcad); err != nil {
				return err
			}
		}
		for i := range worldPriors {
			id, _, err := tx.InsertEvent(ctx, storage.NewEvent{DedupKey: fmt.Sprintf("prior-%d", i),
				Kind: status.KindAnnouncement, Priority: storage.PriorityNotice, Audience: status.AudienceAcademie(priorAcad)})
			prior = append(prior, id)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("prior events: %v", err)
	}
	for _, ev := range prior {
		for p := (storage.ExpandProgress{}); !p.Done; {
			if p, err = s.ExpandStep(ctx, storage.ExpandSpec{EventID: ev, Academies: []string{priorAcad}}); err != nil {
				t.Fatalf("expand prior event: %v", err)
			}
		}
	}
	var results []storage.DeliveryResult
	for {
		cl, err := s.SettleAndClaim(ctx, results, 1000, storage.ClaimFilter{}, time.Hour)
		if err != nil {
			t.Fatalf("settle prior deliveries: %v", err)
		}
		if len(cl.Deliveries) == 0 {
			return prior
		}
		results = results[:0]
		for _, d := range cl.Deliveries {
			res := storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeSent, MessageID: 1}
			switch r.IntN(6) {
			case 0:
				res.Outcome, res.Error = storage.OutcomeFailed, "test"
			case 1:
				res.Outcome, res.Error = storage.OutcomeCancelled, "test"
			case 2:
				res.Outcome, res.RetryAt = storage.OutcomeRequeue, time.Now().Add(24*time.Hour)
			}
			results = append(results, res)
		}
	}
}

// randomChat draws a chat's settings and subscriptions.
func randomChat(r *rand.Rand, id int64, sent []int64) ChatFacts {
	c := ChatFacts{ID: id, Active: r.IntN(6) != 0, Levels: status.LevelMask(r.IntN(8)), AlertOutage: r.IntN(3) != 0,
		AlertDegraded: r.IntN(3) == 0, AlertRecovery: r.IntN(3) != 0, Sent: sent}
	for _, a := range pickSome(r, worldAcademies, r.IntN(4)) {
		s := SubscriptionFacts{Academie: a}
		if r.IntN(5) < 2 {
			s.Departements = pickSome(r, worldDeps, 1+r.IntN(2))
		}
		c.Subscriptions = append(c.Subscriptions, s)
	}
	return c
}

// saveChat writes a chat's settings and subscriptions, leaving the prior
// events' académie.
func saveChat(ctx context.Context, tx *storage.Tx, c ChatFacts) error {
	row := storage.NewChat(c.ID)
	if c.ID < 0 {
		row.Kind = "group"
	}
	row.Active, row.Levels = c.Active, c.Levels
	row.AlertOutage, row.AlertDegraded, row.AlertRecovery = c.AlertOutage, c.AlertDegraded, c.AlertRecovery
	if err := tx.CreateOrUpdateChat(ctx, row); err != nil {
		return err
	}
	if err := tx.Unsubscribe(ctx, c.ID, priorAcad); err != nil {
		return err
	}
	for _, s := range c.Subscriptions {
		if err := tx.Subscribe(ctx, c.ID, s.Academie); err != nil {
			return err
		}
		if err := tx.NarrowSubscription(ctx, c.ID, s.Academie, s.Departements); err != nil {
			return err
		}
	}
	return nil
}

// randomClasses opens classes of random académies, ENTs and plan Bs,
// closes some (and gives some of those a plan B and members afterwards,
// which storage allows), and adds random members, recording each
// membership in the member's facts.
func randomClasses(ctx context.Context, tx *storage.Tx, r *rand.Rand, chats []ChatFacts) ([]int64, error) {
	var ids []int64
	for i := range worldClasses {
		k := ClassFacts{Academie: worldAcademies[r.IntN(len(worldAcademies))],
			PlanB: worldPlanBs[r.IntN(len(worldPlanBs))], Closed: r.IntN(5) == 0}
		if r.IntN(3) != 0 {
			k.ServiceID = worldServices[r.IntN(len(worldServices))]
		}
		c, err := tx.CreateClass(ctx, storage.NewClass{Code: fmt.Sprintf("C%02d", i), Name: "classe", Academie: k.Academie,
			OwnerChatID: chats[r.IntN(len(chats))].ID, PlanB: k.PlanB, ServiceID: k.ServiceID})
		if err != nil {
			return nil, err
		}
		k.ClassID = c.ID
		if k.Closed {
			k.PlanB = worldPlanBs[r.IntN(len(worldPlanBs))]
			if err := tx.CloseClass(ctx, c.ID); err != nil {
				return nil, err
			}
			if err := tx.SetPlanB(ctx, c.ID, k.PlanB); err != nil {
				return nil, err
			}
		}
		for j := range chats {
			if r.IntN(10) == 0 {
				if err := tx.JoinClass(ctx, c.ID, chats[j].ID); err != nil {
					return nil, err
				}
				chats[j].Classes = append(chats[j].Classes, k)
			}
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// pickSome returns n distinct elements of xs (all when fewer), in a random
// order.
func pickSome[T any](r *rand.Rand, xs []T, n int) []T {
	xs = slices.Clone(xs)
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	return xs[:min(n, len(xs))]
}
