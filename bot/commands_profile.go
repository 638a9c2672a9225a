package bot

import (
	"strings"

	"sentinelle/catalog"
	"sentinelle/status"
)

// parseProfile reads "/profil élève Collège lycée": at most one role and
// any levels, accents and case ignored. bad is the first word that is
// neither.
func parseProfile(args string) (role string, levels status.LevelMask, bad string) {
	for _, w := range strings.FieldsFunc(args, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
		switch catalog.Normalize(w) {
		case "parent", "parents":
			role = "parent"
			continue
		case "eleve", "eleves", "etudiant", "etudiante":
			role = "eleve"
			continue
		case "enseignant", "enseignante", "prof", "professeur", "professeure", "teacher":
			role = "enseignant"
			continue
		case "et":
			continue
		}
		if l, ok := catalog.ParseLevel(w); ok {
			levels |= l.Bit()
			continue
		}
		return "", 0, w
	}
	return role, levels, ""
}

// profil is /profil [rôle] [niveaux…]: shows the profile with buttons, or
// sets it. A new role brings that role's default alerts.
func (t *turn) profil() error {
	if t.r.args == "" {
		subs, err := t.academies()
		if err != nil {
			return err
		}
		return t.reply(profileText(t.b.cat, t.chat, subs), roleKeyboard())
	}
	role, levels, bad := parseProfile(t.r.args)
	if bad != "" {
		return t.reply(badProfileText(bad), nil)
	}
	changed := role != "" && role != t.chat.Role
	if role != "" {
		t.chat.Role = role
	}
	if levels != 0 {
		t.chat.Levels = levels
	}
	if changed {
		alertDefaults(&t.chat)
	}
	if err := t.saveChat(); err != nil {
		return err
	}
	return t.reply(profileSavedText(t.chat, changed), nil)
}

// alertes is /alertes: a button per kind of alert, to switch it.
func (t *turn) alertes() error {
	return t.reply(alertsMenu(t.chat))
}

// onAlert switches one kind of alert and redraws the menu.
func (t *turn) onAlert(arg string) error {
	c := &t.chat
	switch arg {
	case "panne":
		c.AlertOutage = !c.AlertOutage
		t.answer(onOff("Pannes", c.AlertOutage, false))
	case "retab":
		c.AlertRecovery = !c.AlertRecovery
		t.answer(onOff("Rétablissements", c.AlertRecovery, true))
	case "lent":
		c.AlertDegraded = !c.AlertDegraded
		t.answer(onOff("Lenteurs", c.AlertDegraded, false))
	default:
		t.answer(msgStaleButton)
		return nil
	}
	if err := t.saveChat(); err != nil {
		return err
	}
	t.edit(alertsMenu(*c))
	return nil
}

// aide is /aide: what the bot does, the commands, the status page; an
// admin also sees the admin commands.
func (t *turn) aide() error {
	return t.reply(helpText(t.b.opt.PublicURL, t.isAdmin()), nil)
}
