package catalog

import (
	"cmp"
	"slices"
	"time"

	"sentinelle/status"
)

// Service returns the service with this id. The bool is false for an id the
// catalog does not know, typically a stale id in the database after the
// catalog was edited.
func (c *Catalog) Service(id string) (Service, bool) {
	i, ok := c.serviceByID[id]
	if !ok {
		return Service{}, false
	}
	return c.Services[i], true
}

// Academy returns the académie with this exact slug. Use Find for what a
// user typed.
func (c *Catalog) Academy(slug string) (Academy, bool) {
	i, ok := c.academyBySlug[slug]
	if !ok {
		return Academy{}, false
	}
	return c.Academies[i], true
}

// AcademiesOf returns the académies that rely on a service, sorted by slug,
// so that an outage of a shared ENT (MonLycée.net, ENT HDF…) reaches the
// subscribers of every one of them. A national service concerns everybody
// and is listed by no académie, so it gets none here.
func (c *Catalog) AcademiesOf(serviceID string) []Academy {
	var out []Academy
	for _, a := range c.Academies {
		if slices.Contains(a.Services, serviceID) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Academy) int { return cmp.Compare(x.Slug, y.Slug) })
	return out
}

// ServicesOf returns an académie's own services, in catalog order, without
// the national ones; nil for an unknown slug. Combine with NationalServices
// for everything a subscriber of that académie cares about.
func (c *Catalog) ServicesOf(slug string) []Service {
	a, ok := c.Academy(slug)
	if !ok {
		return nil
	}
	out := make([]Service, 0, len(a.Services))
	for _, id := range a.Services {
		if s, ok := c.Service(id); ok {
			out = append(out, s)
		}
	}
	return out
}

// NationalServices returns the services that concern every subscriber
// whatever the académie (EduConnect, Apps Éducation, Lumni), in catalog order.
func (c *Catalog) NationalServices() []Service {
	var out []Service
	for _, s := range c.Services {
		if s.National {
			out = append(out, s)
		}
	}
	return out
}

// Regions returns the régions académiques, each once, in the order a menu
// should show them: metropolitan regions alphabetically (accents ignored, so
// "Île-de-France" sorts under I), then overseas ones alphabetically. A
// region is overseas when all its académies are.
func (c *Catalog) Regions() []string {
	overseas := map[string]bool{}
	var names []string
	for _, a := range c.Academies {
		o, seen := overseas[a.Region]
		if !seen {
			names = append(names, a.Region)
			o = true
		}
		overseas[a.Region] = o && a.Overseas
	}
	slices.SortFunc(names, func(x, y string) int {
		if overseas[x] != overseas[y] {
			if overseas[x] {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(Normalize(x), Normalize(y)), cmp.Compare(x, y))
	})
	return names
}

// AcademiesIn returns the académies of a région académique, sorted by slug.
// The region is compared after Normalize, so "ile de france" works as well
// as "Île-de-France".
func (c *Catalog) AcademiesIn(region string) []Academy {
	want := Normalize(region)
	var out []Academy
	for _, a := range c.Academies {
		if Normalize(a.Region) == want {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y Academy) int { return cmp.Compare(x.Slug, y.Slug) })
	return out
}

// AlternativesFor returns the alternatives for a level that are offered on
// the day of now, in catalog order. It leaves out those past their until:
// day (a TV schedule of a given week must not outlive it), and those whose
// service isDown reports as down: recommending a saturated site to a family
// already stuck would add to their trouble. A nil isDown keeps them all.
// Pass now in the families' time zone: the day changes at its midnight.
func (c *Catalog) AlternativesFor(l status.Level, now time.Time, isDown func(serviceID string) bool) []Alternative {
	var out []Alternative
	for _, alt := range c.Alternatives[l] {
		if alt.Expired(now) {
			continue
		}
		if alt.Service != "" && isDown != nil && isDown(alt.Service) {
			continue
		}
		out = append(out, alt)
	}
	return out
}
