package bot

import (
	"fmt"
	"strings"

	"sentinelle/catalog"
	"sentinelle/storage"
)

// Texts of /profil, /alertes and /aide.

func profileText(cat *catalog.Catalog, c storage.Chat, subs []string) string {
	var b strings.Builder
	b.WriteString("<b>Votre profil</b>\n")
	fmt.Fprintf(&b, "Rôle : %s\n", roleLabel(c.Role))
	fmt.Fprintf(&b, "Niveaux : %s\n", levelsLabel(c.Levels))
	if len(subs) > 0 {
		fmt.Fprintf(&b, "Académies : %s\n", academyNames(cat, subs))
	} else {
		b.WriteString("Académies : aucune (/abonner)\n")
	}
	fmt.Fprintf(&b, "Alertes : %s\n\n", alertsLabel(c))
	b.WriteString("Pour changer, choisissez ci-dessous, ou tapez par exemple /profil parent college lycee")
	return b.String()
}

func badProfileText(word string) string {
	return fmt.Sprintf("❓ Je n'ai pas compris « %s ». Exemples : /profil parent college lycee, /profil eleve lycee, "+
		"/profil enseignant primaire", esc(truncate(word, 40)))
}

func profileSavedText(c storage.Chat, roleChanged bool) string {
	text := "✅ Profil enregistré : " + roleLabel(c.Role) + " · " + levelsLabel(c.Levels) + "."
	if roleChanged {
		text += "\nAlertes réglées pour ce rôle : " + alertsLabel(c) + ". /alertes pour changer."
	}
	if c.Levels == 0 {
		text += "\nIndiquez aussi vos niveaux, par exemple : /profil college"
	}
	return text
}

// alertsMenu shows the three switches as buttons: ✅ on, ⬜ off.
func alertsMenu(c storage.Chat) (string, keyboard) {
	mark := func(on bool, label string) string {
		if on {
			return "✅ " + label
		}
		return "⬜ " + label
	}
	text := "🔔 <b>Vos alertes</b> : appuyez pour activer ✅ ou couper ⬜.\n" +
		"• Pannes : quand un service tombe\n" +
		"• Rétablissements : quand il remarche\n" +
		"• Lenteurs : quand il devient très lent"
	return text, keyboard{
		{{Text: mark(c.AlertOutage, "Pannes"), Data: "al:panne"}},
		{{Text: mark(c.AlertRecovery, "Rétablissements"), Data: "al:retab"}},
		{{Text: mark(c.AlertDegraded, "Lenteurs"), Data: "al:lent"}},
	}
}

// onOff is the notice of an alert switch; masculine for
// « Rétablissements » (activés, coupés), feminine for the others.
func onOff(label string, on, masculine bool) string {
	state := map[[2]bool]string{{true, true}: "activés", {true, false}: "coupés",
		{false, true}: "activées", {false, false}: "coupées"}[[2]bool{masculine, on}]
	return label + " : " + state
}

func helpText(publicURL string, admin bool) string {
	var b strings.Builder
	b.WriteString("<b>Sentinelle</b> surveille les ENT de chaque académie, le CNED, ÉduConnect et Lumni, " +
		"et prévient quand l'un d'eux tombe en panne, puis quand il refonctionne, avec de quoi travailler en attendant.\n\n")
	b.WriteString("<b>Pour tous</b>\n" +
		"/abonner : suivre une académie, ou seulement votre département (/abonner 92) : " +
		"ses ENT, ceux de toute l'académie et les services nationaux\n" +
		"/desabonner : ne plus suivre une académie ou un département\n" +
		"/etat : l'état des services maintenant\n" +
		"/lumni : où travailler pendant une panne\n" +
		"/profil : votre rôle et vos niveaux\n" +
		"/alertes : pannes, rétablissements, lenteurs\n" +
		"/rejoindre : rejoindre une classe avec son code\n" +
		"/quitter : quitter une classe\n" +
		"/mesdonnees : ce que je garde sur vous\n" +
		"/oublier : tout effacer\n\n")
	b.WriteString("<b>Enseignants</b>\n" +
		"/classe : créer une classe\n" +
		"/classes : vos classes\n" +
		"/diffuser : écrire à une classe\n" +
		"/planb : le plan B en cas de panne\n" +
		"/fermer : fermer une classe\n")
	if admin {
		b.WriteString("\n<b>Administration</b>\n" +
			"/annonce toutes|ACADÉMIE texte : annonce aux abonnés\n" +
			"/stats : chiffres\n" +
			"/maintenance SERVICE DURÉE|fin : fenêtre de maintenance\n" +
			"/verifier : vérifier tous les services maintenant\n")
	}
	if publicURL != "" {
		fmt.Fprintf(&b, "\nPage d'état : <a href=\"%s\">%s</a>", esc(statusLink(publicURL, "")), esc(publicURL))
	}
	return strings.TrimRight(b.String(), "\n")
}
