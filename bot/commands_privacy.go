package bot

import (
	"fmt"
	"strings"

	"sentinelle/french"
	"sentinelle/storage"
)

// mesdonnees is /mesdonnees: everything stored about this chat.
func (t *turn) mesdonnees() error {
	followed, err := t.followedText()
	if err != nil {
		return err
	}
	joined, err := t.tx.JoinedClasses(t.ctx, t.chat.ID)
	if err != nil {
		return err
	}
	owned, err := t.tx.OwnedClasses(t.ctx, t.chat.ID)
	if err != nil {
		return err
	}
	return t.reply(myDataText(t, followed, joined, owned), nil)
}

// oublier is /oublier: « Supprimer » erases everything at once.
func (t *turn) oublier() error {
	id, err := t.ask(storage.ConfirmForget, 0, "", "")
	if err != nil {
		return err
	}
	return t.reply(msgForgetQuestion, confirmKeyboard("Supprimer", id))
}

// forget is « Supprimer »: the chat's row and everything hanging from it
// go in this transaction. The confirmation replaces the question in place:
// a reply through the outbox would need the chat's row.
func (t *turn) forget() error {
	if err := t.unname(); err != nil {
		return err
	}
	if err := t.tx.ForgetChat(t.ctx, t.r.chatID); err != nil {
		return err
	}
	t.loaded = false
	t.answer("Effacé")
	t.edit(msgForgotten, nil)
	return nil
}

// unname takes a teacher's name out of the replies kept for the members
// who joined their classes (« vous avez rejoint … (Mme Dupont) »): sent or
// not, they no longer name them once they asked to be forgotten.
func (t *turn) unname() error {
	replies, err := t.tx.RepliesAbout(t.ctx, t.r.chatID)
	if err != nil {
		return err
	}
	for _, r := range replies {
		r.Message.Text, r.Message.About = withoutTeacherName(r.Message.Text), 0
		if err := t.tx.RewriteReply(t.ctx, r.EventID, r.Message); err != nil {
			return err
		}
	}
	return nil
}

const (
	msgForgetQuestion = "⚠️ <b>Tout effacer ?</b>\nVos abonnements, vos réglages, les classes que vous avez rejointes " +
		"et celles que vous avez créées, avec leurs messages et leur plan B. C'est immédiat et définitif."
	msgForgotten       = "🗑 C'est fait : tout ce que je savais de cette discussion est effacé. Pour revenir un jour : /start"
	msgForgetCancelled = "Rien n'a été effacé."
)

func myDataText(t *turn, followed string, joined []storage.Class, owned []storage.ClassInfo) string {
	c, loc := t.chat, t.b.loc
	var b strings.Builder
	b.WriteString("🔐 <b>Ce que je garde sur cette discussion</b>\n")
	fmt.Fprintf(&b, "• Identifiant de cette discussion : %d (%s)\n", c.ID, kindLabel(c.Kind))
	fmt.Fprintf(&b, "• Inscrit le %s\n", french.FullDate(c.CreatedAt.In(loc)))
	fmt.Fprintf(&b, "• Rôle : %s · niveaux : %s\n", roleLabel(c.Role), levelsLabel(c.Levels))
	if followed != "" {
		fmt.Fprintf(&b, "• Académies suivies : %s\n", followed)
	} else {
		b.WriteString("• Académies suivies : aucune\n")
	}
	fmt.Fprintf(&b, "• Alertes : %s\n", alertsLabel(c))
	for _, k := range joined {
		fmt.Fprintf(&b, "• Classe rejointe : %s (<code>%s</code>)\n", esc(k.Name), k.Code)
	}
	for _, k := range owned {
		fmt.Fprintf(&b, "• Classe créée : %s (<code>%s</code>, %s)", esc(k.Name), k.Code, plural(k.Members, "membre", "membres"))
		if k.PlanB != "" {
			fmt.Fprintf(&b, ", plan B : « %s »", esc(truncate(k.PlanB, 80)))
		}
		b.WriteString("\n")
	}
	if c.DisplayName != "" {
		fmt.Fprintf(&b, "• Nom qui signe vos messages de classe : %s\n", esc(c.DisplayName))
	}
	b.WriteString("• Les réponses que je vous ai envoyées, pour ne jamais les envoyer deux fois.\n\n")
	b.WriteString("Je ne garde ni vos messages, ni votre numéro, ni votre nom (sauf celui d'un enseignant qui crée " +
		"une classe, pour signer ses messages). Les messages d'une classe et son plan B sont effacés quand elle est fermée.\n" +
		"Tout effacer maintenant : /oublier")
	return b.String()
}

func kindLabel(kind string) string {
	switch kind {
	case "group", "supergroup":
		return "groupe"
	case "channel":
		return "canal"
	}
	return "privé"
}
