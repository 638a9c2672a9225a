package notify

import (
	"context"
	"fmt"
	"html"
	"strings"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// testRenderer stands in for *bot.Renderer, which owns the real texts: it
// writes what the dispatcher hands a renderer, so that the tests can see
// who got which event about which académies and classes. The text begins
// with the event's kind ("outage", "recovery"…), names the service and the
// académies as the catalog does, and adds each class's plan B, every value
// escaped; a reply, notice or announcement is sent as stored.
type testRenderer struct{ cat *catalog.Catalog }

func (r testRenderer) Render(_ context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	if !ev.Kind.IsService() {
		return ev.ReplyMessage()
	}
	name := ev.ServiceID
	if s, ok := r.cat.Service(ev.ServiceID); ok {
		name = s.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", ev.Kind, html.EscapeString(name))
	for _, slug := range to.Academies {
		if a, ok := r.cat.Academy(slug); ok {
			slug = a.Name
		}
		fmt.Fprintf(&b, "\nacadémie %s", html.EscapeString(slug))
	}
	for _, c := range to.Classes {
		if c.PlanB != "" {
			fmt.Fprintf(&b, "\nplan B %s: %s", html.EscapeString(c.Name), html.EscapeString(c.PlanB))
		}
	}
	return storage.OutMessage{Text: b.String()}, nil
}
