package bot

import (
	"encoding/json"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// Every text a person reads is here or in messages_*.go, in French, in
// Telegram HTML. Fixed texts are constants; texts with values are
// functions that escape each value with esc. Times, durations and numbers
// are written by package french; texts are written with ordinary spaces
// and typeset (no-break spaces before « : ; ? ! » and inside « ») where
// they leave the bot: reply, edit, answer, notify and the Renderer.

// Fixed answers.
const (
	msgUnknownCommand  = "🤔 Je ne connais pas cette commande. Tapez /aide pour voir ce que je sais faire."
	msgFreeText        = "Je ne lis que les commandes. Tapez /aide pour les voir."
	msgSlowDown        = "🐢 Doucement ! Trop de messages d'un coup : je reprends dans une minute."
	msgGroupAdminsOnly = "Seuls les administrateurs du groupe peuvent changer ses réglages."
	msgGroupWelcome    = "👋 Bonjour ! Je préviendrai ce groupe quand un ENT tombera en panne, puis quand il refonctionnera.\n\n" +
		"Un administrateur du groupe choisit l'académie avec /abonner. /aide pour le reste."
	msgSorry          = "😕 Désolé, je n'ai pas pu traiter cette demande. Réessayez dans un moment."
	msgSorryShort     = "Désolé, réessayez dans un moment."
	msgStaleButton    = "Ce bouton n'est plus valable."
	msgNotYours       = "Seule la personne qui a fait la demande peut répondre."
	msgExpired        = "⌛ Cette demande a expiré : rien n'a été fait. Recommencez si besoin."
	msgCancelled      = "Annulé : rien n'a été envoyé."
	msgClassCancelled = "Annulé : aucune classe créée."
)

// esc escapes a value for Telegram HTML (text and attributes). Invalid
// UTF-8, which Telegram refuses outright, becomes U+FFFD.
func esc(s string) string { return html.EscapeString(strings.ToValidUTF8(s, "\uFFFD")) }

// button is an inline button; Data is its callback data (≤ 64 bytes).
type button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// keyboard is an inline keyboard, row by row.
type keyboard [][]button

// params is the reply_markup of a message with this keyboard; nil for none.
func (k keyboard) params() map[string]string {
	if len(k) == 0 {
		return nil
	}
	b, err := json.Marshal(struct {
		InlineKeyboard keyboard `json:"inline_keyboard"`
	}{k})
	if err != nil {
		return nil // cannot happen: strings only
	}
	return map[string]string{"reply_markup": string(b)}
}

// confirmKeyboard is the « Envoyer » / « Annuler » pair (or « Supprimer »).
func confirmKeyboard(yes, id string) keyboard {
	return keyboard{{{Text: yes, Data: "ok:" + id}, {Text: "Annuler", Data: "no:" + id}}}
}

// roleLabel is how a role is shown after a colon: "parent".
func roleLabel(role string) string {
	switch role {
	case "parent":
		return "parent"
	case "eleve":
		return "élève"
	case "enseignant":
		return "enseignant"
	}
	return "non précisé"
}

// capital starts a label with a capital, for a button's notice: "Élève".
func capital(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// levelLabel is a level's name as a title or a button: "Collège".
func levelLabel(l status.Level) string {
	switch l {
	case status.Primaire:
		return "Primaire"
	case status.College:
		return "Collège"
	case status.Lycee:
		return "Lycée"
	}
	return string(l)
}

// levelsLabel writes "collège, lycée", or "non précisés", after a colon.
func levelsLabel(mask status.LevelMask) string {
	var names []string
	for _, l := range mask.Levels() {
		names = append(names, strings.ToLower(levelLabel(l)))
	}
	if len(names) == 0 {
		return "non précisés"
	}
	return strings.Join(names, ", ")
}

// alertsLabel writes the alerts a chat gets: "pannes, rétablissements".
func alertsLabel(c storage.Chat) string {
	var on []string
	if c.AlertOutage {
		on = append(on, "pannes")
	}
	if c.AlertRecovery {
		on = append(on, "rétablissements")
	}
	if c.AlertDegraded {
		on = append(on, "lenteurs")
	}
	if len(on) == 0 {
		return "aucune"
	}
	return strings.Join(on, ", ")
}

// academyName is an académie's name, or its slug when the catalog no
// longer knows it.
func academyName(cat *catalog.Catalog, slug string) string {
	if a, ok := cat.Academy(slug); ok {
		return a.Name
	}
	return slug
}

// academyNames writes "Paris, Versailles", escaped.
func academyNames(cat *catalog.Catalog, slugs []string) string {
	names := make([]string, 0, len(slugs))
	for _, s := range slugs {
		names = append(names, esc(academyName(cat, s)))
	}
	return strings.Join(names, ", ")
}

// clock writes a time as families read it: "7 h 32".
func clock(t time.Time, loc *time.Location) string { return french.Time(t.In(loc)) }

// since writes "7 h 32" for today and "le lundi 5 avril à 7 h 32"
// otherwise.
func since(t, now time.Time, loc *time.Location) string {
	lt, ln := t.In(loc), now.In(loc)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return french.Time(lt)
	}
	return "le " + french.Date(lt) + " à " + french.Time(lt)
}

// atTime writes "à 7 h 32" for today and "le lundi 5 avril à 7 h 32"
// otherwise.
func atTime(t, now time.Time, loc *time.Location) string {
	s := since(t, now, loc)
	if strings.HasPrefix(s, "le ") {
		return s
	}
	return "à " + s
}

// until writes "jusqu'à 9 h 45" for today and "jusqu'au mercredi 7 avril
// à 9 h 45" otherwise.
func until(t, now time.Time, loc *time.Location) string {
	s := since(t, now, loc)
	if rest, ok := strings.CutPrefix(s, "le "); ok {
		return "jusqu'au " + rest
	}
	return "jusqu'à " + s
}

// duration writes how long something lasted: "2 h 30", "45 min", "3 jours".
func duration(d time.Duration) string { return french.Duration(d) }

// number writes an integer the French way: "3 612" (U+202F).
func number(n int) string { return french.Number(n) }

// plural writes "0 membre", "1 membre", "12 membres" (French counts 0
// in the singular).
func plural(n int, one, many string) string {
	if n <= 1 {
		return number(n) + " " + one
	}
	return number(n) + " " + many
}

// runes counts characters as Telegram limits them.
func runes(s string) int { return utf8.RuneCountInString(s) }

// truncate cuts s to at most n characters, ending with "…" when cut.
func truncate(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// statusLink is the status page, or an académie's page on it.
func statusLink(publicURL, slug string) string {
	if publicURL == "" {
		return ""
	}
	if slug == "" {
		return publicURL + "/"
	}
	return publicURL + "/academie/" + slug
}
