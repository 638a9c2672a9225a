package bot

import (
	"slices"
	"strconv"
	"strings"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// start is /start [payload]: the welcome and step 1, or a deep link:
// a_<slug> subscribes to that whole académie, d_<code> to that
// département, c_<code> joins that class.
func (t *turn) start() error {
	payload, _, _ := strings.Cut(t.r.args, " ")
	switch {
	case strings.HasPrefix(payload, "a_"):
		return t.startAcademy(payload[2:])
	case strings.HasPrefix(payload, "d_"):
		return t.startDepartement(payload[2:])
	case strings.HasPrefix(payload, "c_"):
		return t.join(payload[2:], true)
	}
	return t.reply(msgWelcome, roleKeyboard())
}

// startAcademy follows a link to an académie (from its status page or a
// school's letter): subscribe at once, then ask the role if unknown.
func (t *turn) startAcademy(slug string) error {
	a, ok := t.b.cat.Find(slug)
	if !ok {
		return t.reply(msgBadAcademyLink+"\n\n"+msgWelcome, roleKeyboard())
	}
	added, subs, refusal, err := t.subscribe([]catalog.Academy{a})
	if err != nil {
		return err
	}
	if refusal != "" {
		return t.reply(refusal, nil)
	}
	widened, err := t.widen([]catalog.Academy{a})
	if err != nil {
		return err
	}
	text := subscribedText(t.b.cat, added, subs)
	switch {
	case len(widened) > 0:
		text = widenedText(a)
	case len(added) == 0:
		text = alreadySubscribedText(a)
	}
	if t.chat.Role == "" {
		return t.reply(text+"\n\n"+msgAskRole, roleKeyboard())
	}
	return t.reply(text+"\n\n"+msgNextSteps, nil)
}

// startDepartement follows a link to a département (d_92, d_2A): the
// subscription to its académie narrowed to it, then the role if unknown.
// A bad code gets the answer of a bad académie link.
func (t *turn) startDepartement(code string) error {
	d, a, ok := t.b.cat.Departement(code)
	if !ok || code == "" {
		return t.reply(msgBadAcademyLink+"\n\n"+msgWelcome, roleKeyboard())
	}
	text, err := t.subscribeDeps(depGroup{academy: a, codes: []string{d.Code}}, false)
	if err != nil {
		return err
	}
	if text == msgTooManyAcademies {
		return t.reply(text, nil)
	}
	if t.chat.Role == "" {
		return t.reply(text+"\n\n"+msgAskRole, roleKeyboard())
	}
	return t.reply(text+"\n\n"+msgNextSteps, nil)
}

// onRole is a press on a role (step 1, or /profil's buttons). A new role
// resets the levels and the alerts to that role's defaults.
func (t *turn) onRole(role string) error {
	if role != "parent" && role != "eleve" && role != "enseignant" {
		t.answer(msgStaleButton)
		return nil
	}
	if t.chat.Role != role {
		t.chat.Role, t.chat.Levels = role, 0
		alertDefaults(&t.chat)
		if err := t.saveChat(); err != nil {
			return err
		}
	}
	t.answer(capital(roleLabel(role)))
	t.edit(levelsStep(role, t.chat.Levels))
	return nil
}

// alertDefaults sets the alerts a role gets unless changed with /alertes:
// a parent and a teacher hear outages and recoveries, a pupil only that
// the ENT works again (an outage is not their problem to solve).
func alertDefaults(c *storage.Chat) {
	c.AlertOutage = c.Role != "eleve"
	c.AlertRecovery = true
	c.AlertDegraded = false
}

// onLevel is a press on a level or on « Continuer » (step 2).
func (t *turn) onLevel(arg string) error {
	if arg == "ok" {
		if t.chat.Levels == 0 {
			t.answer(msgNeedLevel)
			return nil
		}
		return t.afterLevels()
	}
	l, ok := catalog.ParseLevel(arg)
	if !ok {
		t.answer(msgStaleButton)
		return nil
	}
	if t.chat.Role == "parent" {
		t.chat.Levels ^= l.Bit()
		if err := t.saveChat(); err != nil {
			return err
		}
		t.edit(levelsStep(t.chat.Role, t.chat.Levels))
		return nil
	}
	t.chat.Levels = l.Bit()
	if err := t.saveChat(); err != nil {
		return err
	}
	t.answer(levelLabel(l))
	return t.afterLevels()
}

// afterLevels is step 3, or the end when the chat already follows an
// académie (it came by a link).
func (t *turn) afterLevels() error {
	subs, err := t.academies()
	if err != nil {
		return err
	}
	if len(subs) > 0 {
		return t.editReady()
	}
	t.edit(regionsStep(t.b.cat, true))
	return nil
}

// onRegion shows the régions (empty arg) or the académies of one.
func (t *turn) onRegion(arg string) error {
	if arg == "" {
		t.edit(regionsStep(t.b.cat, false))
		return nil
	}
	regions := t.b.cat.Regions()
	i, err := strconv.Atoi(arg)
	if err != nil || i < 0 || i >= len(regions) {
		t.answer(msgStaleButton)
		return nil
	}
	t.edit(regionStep(t.b.cat, regions[i]))
	return nil
}

// onAcademy subscribes to the académie pressed and closes the menu.
func (t *turn) onAcademy(slug string) error {
	a, ok := t.b.cat.Academy(slug)
	if !ok {
		t.answer(msgStaleButton)
		return nil
	}
	_, subs, refusal, err := t.subscribe([]catalog.Academy{a})
	if err != nil {
		return err
	}
	if refusal != "" {
		t.answer(truncate(stripTags(refusal), 190))
		return nil
	}
	t.answer(a.Name)
	if slices.Contains(subs, a.Slug) && t.localENTs(a) > 1 {
		t.edit(departementQuestion(a))
		return nil
	}
	return t.editReady()
}

// editReady closes the menu with what the chat follows now.
func (t *turn) editReady() error {
	followed, err := t.followedText()
	if err != nil {
		return err
	}
	subs, narrowing, err := t.following()
	if err != nil {
		return err
	}
	var notes []string
	for _, slug := range subs {
		notes = append(notes, noLocalENTTexts(t.b.cat, slug, narrowing[slug], t.chat.Levels, t.inGroup())...)
	}
	t.edit(readyText(t.chat, followed, notes...))
	return nil
}

// localENTs counts the académie's services of some départements only that
// serve the chat's levels (any level when it gave none).
func (t *turn) localENTs(a catalog.Academy) int {
	n := 0
	for _, s := range t.b.cat.ServicesOf(a.Slug) {
		if s.Local() && slices.ContainsFunc(s.Levels, func(l status.Level) bool {
			return t.chat.Levels == 0 || t.chat.Levels.Has(l)
		}) {
			n++
		}
	}
	return n
}

// onNarrow is a press on « Dans quel département ? »: n:<slug>:<code>, or
// n:<slug>:* for the whole académie.
func (t *turn) onNarrow(arg string) error {
	slug, code, _ := strings.Cut(arg, ":")
	a, ok := t.b.cat.Academy(slug)
	subs, err := t.academies()
	if err != nil {
		return err
	}
	if !ok || !slices.Contains(subs, slug) {
		t.answer(msgStaleButton)
		return nil
	}
	var codes []string
	if code != "*" {
		d, da, ok := t.b.cat.Departement(code)
		if !ok {
			t.answer(msgStaleButton)
			return nil
		}
		if da.Slug != a.Slug {
			t.answer(truncate(stripTags(foreignDepText(catalog.Match{Academy: da, Departement: d}, []catalog.Academy{a}, "abonner")), 190))
			return nil
		}
		codes = []string{d.Code}
		t.answer(d.Name)
	} else {
		t.answer("Toute l'académie")
	}
	if err := t.narrow(a.Slug, codes); err != nil {
		return err
	}
	return t.editReady()
}

// stripTags makes an HTML text plain, for a callback notice (plain text,
// at most 200 characters).
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, c := range s {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(b.String())
}
