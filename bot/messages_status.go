package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// Texts of /etat and /lumni, and the pieces the alert messages share.

// reasonText says why a service is judged down, in the words of a family.
func reasonText(reason status.Reason) string {
	if text, ok := reason.Text(); ok && text != "" {
		return text
	}
	return "panne"
}

// statusView is what /etat shows.
type statusView struct {
	cat       *catalog.Catalog
	states    map[string]storage.ServiceState
	slugs     []string
	narrowing map[string][]string // départements of the académies followed narrowed
	levels    status.LevelMask
	group     bool // the chat is a group: « ce groupe », not « vous »
	now       time.Time
	loc       *time.Location
	publicURL string
}

// statusBudget keeps /etat under Telegram's 4096 characters: académies
// past it are left for /etat <académie>.
const statusBudget = 3600

// statusText writes /etat: a block per académie, the national services,
// the status page.
func statusText(v statusView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>État des services</b> · %s\n", clock(v.now, v.loc))
	switch {
	case len(v.slugs) == 0 && v.group:
		b.WriteString("\nCe groupe ne suit aucune académie (/abonner) : voici les services nationaux.\n")
	case len(v.slugs) == 0:
		b.WriteString("\nVous ne suivez aucune académie (/abonner) : voici les services nationaux.\n")
	}
	left := 0
	for i, slug := range v.slugs {
		block := v.block(v.academyTitle(slug), v.academyServices(slug))
		for _, note := range noLocalENTTexts(v.cat, slug, v.narrowing[slug], v.levels, v.group) {
			block += "\n" + note + "\n"
		}
		if b.Len()+len(block) > statusBudget {
			left = len(v.slugs) - i
			break
		}
		b.WriteString(block)
	}
	b.WriteString(v.block("<b>Services nationaux</b>", v.cat.NationalServices()))
	if left > 0 {
		fmt.Fprintf(&b, "\n… et %s : /etat suivi du nom pour les voir.\n", plural(left, "autre académie", "autres académies"))
	}
	link := statusLink(v.publicURL, "")
	if len(v.slugs) == 1 {
		link = statusLink(v.publicURL, v.slugs[0])
	}
	if link != "" {
		fmt.Fprintf(&b, "\nDétails et historique : <a href=\"%s\">page d'état</a>", esc(link))
	}
	return strings.TrimRight(b.String(), "\n")
}

// academyTitle is "<b>Versailles</b>", "<b>Versailles</b> (Yvelines)" for a
// subscription narrowed to départements.
func (v statusView) academyTitle(slug string) string {
	title := "<b>" + esc(academyName(v.cat, slug)) + "</b>"
	if codes := v.narrowing[slug]; len(codes) > 0 {
		a, _ := v.cat.Academy(slug)
		title += " (" + depNames(a, codes) + ")"
	}
	return title
}

// academyServices are the académie's services the chat hears about:
// those of its départements when the subscription is narrowed.
func (v statusView) academyServices(slug string) []catalog.Service {
	return slices.DeleteFunc(v.cat.ServicesFor(slug, v.narrowing[slug]), func(s catalog.Service) bool { return s.National })
}

// block writes one titled list of services, filtered by the chat's levels.
func (v statusView) block(title string, services []catalog.Service) string {
	var b strings.Builder
	for _, s := range services {
		if v.levels != 0 && !servesAny(s, v.levels) {
			continue
		}
		b.WriteString(v.line(s))
	}
	if b.Len() == 0 {
		return ""
	}
	return "\n" + title + "\n" + b.String()
}

// servesAny tells whether a service concerns one of the levels.
func servesAny(s catalog.Service, levels status.LevelMask) bool {
	for _, l := range levels.Levels() {
		if s.Serves(l) {
			return true
		}
	}
	return false
}

// line writes one service's state: "🔴 ENT : en panne depuis 7 h 32, site inaccessible".
func (v statusView) line(s catalog.Service) string {
	st, ok := v.states[s.ID]
	name := esc(s.Name)
	if s.Unsure {
		name += " (à confirmer)"
	}
	switch {
	case ok && st.InMaintenance(v.now):
		return fmt.Sprintf("🛠 %s : maintenance %s\n", name, until(st.MaintenanceUntil, v.now, v.loc))
	case ok && st.Unverified:
		return fmt.Sprintf("⚪ %s : non vérifié\n", name)
	case !ok || st.State == status.Unknown:
		return fmt.Sprintf("⚪ %s : pas encore vérifié\n", name)
	case st.State == status.Down:
		return fmt.Sprintf("🔴 %s : en panne depuis %s, %s\n", name, since(st.Since, v.now, v.loc), reasonText(st.Reason))
	case st.State == status.Degraded:
		return fmt.Sprintf("🟠 %s : lenteurs depuis %s\n", name, since(st.Since, v.now, v.loc))
	}
	return fmt.Sprintf("✅ %s : fonctionne\n", name)
}

// pickAlternatives returns up to max alternatives for the levels, taking
// each level's first, then each one's second…, without repeating a link:
// Lumni's level page comes first while Lumni is up, and a link whose
// service is down is replaced by the next one. An alternative past its
// until: day on the day of now is never offered.
func pickAlternatives(cat *catalog.Catalog, levels []status.Level, now time.Time, isDown func(string) bool, max int) []catalog.Alternative {
	lists := make([][]catalog.Alternative, len(levels))
	for i, l := range levels {
		lists[i] = cat.AlternativesFor(l, now, isDown)
	}
	seen := map[string]bool{}
	var out []catalog.Alternative
	for rank := 0; len(out) < max; rank++ {
		more := false
		for _, list := range lists {
			if rank >= len(list) || len(out) >= max {
				continue
			}
			more = true
			if a := list[rank]; !seen[a.URL] {
				seen[a.URL] = true
				out = append(out, a)
			}
		}
		if !more {
			break
		}
	}
	return out
}

// alternativeLine writes "• <a>Lumni collège</a> : Vidéos et cours…".
func alternativeLine(a catalog.Alternative) string {
	line := fmt.Sprintf("• <a href=\"%s\">%s</a>", esc(a.URL), esc(a.Name))
	if a.Description != "" {
		line += " : " + esc(a.Description)
	}
	return line + "\n"
}

// alternativesText writes /lumni: for each of the chat's levels (all when
// none given), up to three places to learn that work now.
func alternativesText(cat *catalog.Catalog, mask status.LevelMask, now time.Time, isDown func(string) bool) string {
	levels := mask.Levels()
	if len(levels) == 0 {
		levels = status.AllLevels()
	}
	var b strings.Builder
	b.WriteString("📚 <b>Pour travailler pendant une panne</b>\n")
	for _, l := range levels {
		fmt.Fprintf(&b, "\n<b>%s</b>\n", levelLabel(l))
		alts := pickAlternatives(cat, []status.Level{l}, now, isDown, 3)
		if len(alts) == 0 {
			b.WriteString("Rien ne fonctionne pour l'instant : réessayez plus tard.\n")
		}
		for _, a := range alts {
			b.WriteString(alternativeLine(a))
		}
	}
	if mask == 0 {
		b.WriteString("\nPour ne voir que vos niveaux : /profil")
	}
	return strings.TrimRight(b.String(), "\n")
}
