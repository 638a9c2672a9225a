package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// RendererOptions are the Renderer's dependencies. Catalog is required.
type RendererOptions struct {
	Catalog *catalog.Catalog
	// Store gives the services' states, so that an alternative that is down
	// too is not recommended. Nil: every alternative is offered.
	Store StateReader
	// Location is how times are written for a recipient without a known
	// académie; nil means catalog.DefaultLocation (Paris). Others read their first académie's
	// time (catalog.LocationOf).
	Location *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is the status page (PUBLIC_URL).
	PublicURL string
}

// Renderer writes the French messages of outages, slowdowns and
// recoveries for one recipient at send time: the académies of theirs that
// the service concerns, alternatives for their levels that work now, and
// the plan B of their classes. It implements notify's Renderer; replies,
// class notices and announcements were rendered when written and are
// returned as stored. It is safe for concurrent use.
type Renderer struct {
	cat       *catalog.Catalog
	store     StateReader
	loc       *time.Location
	now       func() time.Time
	publicURL string

	mu       sync.Mutex
	states   map[string]storage.ServiceState
	statesAt time.Time
}

// statesTTL is how long the Renderer reuses the services' states: a
// fan-out of 40,000 messages reads them a few times, not 40,000.
const statesTTL = 2 * time.Second

// NewRenderer returns a Renderer; it panics on a nil Catalog, a wiring
// mistake.
func NewRenderer(o RendererOptions) *Renderer {
	if o.Catalog == nil {
		panic("bot: NewRenderer needs a Catalog")
	}
	if o.Location == nil {
		o.Location = catalog.DefaultLocation()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Renderer{cat: o.Catalog, store: o.Store, loc: o.Location, now: o.Now, publicURL: o.PublicURL}
}

// Render writes the message ev means for to.
func (r *Renderer) Render(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	return r.render(ctx, ev, to, false)
}

// RenderPlain writes the message without its optional parts: the
// alternatives (and the plan Bs, which the dispatcher takes out of to). The
// dispatcher sends it once Telegram refused the full text, so that a
// recipient still hears the outage.
func (r *Renderer) RenderPlain(ctx context.Context, ev storage.Event, to storage.Recipient) (storage.OutMessage, error) {
	return r.render(ctx, ev, to, true)
}

func (r *Renderer) render(ctx context.Context, ev storage.Event, to storage.Recipient, plain bool) (storage.OutMessage, error) {
	switch {
	case ev.Kind == status.KindReply || ev.Kind == status.KindClassNotice || ev.Kind == status.KindAnnouncement:
		return ev.ReplyMessage()
	case !ev.Kind.IsService():
		return storage.OutMessage{}, fmt.Errorf("bot: no text for event kind %q", ev.Kind)
	}
	states, err := r.serviceStates(ctx)
	if err != nil {
		return storage.OutMessage{}, err
	}
	v := r.view(ev, to, states)
	if plain {
		v.alts = nil
	}
	text := recoveryText
	switch ev.Kind {
	case status.KindOutage:
		text = outageText
		if to.PlanBOnly {
			text = planBAlertText // a member who hears the outage for the plan B alone
		}
	case status.KindDegraded:
		text = degradedText
	}
	return storage.OutMessage{Text: french.TypesetHTML(text(v))}, nil
}

// alertView is everything an alert message says.
type alertView struct {
	service   catalog.Service
	academies string // escaped names, "" for a national service
	ev        storage.Event
	payload   status.StatePayload
	alts      []catalog.Alternative
	classes   []storage.ClassRef
	now       time.Time
	loc       *time.Location
	link      string
}

func (r *Renderer) view(ev storage.Event, to storage.Recipient, states map[string]storage.ServiceState) alertView {
	svc, ok := r.cat.Service(ev.ServiceID)
	if !ok {
		svc = catalog.Service{ID: ev.ServiceID, Name: ev.ServiceID, Levels: status.AllLevels()}
	}
	v := alertView{service: svc, ev: ev, now: r.now(), loc: r.loc, classes: to.Classes}
	if loc := r.cat.LocationOf(to.Academies); loc != nil {
		v.loc = loc // the académie's own time: « 7 h 32 » in La Réunion
	}
	v.payload, _ = status.ParseStatePayload(ev.Payload) // a bad payload only loses the times
	if !svc.National {
		v.academies = academyNames(r.cat, to.Academies)
	}
	if len(to.Academies) == 1 {
		v.link = statusLink(r.publicURL, to.Academies[0])
	} else {
		v.link = statusLink(r.publicURL, "")
	}
	var levels []status.Level
	for _, l := range to.Levels.Levels() {
		if svc.Serves(l) {
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		levels = svc.Levels
	}
	isDown := func(id string) bool { return id == svc.ID || states[id].State == status.Down }
	v.alts = pickAlternatives(r.cat, levels, v.now.In(v.loc), isDown, 3)
	return v
}

// serviceStates reads the states, at most every statesTTL.
func (r *Renderer) serviceStates(ctx context.Context) (map[string]storage.ServiceState, error) {
	if r.store == nil {
		return nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.states != nil && time.Since(r.statesAt) < statesTTL {
		return r.states, nil
	}
	list, err := r.store.ServiceStates(ctx)
	if err != nil {
		return nil, err
	}
	r.states = make(map[string]storage.ServiceState, len(list))
	for _, st := range list {
		r.states[st.ServiceID] = st
	}
	r.statesAt = time.Now()
	return r.states, nil
}

// states reads the services' states now, for /etat and /lumni.
func (b *Bot) states(ctx context.Context) (map[string]storage.ServiceState, error) {
	list, err := b.store.ServiceStates(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]storage.ServiceState, len(list))
	for _, st := range list {
		m[st.ServiceID] = st
	}
	return m, nil
}

// at is a payload time, or the event's time when the payload has none.
func (v alertView) at(t time.Time) time.Time {
	if t.IsZero() {
		return v.ev.At
	}
	return t
}

// maxMessage is Telegram's limit, in characters after entity parsing.
const maxMessage = 4096

func outageText(v alertView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🔴 <b>Panne : %s</b>\n", esc(v.service.Name))
	writeAcademies(&b, v.academies)
	fmt.Fprintf(&b, "Depuis %s : %s.\n", since(v.at(v.payload.Since()), v.now, v.loc), reasonText(v.ev.Reason))
	b.WriteString("Inutile de recharger la page sans arrêt : cela ralentit son retour.\n")
	if len(v.alts) > 0 {
		b.WriteString("\nEn attendant, pour travailler :\n")
		for _, a := range v.alts {
			b.WriteString(alternativeLine(a))
		}
	}
	if v.link != "" {
		fmt.Fprintf(&b, "\nSuivre la panne : <a href=\"%s\">page d'état</a>\n", esc(v.link))
	}
	writePlanBs(&b, v.classes)
	return strings.TrimRight(b.String(), "\n")
}

func degradedText(v alertView) string {
	var b strings.Builder
	if v.ev.FromState == status.Down {
		fmt.Fprintf(&b, "🟠 <b>De nouveau accessible, mais lent : %s</b>\n", esc(v.service.Name))
	} else {
		fmt.Fprintf(&b, "🟠 <b>Lenteurs : %s</b>\n", esc(v.service.Name))
	}
	writeAcademies(&b, v.academies)
	start := v.at(v.payload.Since())
	if v.ev.FromState == status.Down && !v.payload.DownSince().IsZero() {
		fmt.Fprintf(&b, "Il répond de nouveau depuis %s, après une panne de %s, mais lentement",
			since(start, v.now, v.loc), duration(start.Sub(v.payload.DownSince())))
	} else {
		fmt.Fprintf(&b, "Les pages mettent du temps à s'ouvrir depuis %s", since(start, v.now, v.loc))
	}
	if s := v.payload.LatencyMS / 1000; s >= 1 {
		fmt.Fprintf(&b, " (%d s par page)", s)
	}
	b.WriteString(".\nPatience : recharger sans cesse ralentit tout le monde.")
	return b.String()
}

// recoveryText says « rétabli » once: "🟢 ENC 92 rétabli à 10 h 02, après
// 2 h 30 de panne", the académies below.
func recoveryText(v alertView) string {
	var b strings.Builder
	up := v.at(v.payload.Since())
	if v.ev.FromState == status.Degraded {
		fmt.Fprintf(&b, "🟢 <b>%s</b> de nouveau rapide %s", esc(v.service.Name), atTime(up, v.now, v.loc))
		if !v.payload.DownSince().IsZero() {
			fmt.Fprintf(&b, ", après %s de lenteurs", duration(up.Sub(v.payload.DownSince())))
		}
	} else {
		fmt.Fprintf(&b, "🟢 <b>%s rétabli</b> %s", esc(v.service.Name), atTime(up, v.now, v.loc))
		if !v.payload.DownSince().IsZero() {
			fmt.Fprintf(&b, ", après %s de panne", duration(up.Sub(v.payload.DownSince())))
		}
	}
	b.WriteString(".\n")
	writeAcademies(&b, v.academies)
	return strings.TrimRight(b.String(), "\n")
}

func writeAcademies(b *strings.Builder, names string) {
	switch {
	case names == "":
	case strings.Contains(names, ", "):
		fmt.Fprintf(b, "Académies : %s\n", names)
	default:
		fmt.Fprintf(b, "Académie : %s\n", names)
	}
}

// writePlanBs appends the plan B of each class, shortened so that the
// message stays within Telegram's limit whatever the teachers wrote.
func writePlanBs(b *strings.Builder, classes []storage.ClassRef) {
	var with []storage.ClassRef
	for _, c := range classes {
		if strings.TrimSpace(c.PlanB) != "" {
			with = append(with, c)
		}
	}
	for i, c := range with {
		head := fmt.Sprintf("\n📌 <b>Plan B · %s</b>\n", esc(truncate(c.Name, maxClassName)))
		room := (maxMessage - 20 - visibleLen(b.String()) - visibleLen(head)) / (len(with) - i)
		if room < 20 {
			b.WriteString("\n📌 D'autres plans B n'ont pas la place ici : demandez-les aux enseignants.")
			return
		}
		b.WriteString(head)
		b.WriteString(esc(truncate(c.PlanB, room)))
		b.WriteString("\n")
	}
}

// visibleLen counts what Telegram counts: characters outside tags, an
// entity counting as one.
func visibleLen(s string) int {
	n, inTag, inEntity := 0, false, false
	for _, c := range s {
		switch {
		case inTag:
			inTag = c != '>'
		case inEntity:
			inEntity = c != ';'
		case c == '<':
			inTag = true
		case c == '&':
			inEntity = true
			n++
		default:
			n++
		}
	}
	return n
}
