package bot

import (
	"slices"
	"strings"

	"sentinelle/catalog"
	"sentinelle/status"
)

// subscribe makes the chat follow académies, up to maxAcademies. It
// returns those newly followed, every académie followed now (sorted), and,
// when the cap stopped some, the refusal to show.
func (t *turn) subscribe(as []catalog.Academy) (added []catalog.Academy, subs []string, refusal string, err error) {
	subs, err = t.academies()
	if err != nil {
		return nil, nil, "", err
	}
	for _, a := range as {
		if slices.Contains(subs, a.Slug) {
			continue
		}
		if len(subs) >= maxAcademies {
			refusal = msgTooManyAcademies
			break
		}
		if err := t.follow(a.Slug); err != nil {
			return nil, nil, "", err
		}
		subs = append(subs, a.Slug)
		added = append(added, a)
	}
	slices.Sort(subs)
	return added, subs, refusal, nil
}

// isFiller tells the little words between académie names: "Paris et
// Créteil", "l'académie de Lille".
func isFiller(w string) bool {
	switch catalog.Normalize(w) {
	case "", "et", "de", "d", "du", "la", "le", "l", "academie", "academies", "l academie", "d academie":
		return true
	}
	return false
}

// abonner is /abonner [académie|département…]: without argument, the
// région menu. An académie is followed whole, a département narrows the
// subscription to its académie; nothing is written when a département is
// named with an académie not its own.
func (t *turn) abonner() error {
	if t.r.args == "" {
		return t.reply(regionsStep(t.b.cat, false))
	}
	ts := parseTargets(t.b.cat, t.r.args)
	if refusal := ts.foreignRefusal("abonner"); refusal != "" {
		return t.reply(refusal, nil)
	}
	whole := ts.wholeAcademies()
	added, _, refusal, err := t.subscribe(whole)
	if err != nil {
		return err
	}
	widened, err := t.widen(whole)
	if err != nil {
		return err
	}
	var parts []string
	var depParts []string
	for _, g := range ts.groups() {
		text, err := t.subscribeDeps(g, contains(ts.academies, g.academy))
		if err != nil {
			return err
		}
		depParts = append(depParts, text)
	}
	if len(added) > 0 {
		subs, err := t.academies()
		if err != nil {
			return err
		}
		parts = append([]string{subscribedText(t.b.cat, added, subs)}, parts...)
	}
	for _, a := range whole {
		switch {
		case contains(widened, a):
			parts = append(parts, widenedText(a))
		case !contains(added, a) && refusal == "":
			parts = append(parts, alreadySubscribedText(a))
		}
	}
	parts = append(parts, depParts...)
	notes, err := t.noLocalENTNotes(added, ts.groups())
	if err != nil {
		return err
	}
	parts = append(parts, notes...)
	if refusal != "" {
		parts = append(parts, refusal)
	}
	parts = t.withUnresolved(parts, ts, "abonner")
	if (len(added) > 0 || len(depParts) > 0) && t.chat.Role == "" && !t.inGroup() {
		return t.reply(strings.Join(parts, "\n")+"\n\n"+msgAskRole, roleKeyboard())
	}
	return t.reply(strings.Join(parts, "\n"), nil)
}

// noLocalENTNotes are the no-ENT sentences (noLocalENTTexts) of the
// académies just subscribed to, whole or by département, as the chat now
// follows them.
func (t *turn) noLocalENTNotes(added []catalog.Academy, groups []depGroup) ([]string, error) {
	touched := slices.Clone(added)
	for _, g := range groups {
		if !contains(touched, g.academy) {
			touched = append(touched, g.academy)
		}
	}
	if len(touched) == 0 {
		return nil, nil
	}
	_, narrowing, err := t.following()
	if err != nil {
		return nil, err
	}
	var notes []string
	for _, a := range touched {
		notes = append(notes, noLocalENTTexts(t.b.cat, a.Slug, narrowing[a.Slug], t.chat.Levels, t.inGroup())...)
	}
	return notes, nil
}

func contains(as []catalog.Academy, a catalog.Academy) bool {
	for _, x := range as {
		if x.Slug == a.Slug {
			return true
		}
	}
	return false
}

// desabonner is /desabonner [académie…|tout]: without argument, a button
// per académie followed.
func (t *turn) desabonner() error {
	subs, err := t.academies()
	if err != nil {
		return err
	}
	switch {
	case len(subs) == 0 && t.inGroup():
		return t.reply(msgGroupNoSubscription, nil)
	case len(subs) == 0:
		return t.reply(msgNoSubscription, nil)
	case t.r.args == "":
		return t.reply(unsubscribeMenu(t.b.cat, subs))
	case isAll(t.r.args):
		if err := t.unfollow(""); err != nil {
			return err
		}
		return t.reply(msgUnsubscribedAll, nil)
	}
	ts := parseTargets(t.b.cat, t.r.args)
	if refusal := ts.foreignRefusal("desabonner"); refusal != "" {
		return t.reply(refusal, nil)
	}
	var parts []string
	for _, g := range ts.groups() {
		text, err := t.unsubscribeDeps(g)
		if err != nil {
			return err
		}
		parts = append(parts, text)
	}
	var removed, absent []string
	for _, a := range ts.wholeAcademies() {
		if !containsString(subs, a.Slug) {
			absent = append(absent, a.Slug)
			continue
		}
		if err := t.unfollow(a.Slug); err != nil {
			return err
		}
		removed = append(removed, a.Slug)
	}
	left, err := t.followedText()
	if err != nil {
		return err
	}
	parts = append(parts, unsubscribedParts(t.b.cat, removed, absent, left)...)
	parts = t.withUnresolved(parts, ts, "desabonner")
	return t.reply(strings.Join(parts, "\n"), nil)
}

// withUnresolved adds to the answer of /cmd what its arguments did not
// name for sure: a line per ambiguous or unknown name, or, when nothing
// else is said (only punctuation or little words), that the whole
// argument is not an académie.
func (t *turn) withUnresolved(parts []string, ts targets, cmd string) []string {
	for _, x := range ts.ambiguous {
		parts = append(parts, ambiguousText(x, cmd))
	}
	for _, u := range ts.unknown {
		parts = append(parts, unknownAcademyText(t.b.cat, u, cmd))
	}
	if len(parts) == 0 {
		parts = append(parts, unknownAcademyText(t.b.cat, t.r.args, cmd))
	}
	return parts
}

// onUnsubscribe is a press on /desabonner's menu: "*" is « Tout ».
func (t *turn) onUnsubscribe(arg string) error {
	slug := arg
	if arg == "*" {
		slug = ""
	} else if _, ok := t.b.cat.Academy(arg); !ok {
		t.answer(msgStaleButton)
		return nil
	}
	if err := t.unfollow(slug); err != nil {
		return err
	}
	left, err := t.followedText()
	if err != nil {
		return err
	}
	if slug == "" {
		t.edit(msgUnsubscribedAll, nil)
		return nil
	}
	t.edit(strings.Join(unsubscribedParts(t.b.cat, []string{slug}, nil, left), "\n"), nil)
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// isAll tells the word for « everything ».
func isAll(s string) bool {
	switch catalog.Normalize(s) {
	case "tout", "toutes", "tous", "all", "toutes les academies":
		return true
	}
	return false
}

// etat is /etat [académie]: the services of the chat's académies (or the
// one named) and the national ones, with since when, and the status page.
func (t *turn) etat() error {
	slugs, narrowing, err := t.following()
	if err != nil {
		return err
	}
	if t.r.args != "" {
		a, ok := t.b.cat.Find(t.r.args)
		if !ok {
			return t.reply(unknownAcademyText(t.b.cat, t.r.args, "etat"), nil)
		}
		slugs = []string{a.Slug}
	}
	states, err := t.b.states(t.ctx)
	if err != nil {
		return err
	}
	loc := t.b.loc
	if l := t.b.cat.LocationOf(slugs); l != nil {
		loc = l // the times of the chat's (first) académie, as in its alerts
	}
	return t.reply(statusText(statusView{cat: t.b.cat, states: states, slugs: slugs, narrowing: narrowing, levels: t.chat.Levels,
		group: t.inGroup(), now: t.now, loc: loc, publicURL: t.b.opt.PublicURL}), nil)
}

// lumni is /lumni: where to learn for the chat's levels, leaving out what
// is down now.
func (t *turn) lumni() error {
	states, err := t.b.states(t.ctx)
	if err != nil {
		return err
	}
	isDown := func(id string) bool { return states[id].State == status.Down }
	return t.reply(alternativesText(t.b.cat, t.chat.Levels, t.now.In(t.b.loc), isDown), nil)
}
