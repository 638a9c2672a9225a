package bot

import (
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"sentinelle/catalog"
)

// Telegram accounts that must never be taken for an admin: the anonymous
// group admin (any group admin who posts anonymously appears as it) and
// Telegram's service account.
const (
	anonymousAdminID  = 1087968824
	telegramServiceID = 777000
)

// command is one slash command. Its French name is canonical; aliases are
// the English names and spellings people type.
type command struct {
	name    string
	aliases []string
	menu    string // description in the menu; "" to leave it out
	admin   bool   // ADMIN_IDS in private chats only; others get the unknown-command answer
	group   bool   // changes the chat's settings or its classes: in a group, only its admins
	run     func(*turn) error
}

// commandList is every command, in menu order.
func commandList() []*command {
	return []*command{
		{name: "start", menu: "Commencer : rôle, niveaux, académie", group: true, run: (*turn).start},
		{name: "abonner", aliases: []string{"subscribe"}, menu: "Suivre une académie", group: true, run: (*turn).abonner},
		{name: "desabonner", aliases: []string{"unsubscribe"}, menu: "Ne plus suivre une académie", group: true, run: (*turn).desabonner},
		{name: "etat", aliases: []string{"status"}, menu: "L'état des services maintenant", run: (*turn).etat},
		{name: "lumni", aliases: []string{"alternatives"}, menu: "Où travailler pendant une panne", run: (*turn).lumni},
		{name: "profil", aliases: []string{"profile"}, menu: "Votre rôle et vos niveaux", group: true, run: (*turn).profil},
		{name: "alertes", aliases: []string{"alerts"}, menu: "Choisir les alertes reçues", group: true, run: (*turn).alertes},
		{name: "classe", aliases: []string{"class"}, menu: "Enseignants : créer une classe", group: true, run: (*turn).classe},
		{name: "classes", menu: "Enseignants : vos classes", group: true, run: (*turn).classes},
		{name: "diffuser", aliases: []string{"broadcast"}, menu: "Enseignants : écrire à une classe", group: true, run: (*turn).diffuser},
		{name: "planb", menu: "Enseignants : le plan B d'une classe", group: true, run: (*turn).planb},
		{name: "fermer", aliases: []string{"close"}, menu: "Enseignants : fermer une classe", group: true, run: (*turn).fermer},
		{name: "rejoindre", aliases: []string{"join"}, menu: "Rejoindre une classe avec son code", group: true, run: (*turn).rejoindre},
		{name: "quitter", aliases: []string{"leave"}, menu: "Quitter une classe", group: true, run: (*turn).quitter},
		{name: "mesdonnees", aliases: []string{"mydata", "privacy"}, menu: "Ce que je garde sur vous", run: (*turn).mesdonnees},
		{name: "oublier", aliases: []string{"forget"}, menu: "Tout effacer", group: true, run: (*turn).oublier},
		{name: "aide", aliases: []string{"help"}, menu: "Ce que je sais faire", run: (*turn).aide},
		{name: "annonce", aliases: []string{"announce"}, menu: "Admin : annonce aux abonnés", admin: true, run: (*turn).annonce},
		{name: "stats", menu: "Admin : chiffres", admin: true, run: (*turn).stats},
		{name: "maintenance", menu: "Admin : fenêtre de maintenance", admin: true, run: (*turn).maintenance},
		{name: "verifier", aliases: []string{"check"}, menu: "Admin : vérifier maintenant", admin: true, run: (*turn).verifier},
	}
}

// commandTable indexes commandList by name and alias.
func commandTable() map[string]*command {
	m := map[string]*command{}
	for _, c := range commandList() {
		m[c.name] = c
		for _, a := range c.aliases {
			m[a] = c
		}
	}
	return m
}

// menu is what setMyCommands publishes: the public commands, plus the
// admin ones for an admin's chat.
func menu(admin bool) []tgbotapi.BotCommand {
	var out []tgbotapi.BotCommand
	for _, c := range commandList() {
		if c.menu != "" && (admin || !c.admin) {
			out = append(out, tgbotapi.BotCommand{Command: c.name, Description: c.menu})
		}
	}
	return out
}

// parseCommand splits "/Abonner@bot versailles" into "abonner" and
// "versailles". The name loses case and accents ("/Désabonner" works).
// forOther is true for a command addressed to another bot
// ("/start@otherbot"), which must be ignored. ok is false for text that is
// not a command.
func parseCommand(text, username string) (name, args string, forOther, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false, false
	}
	word, rest, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(word, "\n\t"); i >= 0 {
		word, rest = word[:i], word[i+1:]+" "+rest
	}
	word, target, addressed := strings.Cut(word, "@")
	if addressed && !strings.EqualFold(target, username) {
		return "", "", true, true
	}
	name = strings.ReplaceAll(catalog.Normalize(word), " ", "")
	return name, strings.TrimSpace(rest), false, true
}
