package bot

import (
	"fmt"
	"slices"

	"sentinelle/catalog"
	"sentinelle/status"
)

// Texts of /abonner and /desabonner.

var msgTooManyAcademies = fmt.Sprintf("Vous suivez déjà %d académies, le maximum. /desabonner pour en retirer une.", maxAcademies)

const (
	msgNoSubscription      = "Vous ne suivez aucune académie. /abonner pour en choisir une."
	msgGroupNoSubscription = "Ce groupe ne suit aucune académie. /abonner pour en choisir une."
	msgUnsubscribedAll     = "Vous ne suivez plus aucune académie : plus d'alertes de panne. " +
		"Vos classes continuent de vous écrire. /abonner pour revenir."
)

func alreadySubscribedText(a catalog.Academy) string {
	return fmt.Sprintf("Vous suivez déjà <b>%s</b>.", esc(a.Name))
}

// unknownAcademyText answers a name that is no académie, with a
// suggestion when one is close ("versaille" → Versailles), or a
// département ("hauts de sene" → Hauts-de-Seine) for the commands that
// take one.
func unknownAcademyText(cat *catalog.Catalog, query, cmd string) string {
	q := esc(truncate(query, 40))
	if a, ok := cat.Suggest(query); ok {
		return fmt.Sprintf("❓ Je ne connais pas l'académie « %s ». Vouliez-vous dire <b>%s</b> ? Tapez /%s %s",
			q, esc(a.Name), cmd, esc(a.Slug))
	}
	if d, a, ok := cat.SuggestDepartement(query); ok && (cmd == "abonner" || cmd == "desabonner") {
		return fmt.Sprintf("❓ Je ne connais pas « %s ». Vouliez-vous dire le département <b>%s</b> (%s, académie %s) ? Tapez /%s %s",
			q, esc(d.Name), esc(d.Code), deName(a.Name), cmd, esc(d.Code))
	}
	if cmd == "abonner" {
		return fmt.Sprintf("❓ Je ne connais pas l'académie « %s ». Tapez /abonner seul pour choisir dans la liste.", q)
	}
	return fmt.Sprintf("❓ Je ne connais pas l'académie « %s ».", q)
}

// unsubscribeMenu offers a button per académie followed, and « Toutes ».
func unsubscribeMenu(cat *catalog.Catalog, subs []string) (string, keyboard) {
	var kb keyboard
	for _, s := range subs {
		kb = append(kb, []button{{Text: academyName(cat, s), Data: "u:" + s}})
	}
	kb = append(kb, []button{{Text: "Toutes", Data: "u:*"}})
	return "Quelle académie ne plus suivre ?", kb
}

// unsubscribedParts says what /desabonner did.
// left is what the chat still follows (followedNames).
func unsubscribedParts(cat *catalog.Catalog, removed, absent []string, left string) []string {
	var parts []string
	if len(removed) > 0 {
		parts = append(parts, fmt.Sprintf("Vous ne suivez plus : <b>%s</b>.", academyNames(cat, removed)))
	}
	if len(absent) > 0 {
		parts = append(parts, fmt.Sprintf("Vous ne suiviez pas : %s.", academyNames(cat, absent)))
	}
	if len(removed) > 0 {
		if left == "" {
			parts = append(parts, "Vous ne suivez plus aucune académie. /abonner pour revenir.")
		} else {
			parts = append(parts, "Vous suivez encore : "+left+".")
		}
	}
	return parts
}

// levelSchools names the schools of a level as the no-ENT sentence says
// them: « des écoles », « des collèges », « des lycées ».
var levelSchools = map[status.Level]string{
	status.Primaire: "des écoles",
	status.College:  "des collèges",
	status.Lycee:    "des lycées",
}

// noLocalENTTexts says, for each of the chat's levels that no ENT of the
// académie (as narrowed to deps) serves, that only the national services
// will be heard of: without it a parent of an écolier in La Réunion would
// subscribe and silently hear nothing about their school. Nothing when
// the levels are not known yet.
func noLocalENTTexts(cat *catalog.Catalog, slug string, deps []string, levels status.LevelMask, group bool) []string {
	a, ok := cat.Academy(slug)
	if !ok {
		return nil
	}
	who := "vous recevrez"
	if group {
		who = "ce groupe recevra"
	}
	var out []string
	for _, l := range levels.Levels() {
		served := slices.ContainsFunc(cat.ServicesFor(slug, deps), func(s catalog.Service) bool { return !s.National && s.Serves(l) })
		if !served {
			out = append(out, fmt.Sprintf("Aucun ENT %s n'est suivi pour l'académie %s : %s les alertes des services nationaux.",
				levelSchools[l], deName(a.Name), who))
		}
	}
	return out
}
