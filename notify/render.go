package notify

import (
	"context"
	"errors"
	"slices"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// Renderer writes the message one recipient reads about an event, at send
// time, so that it reflects the present (an alternative that went down
// since is left out). The texts live in package bot alone: *bot.Renderer
// implements Renderer (checked in cmd/sentinelle); notify only needs this
// method, and its tests a fake.
type Renderer interface {
	Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error)
}

// PlainRenderer is implemented by a Renderer that can write a message
// without its optional parts (the alternatives it recommends). The
// dispatcher uses it, when Telegram refused a message's text, for the one
// more try that message gets; plan Bs are left out of the recipient
// whatever the renderer.
type PlainRenderer interface {
	RenderPlain(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error)
}

// prepare checks that the delivery is still wanted and renders it for its
// recipient as they are now. ok is false when r is already the outcome.
func (d *Dispatcher) prepare(ctx context.Context, j *job) (r storage.DeliveryResult, msg storage.OutMessage, ok bool) {
	r = storage.DeliveryResult{Delivery: j.del}
	rc, skip, err := d.store.PrepareDelivery(ctx, j.del)
	if err != nil {
		d.log.Warn("cannot read a delivery before sending; will retry", "event_id", j.del.EventID, "error", err)
		r.Outcome, r.Error, r.RetryAt = storage.OutcomeRequeue, "prepare: "+err.Error(), d.now().Add(time.Second)
		return r, msg, false
	}
	if skip != "" {
		r.Outcome, r.Error = storage.OutcomeCancelled, skip
		return r, msg, false
	}
	to := d.narrow(*j.ev, rc)
	if to.PlanBOnly && !hasPlanB(to.Classes) {
		r.Outcome, r.Error = storage.OutcomeCancelled, "no plan B any more"
		return r, msg, false
	}
	j.loc = d.cat.LocationOf(to.Academies)
	msg, err = d.safeRender(ctx, j, to)
	if p := (*renderPanic)(nil); errors.As(err, &p) {
		return d.panicked(j, r, p), msg, false
	}
	if err == nil && msg.Text == "" && len(msg.Photo) == 0 {
		err = errors.New("empty message")
	}
	if err != nil {
		d.log.Error("cannot render a message", "event_id", j.ev.ID, "kind", j.ev.Kind, "error", err)
		r.Outcome, r.Error = storage.OutcomeFailed, "render: "+err.Error()
		return r, msg, false
	}
	return r, msg, true
}

// narrow keeps in the recipient only the académies and classes the event
// concerns, so that a renderer names the right ones: a parent following
// Lille and Paris hears of Lille for an outage of ENT HDF.
func (d *Dispatcher) narrow(ev storage.Event, rc storage.Recipient) storage.Recipient {
	if rc.Channel != "" {
		return rc
	}
	var keep func(slug string) bool
	switch aud := ev.Audience; aud.Scope() {
	case status.ScopeService:
		svc, ok := d.cat.Service(aud.Name())
		if !ok || svc.National {
			return rc
		}
		slugs := map[string]bool{}
		for _, a := range d.cat.AcademiesOf(svc.ID) {
			slugs[a.Slug] = true
		}
		keep = func(s string) bool { return slugs[s] }
		rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool {
			return !classHearsService(d.cat, c, svc)
		})
		rc.PlanBOnly = ev.Kind == status.KindOutage && planBOnly(rc, svc)
	case status.ScopeAcademie:
		keep = func(s string) bool { return s == aud.Name() }
	case status.ScopeClass:
		rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool {
			return c.ID != aud.ID()
		})
		return rc
	default:
		return rc
	}
	rc.Academies = slices.DeleteFunc(slices.Clone(rc.Academies), func(s string) bool { return !keep(s) })
	rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool { return !keep(c.Academie) })
	return rc
}

// renderFor renders a job's message for its recipient: in full, or plain
// after Telegram refused the full one.
func (d *Dispatcher) renderFor(ctx context.Context, j *job, to storage.Recipient) (storage.OutMessage, error) {
	if !j.plain {
		return d.render.Render(ctx, *j.ev, to)
	}
	to.Classes = slices.Clone(to.Classes)
	for i := range to.Classes {
		to.Classes[i].PlanB = ""
	}
	if p, ok := d.render.(PlainRenderer); ok {
		return p.RenderPlain(ctx, *j.ev, to)
	}
	return d.render.Render(ctx, *j.ev, to)
}
