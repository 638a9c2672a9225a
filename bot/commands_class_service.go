package bot

import (
	"errors"
	"slices"
	"strconv"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// A class is bound to the ENT its pupils use: its plan B goes with that
// ENT's outages only. /classe asks which after the académie when more
// than one ENT of the académie serves the teacher's levels; a class made
// before (bound to none) keeps its plan B with every ENT of its académie
// until its teacher picks one from /classes.
//
// The three questions of a class are one confirmation kind
// (storage.ConfirmClass), told apart by what they hold: the académie of a
// new class (Text: its name), the ENT of a new class (Text: its name,
// Target: its académie), the ENT of an open class (ClassID).

// classServices are the ENTs a class of this académie may use: the
// académie's own services (local ones included) serving one of the
// levels (a mask; all of them when none given or none serves them).
func classServices(cat *catalog.Catalog, slug string, levels status.LevelMask) []catalog.Service {
	all := cat.ServicesOf(slug)
	out := slices.DeleteFunc(slices.Clone(all), func(s catalog.Service) bool {
		return levels != 0 && !slices.ContainsFunc(levels.Levels(), s.Serves)
	})
	if len(out) == 0 {
		return all
	}
	return out
}

// classService finds id among a class's candidate ENTs.
func classService(cands []catalog.Service, id string) (catalog.Service, bool) {
	i := slices.IndexFunc(cands, func(s catalog.Service) bool { return s.ID == id })
	if i < 0 || id == "" {
		return catalog.Service{}, false
	}
	return cands[i], true
}

// classIn opens the class in an académie chosen: at once when one ENT
// (or none) is a candidate, else after asking which the class uses.
func (t *turn) classIn(name, slug string, done func(string, keyboard) error) error {
	cands := classServices(t.b.cat, slug, t.chat.Levels)
	switch len(cands) {
	case 0:
		return t.createClass(name, slug, "", done)
	case 1:
		return t.createClass(name, slug, cands[0].ID, done)
	}
	id, err := t.ask(storage.ConfirmClass, 0, slug, name)
	if err != nil {
		return err
	}
	return done(classServiceQuestion(name, id, cands))
}

// onClassQuestion is a press on one of a class's questions.
func (t *turn) onClassQuestion(c storage.Confirmation, choice string) error {
	switch {
	case c.ClassID != 0:
		return t.bindClass(c, choice)
	case c.Target != "":
		return t.createClassWith(c, choice)
	}
	return t.createClassIn(c, choice)
}

// createClassWith is the press on the ENT of a new class. What was
// checked when it was asked is checked again, as for the académie.
func (t *turn) createClassWith(c storage.Confirmation, service string) error {
	subs, ok, err := t.mayStillCreate()
	if !ok {
		return err
	}
	svc, ok := classService(classServices(t.b.cat, c.Target, t.chat.Levels), service)
	if !ok || !containsString(subs, c.Target) {
		t.answer(msgStaleButton)
		return t.tx.CreateConfirmation(t.ctx, c) // the question stands
	}
	t.answer(svc.Name)
	return t.createClass(c.Text, c.Target, svc.ID, t.editDone)
}

// mayStillCreate checks again, at the press on a new class's question,
// what /classe checked when it asked (the teacher role, the cap on open
// classes): the chat may have changed since, or pressed many questions'
// buttons. ok is false when the press is refused (and answered) or err
// is set; subs are the chat's académies.
func (t *turn) mayStillCreate() (subs []string, ok bool, err error) {
	refusal, err := t.classRefusal()
	if err != nil || refusal != "" {
		if err == nil {
			t.answer(msgStaleButton)
			t.edit(refusal, nil)
		}
		return nil, false, err
	}
	subs, err = t.academies()
	return subs, err == nil, err
}

// onChooseClassService is « Choisir l'ENT » under /classes: it asks which
// ENT an open class of this chat uses.
func (t *turn) onChooseClassService(arg string) error {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		t.answer(msgStaleButton)
		return nil
	}
	c, err := t.tx.ClassByID(t.ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !t.manages(c)) {
		t.answer(msgStaleButton)
		return nil
	}
	if err != nil {
		return err
	}
	cands := classServices(t.b.cat, c.Academie, t.chat.Levels)
	if len(cands) == 0 {
		t.answer(msgStaleButton)
		return nil
	}
	q, err := t.ask(storage.ConfirmClass, c.ID, c.Academie, c.Name)
	if err != nil {
		return err
	}
	return t.reply(classServiceQuestion(c.Name, q, cands))
}

// bindClass is the press on the ENT of an open class.
func (t *turn) bindClass(q storage.Confirmation, service string) error {
	c, ok, err := t.questionClass(q)
	if !ok {
		return err
	}
	svc, ok := classService(classServices(t.b.cat, c.Academie, t.chat.Levels), service)
	if !ok {
		t.answer(msgStaleButton)
		return t.tx.CreateConfirmation(t.ctx, q) // the question stands
	}
	if err := t.tx.SetClassService(t.ctx, c.ID, svc.ID); err != nil {
		return err
	}
	t.answer(svc.Name)
	t.edit(classBoundText(c, svc), nil)
	return nil
}

// questionClass is the open class a question is about, when this chat
// still manages it; ok is false when it does not (the press is answered)
// or err is set.
func (t *turn) questionClass(q storage.Confirmation) (c storage.Class, ok bool, err error) {
	c, err = t.tx.ClassByID(t.ctx, q.ClassID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !t.manages(c)) {
		t.answer(msgStaleButton)
		t.edit(msgExpired, nil)
		return c, false, nil
	}
	return c, err == nil, err
}

// editDone shows a text where the question was.
func (t *turn) editDone(text string, kb keyboard) error {
	t.edit(text, kb)
	return nil
}
