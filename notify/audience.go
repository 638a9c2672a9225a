package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// isServiceEvent tells the events about a service's state, which supersede
// each other.
func isServiceEvent(ev storage.Event) bool {
	switch ev.Kind {
	case storage.KindOutage, storage.KindDegraded, storage.KindRecovery:
		return ev.ServiceID != ""
	}
	return false
}

// levelMask is the chats.levels bitmask of catalog levels.
func levelMask(levels []catalog.Level) int {
	m := 0
	for _, l := range levels {
		switch l {
		case catalog.Primaire:
			m |= storage.LevelPrimaire
		case catalog.College:
			m |= storage.LevelCollege
		case catalog.Lycee:
			m |= storage.LevelLycee
		}
	}
	return m
}

// specFor says who an event reaches, from its audience and the catalog.
// An error means the event can never be delivered (unknown service, bad
// audience): it is marked dead.
func (d *Dispatcher) specFor(ev storage.Event) (storage.ExpandSpec, error) {
	spec := storage.ExpandSpec{EventID: ev.ID, ChunkSize: d.opt.ExpandChunk}
	kind, arg, _ := strings.Cut(ev.Audience, ":")
	switch kind {
	case "service":
		return d.serviceSpec(spec, ev, arg)
	case "academie":
		if arg == "" {
			return spec, fmt.Errorf("audience %q names no académie", ev.Audience)
		}
		spec.Academies = []string{arg}
	case storage.AudienceAll:
		spec.Everyone = true
	case "class", "chat":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id == 0 {
			return spec, fmt.Errorf("audience %q: bad id", ev.Audience)
		}
		if kind == "class" {
			spec.ClassID = id
		} else {
			spec.ChatID = id
		}
	default:
		return spec, fmt.Errorf("unknown audience %q", ev.Audience)
	}
	return spec, nil
}

// serviceSpec is the audience of a change of a service's state: the
// subscribers of the académies that use it (everybody for a national
// service) and the members of their open classes, whose levels meet the
// service's, whose preferences ask for this kind of news; plus the
// académies' channels for outages and recoveries.
func (d *Dispatcher) serviceSpec(spec storage.ExpandSpec, ev storage.Event, id string) (storage.ExpandSpec, error) {
	svc, ok := d.cat.Service(id)
	if !ok {
		return spec, fmt.Errorf("service %q is not in the catalog", id)
	}
	spec.LevelMask = levelMask(svc.Levels)
	spec.WithClasses = true
	academies := d.cat.Academies
	if svc.National {
		spec.Everyone = true
	} else {
		academies = d.cat.AcademiesOf(id)
		if len(academies) == 0 {
			return spec, fmt.Errorf("no académie uses service %q", id)
		}
		for _, a := range academies {
			spec.Academies = append(spec.Academies, a.Slug)
		}
	}
	switch ev.Kind {
	case storage.KindOutage:
		spec.Pref = storage.PrefOutage
	case storage.KindDegraded:
		spec.Pref = storage.PrefDegraded
		if ev.FromState == storage.StateDown {
			// The outage is over (the ENT is usable, if slow): those who
			// heard of it hear that too.
			spec.Pref = storage.PrefDegradedAfterDown
		}
	case storage.KindRecovery:
		spec.Pref = storage.PrefRecovery
		// Those who asked for recoveries only want to know a broken ENT
		// works again, not that a slow one is fast again.
		spec.RecoveryOnly = ev.FromState != storage.StateDegraded
	default:
		return spec, fmt.Errorf("event kind %q has a service audience", ev.Kind)
	}
	if ev.Kind != storage.KindDegraded {
		for _, a := range academies {
			if a.Channel != "" {
				spec.Channels = append(spec.Channels, storage.ChannelTarget{Channel: a.Channel, Academie: a.Slug})
			}
		}
	}
	return spec, nil
}

// narrow keeps in the recipient only the académies and classes the event
// concerns, so that a renderer names the right ones: a parent following
// Lille and Paris hears of Lille for an outage of ENT HDF.
func (d *Dispatcher) narrow(ev storage.Event, rc storage.Recipient) storage.Recipient {
	if rc.Channel != "" {
		return rc
	}
	var keep func(slug string) bool
	kind, arg, _ := strings.Cut(ev.Audience, ":")
	switch kind {
	case "service":
		svc, ok := d.cat.Service(arg)
		if !ok || svc.National {
			return rc
		}
		slugs := map[string]bool{}
		for _, a := range d.cat.AcademiesOf(arg) {
			slugs[a.Slug] = true
		}
		keep = func(s string) bool { return slugs[s] }
	case "academie":
		keep = func(s string) bool { return s == arg }
	case "class":
		rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool {
			return strconv.FormatInt(c.ID, 10) != arg
		})
		return rc
	default:
		return rc
	}
	rc.Academies = slices.DeleteFunc(slices.Clone(rc.Academies), func(s string) bool { return !keep(s) })
	rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool { return !keep(c.Academie) })
	return rc
}
