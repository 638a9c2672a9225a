package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/storage"
)

// Texts of the class commands.

const (
	msgTeachersOnly      = "Cette commande est réservée aux enseignants. Vous enseignez ? Tapez /profil enseignant"
	msgClassUsage        = "Donnez un nom à la classe, par exemple : /classe 6e B"
	msgClassNeedsAcademy = "Abonnez-vous d'abord à l'académie de votre établissement : /abonner"
	msgBroadcastUsage    = "Écrivez : /diffuser CODE votre message\nPar exemple : /diffuser ABCD2345 Pas de cours de maths demain, l'ENT est en panne."
	msgPlanBUsage        = "Écrivez : /planb CODE le plan B, par exemple :\n/planb ABCD2345 Exercices 4 à 7 page 112 du manuel, à rendre jeudi.\n" +
		"/planb CODE seul le montre, /planb CODE effacer le retire."
	msgCloseUsage   = "Écrivez : /fermer CODE (vos classes et leurs codes : /classes)"
	msgJoinUsage    = "Écrivez : /rejoindre CODE, avec le code à 8 caractères donné par l'enseignant (par exemple ABCD2345)."
	msgBadCode      = "Ce code ne correspond à aucune classe ouverte. Vérifiez-le auprès de l'enseignant : 8 caractères, par exemple ABCD2345."
	msgTooManyTries = "Trop d'essais de code : réessayez dans 10 minutes."
	msgNotMember    = "Vous n'êtes dans aucune classe avec ce code. Vos classes : /mesdonnees"

	msgClassServiceCancelled = "Annulé : l'ENT de la classe n'a pas changé."
)

var msgTooManyClasses = fmt.Sprintf("Vous avez déjà %d classes ouvertes, le maximum. Fermez celles qui sont finies : /fermer", maxOpenClasses)

func classNameTooLongText(n int) string {
	return fmt.Sprintf("Ce nom fait %s caractères : %d au plus, s'il vous plaît.", number(n), maxClassName)
}

// classAcademyQuestion asks in which académie a new class is.
func classAcademyQuestion(cat *catalog.Catalog, name, id string, subs []string) (string, keyboard) {
	var kb keyboard
	for _, s := range subs {
		kb = append(kb, []button{{Text: academyName(cat, s), Data: "k:" + id + ":" + s}})
	}
	kb = append(kb, []button{{Text: "Annuler", Data: "no:" + id}})
	return fmt.Sprintf("Dans quelle académie est la classe <b>%s</b> ?", esc(name)), kb
}

// classServiceQuestion asks which ENT a class's pupils use.
func classServiceQuestion(name, id string, cands []catalog.Service) (string, keyboard) {
	var kb keyboard
	for _, s := range cands {
		kb = append(kb, []button{{Text: s.Name, Data: "e:" + id + ":" + s.ID}})
	}
	kb = append(kb, []button{{Text: "Annuler", Data: "no:" + id}})
	return fmt.Sprintf("Quel ENT utilisent les élèves de la classe <b>%s</b> ? "+
		"Son plan B partira quand cet ENT tombera en panne, et seulement alors.", esc(name)), kb
}

func classBoundText(c storage.Class, svc catalog.Service) string {
	return fmt.Sprintf("✅ Classe <b>%s</b> : ENT %s. Son plan B partira quand cet ENT tombera en panne, et seulement alors.",
		esc(c.Name), esc(svc.Name))
}

// classServiceLabel names the ENT of a class, or says it has none yet.
func classServiceLabel(cat *catalog.Catalog, c storage.Class) string {
	if s, ok := cat.Service(c.ServiceID); ok {
		return "ENT : " + esc(s.Name)
	}
	if c.ServiceID != "" {
		return "ENT : " + esc(c.ServiceID)
	}
	text := "ENT non choisi : son plan B part avec la panne de n'importe quel ENT de l'académie"
	if classNeedsService(cat, c) {
		text += " ; choisissez-le avec le bouton ci-dessous"
	}
	return text + "."
}

// classNeedsService says whether a class is bound to no ENT while its
// académie has some to pick from.
func classNeedsService(cat *catalog.Catalog, c storage.Class) bool {
	return c.ServiceID == "" && len(cat.ServicesOf(c.Academie)) > 0
}

func classCreatedText(cat *catalog.Catalog, c storage.Class, link string) string {
	where := esc(academyName(cat, c.Academie))
	if s, ok := cat.Service(c.ServiceID); ok {
		where += ", ENT : " + esc(s.Name)
	}
	return fmt.Sprintf("✅ Classe <b>%s</b> créée (académie : %s).\n\n"+
		"Code : <code>%s</code>\nLien à partager : %s\n\n"+
		"Les élèves et les familles la rejoignent en ouvrant le lien, en scannant le QR code ci-dessous, "+
		"ou avec /rejoindre %s\n\n"+
		"Ensuite :\n/planb %s texte : le plan B envoyé si l'ENT tombe en panne\n"+
		"/diffuser %s texte : écrire à la classe",
		esc(c.Name), where, c.Code, esc(link), c.Code, c.Code, c.Code)
}

func classQRCaption(c storage.Class, link string) string {
	return fmt.Sprintf("QR code de la classe <b>%s</b>, à projeter ou imprimer : il ouvre %s", esc(c.Name), esc(link))
}

func notYourClassText(code string) string {
	return fmt.Sprintf("Je ne trouve aucune de vos classes ouvertes avec le code « %s ». Vos classes : /classes",
		esc(truncate(code, 20)))
}

func classesText(cat *catalog.Catalog, owned []storage.ClassInfo, username string) string {
	if len(owned) == 0 {
		return "Vous n'avez aucune classe ouverte. Créez-en une : /classe 6e B"
	}
	var b strings.Builder
	b.WriteString("<b>Vos classes</b>\n")
	for _, c := range owned {
		planB := "pas de plan B"
		if c.PlanB != "" {
			planB = "plan B prêt"
		}
		fmt.Fprintf(&b, "\n<b>%s</b> · %s\n%s\nCode <code>%s</code> · %s · %s\n%s\n",
			esc(c.Name), esc(academyName(cat, c.Academie)), classServiceLabel(cat, c.Class), c.Code,
			plural(c.Members, "membre", "membres"), planB, esc(joinLink(username, c.Code)))
	}
	b.WriteString("\n/diffuser CODE texte · /planb CODE texte · /fermer CODE")
	return b.String()
}

// classesKeyboard has a « Choisir l'ENT » button for each class bound to
// no ENT whose académie has some.
func classesKeyboard(cat *catalog.Catalog, owned []storage.ClassInfo) keyboard {
	var kb keyboard
	for _, c := range owned {
		if classNeedsService(cat, c.Class) {
			kb = append(kb, []button{{Text: "Choisir l'ENT de " + truncate(c.Name, maxClassName),
				Data: "ce:" + strconv.FormatInt(c.ID, 10)}})
		}
	}
	return kb
}

func tooLongText(n, limit int) string {
	return fmt.Sprintf("Votre message fait %s caractères : c'est trop long (%s au plus). Raccourcissez-le ou coupez-le en deux.",
		number(n), number(limit))
}

func quotaText(c storage.Class) string {
	return fmt.Sprintf("Vous avez déjà envoyé %d messages à la classe <b>%s</b> ces dernières 24 heures, le maximum. "+
		"Réessayez demain.", broadcastsPerDay, esc(c.Name))
}

func noMembersText(c storage.Class, link string) string {
	return fmt.Sprintf("La classe <b>%s</b> n'a encore aucun membre : rien à envoyer. Partagez son lien : %s",
		esc(c.Name), esc(link))
}

// noticeText is a notice as its readers see it, headed with the class.
func noticeText(class, teacher, text string) string {
	return noticeHead(class, teacher) + esc(text)
}

// noticeHead is a notice's heading, up to where its text starts.
func noticeHead(class, teacher string) string {
	head := fmt.Sprintf("📣 <b>Classe %s</b>", esc(class))
	if teacher != "" {
		head += " · " + esc(teacher)
	}
	return head + "\n\n"
}

func broadcastPreview(c storage.Class, members int, notice string) string {
	return fmt.Sprintf("<b>Aperçu</b> du message pour la classe <b>%s</b> (%s) :\n\n%s",
		esc(c.Name), plural(members, "membre", "membres"), notice)
}

func noticeSentText(c storage.Class) string {
	return fmt.Sprintf("📤 Message envoyé à la classe <b>%s</b>. Je vous dirai combien l'ont reçu.", esc(c.Name))
}

// noticeReportText tells a sender how many received their notice.
func noticeReportText(n storage.NoticeTally, cat *catalog.Catalog) string {
	if n.ClassID != 0 {
		return fmt.Sprintf("📬 Votre message à la classe <b>%s</b> a été reçu par %s sur %d.",
			esc(n.Label), plural(n.Sent, "membre", "membres"), n.Recipients)
	}
	return fmt.Sprintf("📬 Annonce (%s) reçue par %s sur %d.",
		esc(announcementLabel(cat, n.Label)), plural(n.Sent, "abonné", "abonnés"), n.Recipients)
}

func planBShowText(c storage.Class) string {
	if c.PlanB == "" {
		return fmt.Sprintf("La classe <b>%s</b> n'a pas de plan B.\n\n%s", esc(c.Name), msgPlanBUsage)
	}
	return fmt.Sprintf("Plan B de la classe <b>%s</b> :\n\n%s", esc(c.Name), esc(c.PlanB))
}

func planBRemovedText(c storage.Class) string {
	return fmt.Sprintf("Plan B de la classe <b>%s</b> retiré.", esc(c.Name))
}

func planBTooLongText(n int) string {
	return fmt.Sprintf("Ce plan B fait %s caractères : %s au plus, car il s'ajoute au message de panne.",
		number(n), number(maxPlanBRunes))
}

// planBSavedText repeats the start of the plan B only: the whole text is
// one /planb CODE away, and a reply repeating it would be stored again.
func planBSavedText(c storage.Class, text string) string {
	return fmt.Sprintf("✅ Plan B de la classe <b>%s</b> enregistré. Ses membres le recevront avec l'alerte si l'ENT tombe en panne :\n\n« %s »",
		esc(c.Name), esc(truncate(text, excerptRunes)))
}

func classClosedText(c storage.Class, members int) string {
	return fmt.Sprintf("🔒 Classe <b>%s</b> fermée (%s). Plus rien n'en partira ; son plan B et ses messages sont effacés.",
		esc(c.Name), plural(members, "membre", "membres"))
}

func ownClassText(c storage.Class) string {
	return fmt.Sprintf("C'est votre classe <b>%s</b> : partagez son code avec les élèves et les familles.", esc(c.Name))
}

func alreadyMemberText(c storage.Class) string {
	return fmt.Sprintf("Vous êtes déjà dans la classe <b>%s</b>.", esc(c.Name))
}

func joinedText(cat *catalog.Catalog, c storage.Class, teacher string) string {
	who := ""
	if teacher != "" {
		who = " (" + esc(teacher) + ")"
	}
	return fmt.Sprintf("✅ Vous avez rejoint la classe <b>%s</b>%s, académie : %s.\n"+
		"Vous recevrez ses messages et, si l'ENT tombe en panne, son plan B.", esc(c.Name), who,
		esc(academyName(cat, c.Academie)))
}

// teacherInJoined is the teacher's name in joinedText.
var teacherInJoined = regexp.MustCompile(`</b> \(.*?\), académie[ \x{a0}]: `)

// withoutTeacherName is a joinedText without the teacher's name.
func withoutTeacherName(text string) string {
	return teacherInJoined.ReplaceAllLiteralString(text, french.TypesetHTML("</b>, académie : "))
}

func leaveUsageText(joined []storage.Class) string {
	if len(joined) == 0 {
		return "Écrivez : /quitter CODE. Vous n'êtes dans aucune classe pour l'instant."
	}
	var b strings.Builder
	b.WriteString("Écrivez : /quitter CODE. Vos classes :")
	for _, c := range joined {
		fmt.Fprintf(&b, "\n• %s : <code>%s</code>", esc(c.Name), c.Code)
	}
	return b.String()
}

func leftText(c storage.Class) string {
	return fmt.Sprintf("Vous avez quitté la classe <b>%s</b> : vous ne recevrez plus ses messages.", esc(c.Name))
}

// planBAlertText is the plan B of a member's classes when their ENT fails,
// for a member whose settings leave the outage message out (a pupil's
// default): headed with the class, one line on the outage, the plan B.
func planBAlertText(v alertView) string {
	var with []storage.ClassRef
	for _, c := range v.classes {
		if strings.TrimSpace(c.PlanB) != "" {
			with = append(with, c)
		}
	}
	down := fmt.Sprintf("%s est en panne depuis %s.", esc(v.service.Name), since(v.at(v.payload.Since()), v.now, v.loc))
	if len(with) == 1 {
		return fmt.Sprintf("📌 <b>Classe %s · plan B</b>\n%s\n\n%s", esc(truncate(with[0].Name, maxClassName)), down,
			esc(truncate(with[0].PlanB, maxPlanBRunes)))
	}
	var b strings.Builder
	b.WriteString("📌 <b>Plans B de vos classes</b>\n" + down + "\n")
	writePlanBs(&b, with)
	return strings.TrimRight(b.String(), "\n")
}
