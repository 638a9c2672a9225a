package bot

import (
	"fmt"
	"strconv"
	"strings"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// The three steps of /start: role, level(s), académie (région first).

const msgWelcome = "👋 Bonjour ! Je suis <b>Sentinelle</b>. Je surveille les ENT, le CNED, ÉduConnect et Lumni, " +
	"et je vous préviendrai quand l'un d'eux tombera en panne, puis quand il refonctionnera.\n\n" +
	"<b>Étape 1 sur 3</b> · Vous êtes :"

const msgAskRole = "Pour des alertes adaptées, dites-moi qui vous êtes :"

const msgNeedLevel = "Choisissez au moins un niveau."

const msgBadAcademyLink = "Ce lien ne correspond à aucune académie. Choisissons ensemble."

// roleKeyboard is step 1.
func roleKeyboard() keyboard {
	return keyboard{{
		{Text: "Parent", Data: "r:parent"},
		{Text: "Élève", Data: "r:eleve"},
		{Text: "Enseignant", Data: "r:enseignant"},
	}}
}

// levelsStep is step 2: a parent may tick several levels, then
// « Continuer »; a pupil or a teacher picks one.
func levelsStep(role string, levels status.LevelMask) (string, keyboard) {
	multi := role == "parent"
	var row []button
	for _, l := range status.AllLevels() {
		label := levelLabel(l)
		if multi && levels.Has(l) {
			label = "✅ " + label
		}
		row = append(row, button{Text: label, Data: "l:" + string(l)})
	}
	kb := keyboard{row}
	text := "<b>Étape 2 sur 3</b> · Quel niveau ?"
	if multi {
		text = "<b>Étape 2 sur 3</b> · Quels niveaux ? Cochez ceux de vos enfants, puis « Continuer »."
		kb = append(kb, []button{{Text: "Continuer", Data: "l:ok"}})
	}
	return text, kb
}

// regionsStep lists the régions académiques, two per row; onboarding says
// it is step 3.
func regionsStep(cat *catalog.Catalog, onboarding bool) (string, keyboard) {
	text := "Quelle académie ? Choisissez d'abord la région :"
	if onboarding {
		text = "<b>Étape 3 sur 3</b> · Votre académie : choisissez d'abord la région."
	}
	var kb keyboard
	for i, r := range cat.Regions() {
		b := button{Text: r, Data: "g:" + strconv.Itoa(i)}
		if len(kb) == 0 || len(kb[len(kb)-1]) == 2 {
			kb = append(kb, []button{b})
		} else {
			kb[len(kb)-1] = append(kb[len(kb)-1], b)
		}
	}
	return text, kb
}

// regionStep lists the académies of one région, with a way back.
func regionStep(cat *catalog.Catalog, region string) (string, keyboard) {
	var kb keyboard
	for _, a := range cat.AcademiesIn(region) {
		kb = append(kb, []button{{Text: a.Name, Data: "a:" + a.Slug}})
	}
	kb = append(kb, []button{{Text: "← Autres régions", Data: "g:"}})
	return fmt.Sprintf("Région <b>%s</b> : choisissez l'académie.", esc(region)), kb
}

// readyText closes the onboarding, and any subscription by button;
// followed is what the chat follows (followedNames); notes are the
// no-ENT sentences of its académies (noLocalENTTexts).
func readyText(c storage.Chat, followed string, notes ...string) (string, keyboard) {
	var b strings.Builder
	b.WriteString("✅ C'est prêt !\n")
	fmt.Fprintf(&b, "Vous suivez : <b>%s</b>\n", followed)
	for _, n := range notes {
		b.WriteString(n + "\n")
	}
	b.WriteString(profileLine(c))
	fmt.Fprintf(&b, "\nAlertes : %s\n\n", alertsLabel(c))
	b.WriteString(msgNextSteps)
	return b.String(), keyboard{{{Text: "➕ Ajouter une académie", Data: "g:"}}}
}

const msgNextSteps = "/etat : l'état des services maintenant\n" +
	"/lumni : où travailler pendant une panne\n" +
	"/alertes : choisir ce que vous recevez\n" +
	"/aide : toutes les commandes"

// profileLine writes "Profil : Parent · Collège, Lycée".
func profileLine(c storage.Chat) string {
	if c.Role == "" && c.Levels == 0 {
		return "Profil : non précisé (/profil)"
	}
	return fmt.Sprintf("Profil : %s · %s", roleLabel(c.Role), levelsLabel(c.Levels))
}

// subscribedText confirms a subscription made by a link or a command.
func subscribedText(cat *catalog.Catalog, added []catalog.Academy, subs []string) string {
	names := make([]string, 0, len(added))
	for _, a := range added {
		names = append(names, esc(a.Name))
	}
	text := fmt.Sprintf("✅ Abonnement enregistré : <b>%s</b>.", strings.Join(names, ", "))
	if len(subs) > len(added) {
		text += "\nVous suivez : " + academyNames(cat, subs) + "."
	}
	return text
}
