package notify

import (
	"context"
	"slices"
	"strings"
	"testing"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// TestPlanBFollowsTheClassService: over the default catalog, a class bound
// to enc92 has its plan B sent with enc92's outage and not with
// monlycee's; the members of a class bound to another ENT (ecollege78)
// hear nothing of enc92 through it; a class bound to no ENT (made before
// classes were bound) keeps its plan B with every ENT of its académie.
func TestPlanBFollowsTheClassService(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	s, f := openStore(t), newFakeSender()
	member := func(id int64, academies ...string) person {
		return person{id: id, role: "parent", outage: true, recovery: true, academies: academies}
	}
	addPeople(t, s, person{id: 10, role: "enseignant"},
		member(11, "versailles"), member(12), // class bound to enc92: subscribed, class only
		member(13), member(14, "versailles"), // class bound to ecollege78
		member(15)) // class bound to nothing
	classes := []struct {
		code, service, planB string
		members              []int64
	}{
		{"C92", "enc92", "PB92", []int64{11, 12}},
		{"C78", "ecollege78", "PB78", []int64{13, 14}},
		{"OLD", "", "PBOLD", []int64{15}},
	}
	err = s.Update(ctx, func(tx *storage.Tx) error {
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
	enc92 := serviceEvent(t, s, storage.KindOutage, "enc92", "up", "down", april6)
	lycee := serviceEvent(t, s, storage.KindOutage, "monlycee", "up", "down", april6)
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
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
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
