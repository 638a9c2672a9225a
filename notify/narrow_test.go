package notify

import (
	"context"
	"slices"
	"testing"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// TestExpansionFollowsServicesFor holds the expansion SQL to the rule it
// carries, catalog.ServicesFor: over the whole default catalog, a
// subscriber (whole académie, narrowed to one département, to two) hears
// the outage of a service exactly when ServicesFor lists it for one of
// their subscriptions.
func TestExpansionFollowsServicesFor(t *testing.T) {
	ctx := context.Background()
	cat := defaultCatalog(t)
	s := openStore(t)
	type sub struct {
		academie string
		deps     []string
	}
	subsOf := map[int64][]sub{}
	id := int64(0)
	add := func(subs ...sub) {
		id++
		subsOf[id] = subs
	}
	for _, a := range cat.Academies {
		add(sub{a.Slug, nil})
		for _, d := range a.Departements {
			add(sub{a.Slug, []string{d.Code}})
		}
		if len(a.Departements) >= 2 {
			add(sub{a.Slug, []string{a.Departements[0].Code, a.Departements[1].Code}})
		}
	}
	// Two subscriptions, one narrowed: each reaches its own services.
	add(sub{"versailles", []string{"78"}}, sub{"creteil", nil})
	add(sub{"versailles", []string{"92"}}, sub{"creteil", []string{"93"}})
	err := s.Update(ctx, func(tx *storage.Tx) error {
		for chat, subs := range subsOf {
			if err := tx.CreateOrUpdateChat(ctx, storage.NewChat(chat)); err != nil {
				return err
			}
			for _, x := range subs {
				if err := tx.Subscribe(ctx, chat, x.academie); err != nil {
					return err
				}
				if err := tx.NarrowSubscription(ctx, chat, x.academie, x.deps); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(fastOptions(s, cat, newFakeSender()))
	if err != nil {
		t.Fatal(err)
	}
	local := 0
	for _, svc := range cat.Services {
		if svc.National || len(cat.AcademiesOf(svc.ID)) == 0 {
			continue
		}
		if svc.Local() {
			local++
		}
		evID := serviceEvent(t, s, status.KindOutage, svc.ID, "up", "down", april6)
		spec := specOf(t, s, d, evID)
		spec.Channels = nil
		for {
			p, err := s.ExpandStep(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if p.Done {
				break
			}
		}
		rows, err := deliveriesOf(ctx, s, evID)
		if err != nil {
			t.Fatal(err)
		}
		var got, want []int64
		for _, r := range rows {
			got = append(got, r.ChatID)
		}
		for chat, subs := range subsOf {
			if slices.ContainsFunc(subs, func(x sub) bool {
				return slices.ContainsFunc(cat.ServicesFor(x.academie, x.deps), func(o catalog.Service) bool { return o.ID == svc.ID })
			}) {
				want = append(want, chat)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("outage of %s reaches %v, ServicesFor says %v", svc.ID, got, want)
		}
	}
	if local == 0 {
		t.Fatal("the default catalog has no service of some départements: the test proves nothing")
	}
}
