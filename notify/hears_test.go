package notify

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// seedFlag replays a failure of a randomised test (TestHearsMatchesExpansion,
// TestSupersedesMatchesStorage): go test -run … ./notify -seed=N.
var seedFlag = flag.Uint64("seed", 0, "seed of the random worlds of the conformance tests (0: a new one)")

// testSeed is the seed of a randomised test, printed when it fails.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d: replay with go test -run '^%s$' ./notify -seed=%d", seed, t.Name(), seed)
		}
	})
	return seed
}

// TestHearsMatchesExpansion: storage's SQL expansion gives a delivery row
// to exactly the chats Hears selects, step by step. Two random worlds of
// 200 chats meet, between them, every combination of Pref and flags on an
// académie audience, then random specs of any shape (every audience,
// fields that the chosen audience ignores, bad specs), expanded in small
// chunks, then each class and some chats (inactive ones first) alone.
// It runs on both engines.
func TestHearsMatchesExpansion(t *testing.T) {
	engines(t, testHearsMatchesExpansion)
}

func testHearsMatchesExpansion(t *testing.T, open func(testing.TB) *storage.Store) {
	r := rand.New(rand.NewPCG(testSeed(t), 0))
	for w := range 2 {
		wd := buildWorld(t, r, open)
		var specs []storage.ExpandSpec
		for i, s := range flagSpecs(r, wd) {
			if i%2 == w { // the combinations share the worlds
				specs = append(specs, s)
			}
		}
		for range 50 {
			specs = append(specs, randomSpec(r, wd))
		}
		specs = append(specs, targetedSpecs(r, wd)...)
		eventsFor(t, wd.store, fmt.Sprintf("w%d", w), specs)
		for i, spec := range specs {
			if !checkExpansion(t, wd, spec) {
				t.Fatalf("world %d, spec %d: the SQL and Hears disagree (first disagreement above)", w, i)
			}
		}
	}
}

// flagSpecs is every combination of Pref, WithClasses, PlanBMembers,
// RecoveryOnly, Departements and ClassService on an audience of
// académies, the rest at random.
func flagSpecs(r *rand.Rand, w world) []storage.ExpandSpec {
	var out []storage.ExpandSpec
	for _, pref := range worldPrefs {
		for bits := range 1 << 5 {
			s := storage.ExpandSpec{Academies: pickSome(r, worldAcademies, 1+r.IntN(3)), Pref: pref,
				WithClasses: bits&1 != 0, PlanBMembers: bits&2 != 0, RecoveryOnly: bits&4 != 0,
				Prior: pickSome(r, w.prior, r.IntN(3)), ChunkSize: worldChunks[r.IntN(len(worldChunks))]}
			if bits&8 != 0 {
				s.Departements = pickSome(r, worldDeps, 1+r.IntN(3))
			}
			if bits&16 != 0 {
				s.ClassService = worldServices[r.IntN(len(worldServices))]
			}
			if r.IntN(3) != 0 {
				s.LevelMask = status.LevelMask(1 + r.IntN(7))
			}
			out = append(out, s)
		}
	}
	return out
}

// randomSpec draws a spec of any shape: any audience, often with fields
// that audience ignores, sometimes one storage refuses.
func randomSpec(r *rand.Rand, w world) storage.ExpandSpec {
	var s storage.ExpandSpec
	switch r.IntN(10) {
	case 0:
		s.ChatID = w.chats[r.IntN(len(w.chats))].ID
		if r.IntN(5) == 0 {
			s.ChatID = 42 // nobody
		}
	case 1:
		s.ClassID = w.classes[r.IntN(len(w.classes))]
		if r.IntN(8) == 0 {
			s.ClassID = 9999 // no such class
		}
	case 2, 3:
		s.Everyone = true
	case 4:
		// no audience: refused, unless the noise below gives one
	default:
		s.Academies = pickSome(r, slices.Concat(worldAcademies, []string{"omega"}), 1+r.IntN(3))
	}
	randomRest(r, w, &s)
	return s
}

// targetedSpecs reach each class, and chats one by one, inactive ones
// first, with random filters.
func targetedSpecs(r *rand.Rand, w world) []storage.ExpandSpec {
	var out []storage.ExpandSpec
	for _, id := range w.classes {
		s := storage.ExpandSpec{ClassID: id}
		randomRest(r, w, &s)
		out = append(out, s)
	}
	chats := slices.Clone(w.chats)
	slices.SortStableFunc(chats, func(a, b ChatFacts) int { return cmp.Compare(boolInt(a.Active), boolInt(b.Active)) })
	for _, c := range chats[:16] {
		s := storage.ExpandSpec{ChatID: c.ID}
		randomRest(r, w, &s)
		out = append(out, s)
	}
	return out
}

// randomRest draws the fields of a spec besides its audience, sometimes
// with a second audience (ignored but for PlanBMembers).
func randomRest(r *rand.Rand, w world, s *storage.ExpandSpec) {
	if r.IntN(4) == 0 {
		s.Academies = pickSome(r, worldAcademies, 1+r.IntN(2))
	}
	s.Everyone = s.Everyone || r.IntN(10) == 0
	if r.IntN(3) == 0 {
		s.Departements = pickSome(r, worldDeps, 1+r.IntN(3))
	}
	if r.IntN(2) == 0 {
		s.ClassService = worldServices[r.IntN(len(worldServices))]
	}
	s.WithClasses, s.PlanBMembers, s.RecoveryOnly = r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0
	if r.IntN(2) == 0 {
		s.LevelMask = status.LevelMask(r.IntN(8))
	}
	s.Pref = worldPrefs[r.IntN(len(worldPrefs))]
	if r.IntN(25) == 0 {
		s.Pref = "sometimes" // refused
	}
	s.Prior = pickSome(r, slices.Concat(w.prior, []int64{123456}), r.IntN(4))
	s.ChunkSize = worldChunks[r.IntN(len(worldChunks))]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eventsFor writes one event to expand per spec and sets the specs'
// EventID.
func eventsFor(t *testing.T, s *storage.Store, prefix string, specs []storage.ExpandSpec) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for i := range specs {
			id, _, err := tx.InsertEvent(ctx, storage.NewEvent{DedupKey: fmt.Sprintf("%s-spec-%d", prefix, i),
				Kind: status.KindAnnouncement, Priority: storage.PriorityNotice, Audience: status.AudienceAll()})
			if err != nil {
				return err
			}
			specs[i].EventID = id
		}
		return nil
	})
	if err != nil {
		t.Fatalf("events to expand: %v", err)
	}
}

// checkExpansion expands spec's event step by step as the dispatcher does
// and compares each step's count and the rows written with HearsInStep and
// Hears. It reports whether they agree.
func checkExpansion(t *testing.T, w world, spec storage.ExpandSpec) bool {
	t.Helper()
	ctx := context.Background()
	ok := true
	for lo, step := int64(math.MinInt64), 0; ; step++ {
		p, err := w.store.ExpandStep(ctx, spec)
		if !expandable(spec) {
			if err == nil {
				t.Errorf("spec %s: expanded, want refused (Hears reaches nobody)", specString(spec))
				return false
			}
			return true
		}
		if err != nil {
			t.Fatalf("spec %s: step %d: %v", specString(spec), step, err)
		}
		hi, last := stepBound(w, spec, lo)
		want := 0
		for _, c := range w.chats {
			if HearsInStep(spec, lo, hi, c) {
				want++
			}
		}
		if p.Inserted != int64(want) || p.Done != last {
			t.Errorf("spec %s: step %d over chats (%d, %d]: inserted %d rows, done %v; HearsInStep gives %d, done %v",
				specString(spec), step, lo, hi, p.Inserted, p.Done, want, last)
			ok = false
		}
		if p.Done {
			break
		}
		if step > worldChats {
			t.Fatalf("spec %s: not done after %d steps", specString(spec), step)
		}
		lo = hi
	}
	rows, err := deliveriesOf(ctx, w.store, spec.EventID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]bool{}
	for _, d := range rows {
		got[d.ChatID] = true
	}
	var diff []string
	for _, c := range w.chats {
		if h := Hears(spec, c); h != got[c.ID] {
			diff = append(diff, fmt.Sprintf("  chat %d: SQL row %v, Hears %v; %s", c.ID, got[c.ID], h, factsString(c)))
		}
	}
	if len(diff) > 0 {
		t.Errorf("spec %s: %d chats where the expansion and Hears disagree:\n%s",
			specString(spec), len(diff), strings.Join(diff[:min(len(diff), 5)], "\n"))
		ok = false
	}
	return ok
}

// stepBound is the chunk the expansion's next step covers after the chat
// id lo: up to the ChunkSize-th chat id after it (every chat counts,
// whatever it hears), or to the end when fewer are left; a spec of a chat
// or a class in one step.
func stepBound(w world, spec storage.ExpandSpec, lo int64) (hi int64, last bool) {
	if spec.ChatID != 0 || spec.ClassID != 0 {
		return math.MaxInt64, true
	}
	chunk := spec.ChunkSize
	if chunk <= 0 {
		chunk = storage.DefaultExpandChunk
	}
	i, _ := slices.BinarySearchFunc(w.chats, lo+1, func(c ChatFacts, id int64) int { return cmp.Compare(c.ID, id) })
	if i+chunk-1 < len(w.chats) {
		return w.chats[i+chunk-1].ID, false
	}
	return math.MaxInt64, true
}

func specString(s storage.ExpandSpec) string {
	return fmt.Sprintf("{ChatID:%d ClassID:%d Everyone:%v Academies:%v Departements:%v WithClasses:%v ClassService:%q "+
		"PlanBMembers:%v LevelMask:%d Pref:%q Prior:%v RecoveryOnly:%v ChunkSize:%d}",
		s.ChatID, s.ClassID, s.Everyone, s.Academies, s.Departements, s.WithClasses, s.ClassService,
		s.PlanBMembers, s.LevelMask, s.Pref, s.Prior, s.RecoveryOnly, s.ChunkSize)
}

func factsString(c ChatFacts) string {
	return fmt.Sprintf("active %v, levels %d, alerts outage %v degraded %v recovery %v, subscriptions %+v, classes %+v, sent %v",
		c.Active, c.Levels, c.AlertOutage, c.AlertDegraded, c.AlertRecovery, c.Subscriptions, c.Classes, c.Sent)
}
