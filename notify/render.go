package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// Renderer writes the message one recipient reads about an event, at send
// time, so that it reflects the present (an alternative that went down
// since is left out). The French texts live in package bot, which
// implements Renderer; notify only needs this method.
type Renderer interface {
	Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error)
}

// DefaultRenderer is a plain French renderer for tests and for running
// without the bot's texts: one line per event, every interpolated value
// escaped. A reply is sent as stored; a notice or an announcement whose
// payload is an OutMessage too.
type DefaultRenderer struct {
	Catalog *catalog.Catalog
}

// Render implements Renderer.
func (r DefaultRenderer) Render(_ context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	switch ev.Kind {
	case storage.KindReply, storage.KindClassNotice, storage.KindAnnouncement:
		return ev.ReplyMessage()
	}
	name := ev.ServiceID
	if s, ok := r.Catalog.Service(ev.ServiceID); ok {
		name = s.Name
	}
	var b strings.Builder
	switch ev.Kind {
	case storage.KindOutage:
		fmt.Fprintf(&b, "⚠️ <b>%s</b> : panne", html.EscapeString(name))
	case storage.KindDegraded:
		fmt.Fprintf(&b, "🐢 <b>%s</b> : fonctionnement dégradé", html.EscapeString(name))
	case storage.KindRecovery:
		fmt.Fprintf(&b, "✅ <b>%s</b> : rétabli", html.EscapeString(name))
	default:
		return storage.OutMessage{}, fmt.Errorf("notify: no text for event kind %q", ev.Kind)
	}
	if ev.Reason != "" && ev.Kind != storage.KindRecovery {
		fmt.Fprintf(&b, " (%s)", html.EscapeString(ev.Reason))
	}
	if ev.Kind == storage.KindRecovery {
		if d := downFor(ev); d > 0 {
			fmt.Fprintf(&b, " après %s d'interruption", frenchDuration(d))
		}
	}
	b.WriteString(".")
	r.writeAcademies(&b, to.Academies)
	if ev.Kind == storage.KindOutage {
		for _, c := range to.Classes {
			if c.PlanB != "" {
				fmt.Fprintf(&b, "\n\n📌 Plan B pour %s : %s", html.EscapeString(c.Name), html.EscapeString(c.PlanB))
			}
		}
	}
	return storage.OutMessage{Text: b.String()}, nil
}

func (r DefaultRenderer) writeAcademies(b *strings.Builder, slugs []string) {
	if len(slugs) == 0 {
		return
	}
	names := make([]string, 0, len(slugs))
	for _, s := range slugs {
		if a, ok := r.Catalog.Academy(s); ok {
			s = a.Name
		}
		names = append(names, html.EscapeString(s))
	}
	fmt.Fprintf(b, "\nAcadémie : %s", strings.Join(names, ", "))
}

// downFor reads how long the service was down from a recovery's payload.
func downFor(ev storage.Event) time.Duration {
	var p struct {
		DownSinceMS int64 `json:"down_since_ms"`
	}
	if json.Unmarshal([]byte(ev.Payload), &p) != nil || p.DownSinceMS == 0 || ev.At.IsZero() {
		return 0
	}
	return ev.At.Sub(time.UnixMilli(p.DownSinceMS))
}

// frenchDuration writes "2 h 05", "12 min" or "40 s".
func frenchDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %02d", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
}

// PlainRenderer is implemented by a Renderer that can write a message
// without its optional parts (the alternatives it recommends). The
// dispatcher uses it, when Telegram refused a message's text, for the one
// more try that message gets; plan Bs are left out of the recipient
// whatever the renderer.
type PlainRenderer interface {
	RenderPlain(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error)
}

// RenderPlain implements PlainRenderer: DefaultRenderer's only optional
// part is the plan B, which the dispatcher already took out.
func (r DefaultRenderer) RenderPlain(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	return r.Render(ctx, ev, to)
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
