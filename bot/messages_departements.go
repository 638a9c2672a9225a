package bot

import (
	"fmt"
	"strings"

	"sentinelle/catalog"
)

// Texts of a subscription narrowed to départements.

// ofAcademy writes "de l'académie de Versailles", "de l'académie d'Aix-Marseille".
func ofAcademy(a catalog.Academy) string {
	return "de l'académie " + deName(a.Name)
}

// deName writes "de Versailles", "d'Orléans-Tours".
func deName(name string) string {
	if n := catalog.Normalize(name); n != "" && strings.ContainsRune("aeiou", rune(n[0])) {
		return "d'" + esc(name)
	}
	return "de " + esc(name)
}

// depNames writes the names of an académie's départements by their codes:
// "Yvelines, Hauts-de-Seine", escaped.
func depNames(a catalog.Academy, codes []string) string {
	names := make([]string, 0, len(codes))
	for _, c := range codes {
		name := c
		if d, ok := a.Departement(c); ok {
			name = d.Name
		}
		names = append(names, esc(name))
	}
	return strings.Join(names, ", ")
}

// depsSubscribedText confirms a subscription narrowed to départements
// (codes: all those now followed in the académie).
func depsSubscribedText(a catalog.Academy, codes []string, wasWhole bool) string {
	text := fmt.Sprintf("✅ Abonnement enregistré : <b>%s</b> (académie %s). Vous serez prévenu pour les ENT "+
		"de ce département, ceux de toute l'académie et les services nationaux.", depNames(a, codes), deName(a.Name))
	if len(codes) > 1 {
		text = strings.Replace(text, "de ce département", "de ces départements", 1)
	}
	if wasWhole {
		text += fmt.Sprintf(" Vous ne suivez plus les autres départements %s (/abonner %s pour toute l'académie).",
			ofAcademy(a), esc(a.Slug))
	}
	return text
}

// widenedText confirms that a narrowed subscription follows the whole
// académie again.
func widenedText(a catalog.Academy) string {
	return fmt.Sprintf("✅ Vous suivez maintenant toute l'académie %s.", deName(a.Name))
}

// depsUnsubscribedText says which départements are no longer followed and
// what is left of the académie.
func depsUnsubscribedText(a catalog.Academy, gone, left []string) string {
	text := fmt.Sprintf("Vous ne suivez plus : <b>%s</b>.", depNames(a, gone))
	if len(left) == 0 {
		return text + fmt.Sprintf(" Vous ne suivez plus l'académie %s.", deName(a.Name))
	}
	return text + fmt.Sprintf(" Académie %s : vous suivez encore %s.", deName(a.Name), depNames(a, left))
}

func notFollowedDepsText(a catalog.Academy, codes []string) string {
	return fmt.Sprintf("Vous ne suiviez pas : %s (académie %s).", depNames(a, codes), deName(a.Name))
}

// ambiguousText says that a number was read as an académie, and how to
// name the département of the same number.
func ambiguousText(x ambiguity, cmd string) string {
	d := x.dep.Departement
	return fmt.Sprintf("ℹ️ « %s » est le numéro de l'académie %s. Pour le département %s (%s, académie %s), tapez /%s %s",
		esc(d.Code), deName(x.academy.Name), esc(d.Code), esc(d.Name), deName(x.dep.Academy.Name), cmd, esc(d.Name))
}

// foreignDepText refuses a département named with an académie that is not
// its own, naming the right one.
func foreignDepText(m catalog.Match, named []catalog.Academy, cmd string) string {
	names := make([]string, 0, len(named))
	for _, a := range named {
		names = append(names, esc(a.Name))
	}
	return fmt.Sprintf("❌ %s (%s) est un département %s, pas de %s. Tapez /%s %s pour le suivre.",
		esc(m.Departement.Name), esc(m.Departement.Code), ofAcademy(m.Academy), strings.Join(names, ", "), cmd,
		esc(m.Departement.Code))
}

// followedNames writes what a chat follows: "Paris, Versailles (Yvelines)".
func followedNames(cat *catalog.Catalog, subs []string, narrowing map[string][]string) string {
	names := make([]string, 0, len(subs))
	for _, s := range subs {
		name := esc(academyName(cat, s))
		if codes := narrowing[s]; len(codes) > 0 {
			a, _ := cat.Academy(s)
			name += " (" + depNames(a, codes) + ")"
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// departementQuestion asks, after an académie chosen by button whose local
// ENTs differ by département, which one the family lives in.
func departementQuestion(a catalog.Academy) (string, keyboard) {
	var kb keyboard
	for _, d := range a.Departements {
		b := button{Text: d.Name, Data: "n:" + a.Slug + ":" + d.Code}
		if len(kb) == 0 || len(kb[len(kb)-1]) == 2 {
			kb = append(kb, []button{b})
		} else {
			kb[len(kb)-1] = append(kb[len(kb)-1], b)
		}
	}
	kb = append(kb, []button{{Text: "Toute l'académie", Data: "n:" + a.Slug + ":*"}})
	return fmt.Sprintf("<b>Dans quel département ?</b> Dans l'académie %s, plusieurs ENT ne servent qu'un département : "+
		"choisissez le vôtre pour ne recevoir que leurs alertes (et celles des services de toute l'académie).", deName(a.Name)), kb
}
