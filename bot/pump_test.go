package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/telegram"
	"sentinelle/telegram/telegramtest"
)

// testPump plays the dispatcher in the bot's tests (which may not import
// package notify): it expands new events, claims due deliveries, renders
// them with the bot's Renderer and sends them through the Client to the
// fake, one at a time, in order. It goes through the same storage methods
// as the dispatcher, without its rate limits and retries.
type testPump struct {
	t      testing.TB
	store  *storage.Store
	cat    *catalog.Catalog
	render *Renderer
	client *telegram.Client
}

// drain sends everything the outbox holds now.
func (p *testPump) drain() {
	p.t.Helper()
	ctx := context.Background()
	var results []storage.DeliveryResult
	for range 1000 {
		evs, err := p.store.NewEvents(ctx, 100)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, ev := range evs {
			p.expand(ctx, ev)
		}
		cl, err := p.store.SettleAndClaim(ctx, results, 50, storage.ClaimFilter{}, time.Minute)
		if err != nil {
			p.t.Fatal(err)
		}
		results = nil
		if len(cl.Deliveries) == 0 && len(evs) == 0 {
			return
		}
		for _, d := range cl.Deliveries {
			results = append(results, p.deliver(ctx, d))
		}
	}
	p.t.Fatal("the outbox never emptied")
}

// expandOnly expands every new event without sending anything.
func (p *testPump) expandOnly(ctx context.Context) {
	evs, err := p.store.NewEvents(ctx, 100)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, ev := range evs {
		p.expand(ctx, ev)
	}
}

// expand writes all the deliveries of an event.
func (p *testPump) expand(ctx context.Context, ev storage.Event) {
	spec := storage.ExpandSpec{EventID: ev.ID}
	switch a := ev.Audience; a.Scope() {
	case status.ScopeChat:
		spec.ChatID = a.ID()
	case status.ScopeClass:
		spec.ClassID = a.ID()
	case status.ScopeAcademie:
		spec.Academies = []string{a.Name()}
	case status.ScopeAll:
		spec.Everyone = true
	case status.ScopeService:
		p.serviceSpec(ctx, ev, a.Name(), &spec)
	default:
		p.t.Fatalf("event %d: audience %q", ev.ID, ev.Audience)
	}
	for range 100 {
		prog, err := p.store.ExpandStep(ctx, spec)
		if err != nil {
			p.t.Fatal(err)
		}
		if prog.Done {
			return
		}
	}
	p.t.Fatalf("event %d never expanded", ev.ID)
}

// serviceSpec is who hears of a service's state, as the dispatcher
// decides it: subscribers of the académies using it and their classes'
// members (for a service of some départements, the subscriptions whole or
// narrowed to one of them), of the service's levels, who asked for that kind of news; a
// recovery only to those who heard the outage.
func (p *testPump) serviceSpec(ctx context.Context, ev storage.Event, id string, spec *storage.ExpandSpec) {
	svc, ok := p.cat.Service(id)
	if !ok {
		p.t.Fatalf("event %d: unknown service %q", ev.ID, id)
	}
	for _, a := range p.cat.AcademiesOf(id) {
		spec.Academies = append(spec.Academies, a.Slug)
	}
	for _, code := range svc.Departements { // the subscriptions whole or narrowed to one of them
		if d, _, ok := p.cat.Departement(code); ok {
			code = d.Code
		}
		spec.Departements = append(spec.Departements, code)
	}
	spec.Everyone, spec.WithClasses = svc.National, true
	if !svc.National {
		spec.ClassService = id // classes bound to this ENT or to none
	}
	spec.LevelMask = status.Mask(svc.Levels...)
	sup, err := p.store.Supersede(ctx, ev)
	if err != nil {
		p.t.Fatal(err)
	}
	switch ev.Kind {
	case status.KindOutage:
		spec.Pref = storage.PrefOutage
		spec.PlanBMembers = !svc.National // members hear their class's plan B whatever their settings
	case status.KindDegraded:
		spec.Pref = storage.PrefDegraded
	case status.KindRecovery:
		spec.Pref, spec.Prior = storage.PrefRecovery, sup.Prior
		spec.RecoveryOnly = ev.FromState != status.Degraded
	}
}

// deliver renders and sends one delivery; a refusal by the fake fails the
// test (a text Telegram would refuse is our bug).
func (p *testPump) deliver(ctx context.Context, d storage.Delivery) storage.DeliveryResult {
	res := storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeSent}
	rc, skip, err := p.store.PrepareDelivery(ctx, d)
	if err != nil {
		p.t.Fatal(err)
	}
	if skip != "" {
		res.Outcome, res.Error = storage.OutcomeCancelled, skip
		return res
	}
	ev, err := p.store.Event(ctx, d.EventID)
	if err != nil {
		p.t.Fatal(err)
	}
	to := p.narrow(ev, rc)
	if to.PlanBOnly && !slices.ContainsFunc(to.Classes, func(c storage.ClassRef) bool { return c.PlanB != "" }) {
		res.Outcome, res.Error = storage.OutcomeCancelled, "no plan B any more"
		return res
	}
	msg, err := p.render.Render(ctx, ev, to)
	if err != nil {
		p.t.Fatalf("render event %d: %v", ev.ID, err)
	}
	if len(msg.Photo) > 0 {
		res.MessageID, err = p.client.SendPhoto(ctx, d.ChatID, msg.Photo, msg.Text, msg.Params)
	} else {
		res.MessageID, err = p.client.SendMessage(ctx, d.ChatID, msg.Text, msg.Params)
	}
	if err != nil {
		var te *telegram.Error
		if asErr(err, &te) && (te.Class == telegram.ClassBlocked || te.Class == telegram.ClassChatNotFound) {
			res.Outcome, res.Error = storage.OutcomeUndeliverable, te.Class
			return res
		}
		p.t.Errorf("send event %d (%s) to %d: %v\n%s", ev.ID, ev.Kind, d.ChatID, err, msg.Text)
		res.Outcome, res.Error = storage.OutcomeFailed, err.Error()
	}
	return res
}

// narrow keeps the académies and classes a service event concerns (a
// class bound to another ENT does not), and marks a member who hears an
// outage for the plan B alone, as the dispatcher does.
func (p *testPump) narrow(ev storage.Event, rc storage.Recipient) storage.Recipient {
	if ev.Audience.Scope() != status.ScopeService {
		return rc
	}
	arg := ev.Audience.Name()
	svc, ok := p.cat.Service(arg)
	if !ok || svc.National {
		return rc
	}
	keep := map[string]bool{}
	for _, a := range p.cat.AcademiesOf(arg) {
		keep[a.Slug] = true
	}
	rc.Academies = slices.DeleteFunc(slices.Clone(rc.Academies), func(s string) bool { return !keep[s] })
	rc.Classes = slices.DeleteFunc(slices.Clone(rc.Classes), func(c storage.ClassRef) bool {
		return !keep[c.Academie] || (c.ServiceID != "" && c.ServiceID != arg)
	})
	mask := status.Mask(svc.Levels...)
	rc.PlanBOnly = ev.Kind == status.KindOutage && (!rc.AlertOutage || (rc.Levels != 0 && rc.Levels&mask == 0))
	return rc
}

func asErr(err error, target **telegram.Error) bool {
	e, ok := err.(*telegram.Error)
	if ok {
		*target = e
	}
	return ok
}

// keyboardText writes an inline keyboard for a transcript, a row a line:
// [Parent → r:parent] [Élève → r:eleve].
func keyboardText(markup string) string {
	if markup == "" {
		return ""
	}
	var m struct {
		InlineKeyboard [][]button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		return "[keyboard unreadable: " + err.Error() + "]\n"
	}
	var b strings.Builder
	for _, row := range m.InlineKeyboard {
		for i, k := range row {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "[%s → %s]", k.Text, k.Data)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// photoCheck says whether a photo was uploaded.
func photoCheck(m telegramtest.Message) string {
	if m.PhotoSize > 0 {
		return "uploaded"
	}
	return "EMPTY"
}

// decodePNG checks that a QR code is a real, square PNG.
func decodePNG(t testing.TB, data []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 200 {
		t.Fatalf("QR code is %v, want a square of at least 200 px", b)
	}
}

// settleOnly expands every new event and marks every due delivery sent,
// without sending anything: for tests that need the outbox to move on
// without the cost of the network.
func (p *testPump) settleOnly(ctx context.Context) {
	p.t.Helper()
	var results []storage.DeliveryResult
	for range 1000 {
		p.expandOnly(ctx)
		cl, err := p.store.SettleAndClaim(ctx, results, 500, storage.ClaimFilter{}, time.Minute)
		if err != nil {
			p.t.Fatal(err)
		}
		results = results[:0]
		if len(cl.Deliveries) == 0 {
			return
		}
		for _, d := range cl.Deliveries {
			results = append(results, storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeSent, MessageID: 1})
		}
	}
	p.t.Fatal("the outbox never emptied")
}
