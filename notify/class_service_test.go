package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

// TestPlanBFollowsTheClassService: over the default catalog, a class bound
// to enc92 has its plan B sent with enc92's outage and not with
// monlycee's; the members of a class bound to another ENT (ecollege78)
// hear nothing of enc92 through it; a class bound to no ENT (made before
// classes were bound) keeps its plan B with every ENT of its académie.
func TestPlanBFollowsTheClassService(t *testing.T) {
	cat := defaultCatalog(t)
	s, f := openStore(t), newFakeSender()
	member := func(id int64, academies ...string) person {
		return person{id: id, role: "parent", outage: true, recovery: true, academies: academies}
	}
	addPeople(t, s, person{id: 10, role: "enseignant"},
		member(11, "versailles"), member(12), // class bound to enc92: subscribed, class only
		member(13), member(14, "versailles"), // class bound to ecollege78
		member(15)) // class bound to nothing
	addClasses(t, s, []testClass{
		{"C92", "enc92", "PB92", []int64{11, 12}},
		{"C78", "ecollege78", "PB78", []int64{13, 14}},
		{"OLD", "", "PBOLD", []int64{15}},
	})
	enc92 := serviceEvent(t, s, status.KindOutage, "enc92", "up", "down", april6)
	lycee := serviceEvent(t, s, status.KindOutage, "monlycee", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	waitSettled(t, s, enc92)
	waitSettled(t, s, lycee)

	got := map[string]map[int64]string{} // service name → chat → text
	for _, m := range f.all() {
		if m.channel != "" {
			continue
		}
		head, _, _ := strings.Cut(m.text, "\n")
		if got[head] == nil {
			got[head] = map[int64]string{}
		}
		if _, twice := got[head][m.chat]; twice {
			t.Errorf("chat %d got %q twice", m.chat, head)
		}
		got[head][m.chat] = m.text
	}
	tests := []struct {
		name  string
		head  string
		want  map[int64]string // chat → the plan B it must carry ("" none)
		plans []string
	}{
		{"enc92 outage", "outage: " + mustService(t, cat, "enc92").Name,
			map[int64]string{11: "PB92", 12: "PB92", 14: "", 15: "PBOLD"}, []string{"PB92", "PB78", "PBOLD"}},
		{"monlycee outage", "outage: " + mustService(t, cat, "monlycee").Name,
			map[int64]string{11: "", 14: "", 15: "PBOLD"}, []string{"PB92", "PB78", "PBOLD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := got[strings.ReplaceAll(tt.head, "&", "&amp;")]
			var chats, wantChats []int64
			for c := range msgs {
				chats = append(chats, c)
			}
			for c := range tt.want {
				wantChats = append(wantChats, c)
			}
			slices.Sort(chats)
			slices.Sort(wantChats)
			if !slices.Equal(chats, wantChats) {
				t.Fatalf("sent to %v, want %v", chats, wantChats)
			}
			for chat, plan := range tt.want {
				for _, p := range tt.plans {
					if has := strings.Contains(msgs[chat], ": "+p); has != (p == plan) {
						t.Errorf("chat %d: plan B %s in message = %v, want %v: %q", chat, p, has, p == plan, msgs[chat])
					}
				}
			}
		})
	}
}

func mustService(t *testing.T, cat *catalog.Catalog, id string) catalog.Service {
	t.Helper()
	s, ok := cat.Service(id)
	if !ok {
		t.Fatalf("no service %q in the catalog", id)
	}
	return s
}

// TestClassHearsService is the rule of classHearsService, read from the
// default catalog.
func TestClassHearsService(t *testing.T) {
	cat := defaultCatalog(t)
	tests := []struct {
		name    string
		class   storage.ClassRef
		service string
		want    bool
	}{
		{"bound, its ENT", storage.ClassRef{Academie: "versailles", ServiceID: "enc92"}, "enc92", true},
		{"bound, another ENT of the académie", storage.ClassRef{Academie: "versailles", ServiceID: "enc92"}, "monlycee", false},
		{"bound, a national service", storage.ClassRef{Academie: "versailles", ServiceID: "enc92"}, "educonnect", true},
		{"not bound, an ENT of the académie", storage.ClassRef{Academie: "versailles"}, "ecollege78", true},
		{"not bound, another académie's ENT", storage.ClassRef{Academie: "lille"}, "enc92", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classHearsService(cat, tt.class, mustService(t, cat, tt.service)); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// planBMarker marks the messages rendered for the plan B alone.
type planBMarker struct{ testRenderer }

func (r planBMarker) Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	msg, err := r.testRenderer.Render(ctx, ev, to)
	if to.PlanBOnly {
		msg.Text = "[plan B seul]\n" + msg.Text
	}
	return msg, err
}

// TestEveryMemberGetsThePlanB: when a class's ENT fails, every member gets
// its plan B whatever their role, alert settings and levels: inside the
// outage message when they get one, else alone; once however many of
// their classes have one; not for a class bound to another ENT, nor for a
// class without a plan B; and the recovery cancels what is not sent yet.
func TestEveryMemberGetsThePlanB(t *testing.T) {
	cat := defaultCatalog(t)
	s, f := openStore(t), newFakeSender()
	addPeople(t, s, person{id: 10, role: "enseignant"},
		person{id: 21, role: "eleve", recovery: true, academies: []string{"versailles"}}, // pupil default, two classes
		person{id: 22, role: "parent", outage: true, levels: status.Lycee.Bit()},         // wrong level
		person{id: 23, role: "parent", outage: true, recovery: true},                     // outage alerts on
		person{id: 24, role: "eleve", recovery: true},                                    // class bound elsewhere
		person{id: 25, role: "eleve", recovery: true})                                    // class without plan B
	addClasses(t, s, []testClass{
		{"A92", "enc92", "PBA", []int64{21, 22, 23}},
		{"B92", "enc92", "PBB", []int64{21}},
		{"C78", "ecollege78", "PBC", []int64{24}},
		{"D92", "enc92", "", []int64{25}},
	})
	ev := serviceEvent(t, s, status.KindOutage, "enc92", "up", "down", april6)
	opt := fastOptions(s, cat, f)
	opt.Renderer = planBMarker{testRenderer{cat}}
	start(t, opt)
	waitSettled(t, s, ev)
	got := map[int64][]string{}
	for _, m := range f.all() {
		if m.channel == "" {
			got[m.chat] = append(got[m.chat], m.text)
		}
	}
	want := map[int64]struct {
		alone bool
		plans []string
	}{
		21: {true, []string{"PBA", "PBB"}},
		22: {true, []string{"PBA"}},
		23: {false, []string{"PBA"}},
	}
	if len(got) != len(want) {
		t.Errorf("sent to %v, want chats 21, 22, 23 only", got)
	}
	for chat, w := range want {
		msgs := got[chat]
		if len(msgs) != 1 {
			t.Errorf("chat %d got %d messages, want 1: %q", chat, len(msgs), msgs)
			continue
		}
		if alone := strings.HasPrefix(msgs[0], "[plan B seul]"); alone != w.alone {
			t.Errorf("chat %d: plan B alone = %v, want %v: %q", chat, alone, w.alone, msgs[0])
		}
		for _, p := range w.plans {
			if !strings.Contains(msgs[0], ": "+p) {
				t.Errorf("chat %d: message lacks plan B %s: %q", chat, p, msgs[0])
			}
		}
	}
}

// TestRecoveryCancelsThePlanBAlone: a plan B alone not sent yet when the
// ENT is back is cancelled with the outage messages.
func TestRecoveryCancelsThePlanBAlone(t *testing.T) {
	ctx := context.Background()
	cat := defaultCatalog(t)
	s := openStore(t)
	addPeople(t, s, person{id: 10, role: "enseignant"}, person{id: 21, role: "eleve", recovery: true})
	addClasses(t, s, []testClass{{"A", "enc92", "PBA", []int64{21}}})
	outage := serviceEvent(t, s, status.KindOutage, "enc92", "up", "down", april6)
	d := &Dispatcher{cat: cat, opt: Options{ExpandChunk: 100}}
	spec := specOf(t, s, d, outage)
	if _, err := s.ExpandStep(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if rows := statesByChat(mustDeliveries(t, s, outage)); rows[21] != "pending" {
		t.Fatalf("the pupil's plan B delivery is %q, want pending", rows[21])
	}
	recovery := serviceEvent(t, s, status.KindRecovery, "enc92", "down", "up", april6.Add(time.Hour))
	rev, err := s.Event(ctx, recovery)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Supersede(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if rows := statesByChat(mustDeliveries(t, s, outage)); rows[21] != "cancelled" {
		t.Errorf("after the recovery the plan B delivery is %q, want cancelled", rows[21])
	}
}

func mustDeliveries(t *testing.T, s *storage.Store, eventID int64) []storagetest.Delivery {
	t.Helper()
	rows, err := deliveriesOf(context.Background(), s, eventID)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// testClass is a class of Versailles owned by chat 10.
type testClass struct {
	code, service, planB string
	members              []int64
}

func addClasses(t *testing.T, s *storage.Store, classes []testClass) {
	t.Helper()
	ctx := context.Background()
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for _, c := range classes {
			k, err := tx.CreateClass(ctx, storage.NewClass{Code: c.code, Name: c.code, Academie: "versailles",
				OwnerChatID: 10, PlanB: c.planB, ServiceID: c.service})
			if err != nil {
				return err
			}
			for _, m := range c.members {
				if err := tx.JoinClass(ctx, k.ID, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
