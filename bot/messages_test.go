package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// TestEveryMessageGolden writes every text the bot can send, with values
// that need escaping, into testdata/messages.golden, and checks that
// Telegram would accept each one. The flows' golden files show them in
// context; this one makes sure none is forgotten.
func TestEveryMessageGolden(t *testing.T) {
	cat := defaultCatalog(t)
	paris, _ := time.LoadLocation("Europe/Paris")
	today := time.Date(2026, time.December, 7, 9, 0, 0, 0, paris)
	class := storage.Class{ID: 1, Code: "ABCD2345", Name: "6e B <& co>", Academie: "versailles", PlanB: "Fiche <3> & 4"}
	chat := storage.Chat{ID: 1, Role: "parent", Levels: status.Mask(status.College, status.Lycee), AlertOutage: true, AlertRecovery: true}
	aix, _ := cat.Academy("aix-marseille")
	versailles, _ := cat.Academy("versailles")
	enc92, _ := cat.Service("enc92")
	link := joinLink("sentinelle_bot", class.Code)
	bound := class
	bound.ID, bound.Code, bound.ServiceID = 2, "EFGH6789", "enc92"
	kb := func(text string, k keyboard) string { return text + "\n" + keyboardText(k.params()["reply_markup"]) }
	texts := []struct{ name, text string }{
		{"unknown command", msgUnknownCommand}, {"free text", msgFreeText}, {"slow down", msgSlowDown},
		{"group admins only", msgGroupAdminsOnly}, {"group welcome", msgGroupWelcome}, {"sorry", msgSorry},
		{"sorry (button)", msgSorryShort}, {"stale button", msgStaleButton}, {"not yours", msgNotYours},
		{"expired", msgExpired}, {"cancelled", msgCancelled}, {"class cancelled", msgClassCancelled},
		{"welcome", kb(msgWelcome, roleKeyboard())}, {"ask role", msgAskRole}, {"need level", msgNeedLevel},
		{"bad académie link", msgBadAcademyLink}, {"next steps", msgNextSteps},
		{"levels, parent", kb(levelsStep("parent", 2))}, {"levels, pupil", kb(levelsStep("eleve", 0))},
		{"régions, onboarding", kb(regionsStep(cat, true))}, {"région", kb(regionStep(cat, "Île-de-France"))},
		{"ready", kb(readyText(chat, followedNames(cat, []string{"paris", "versailles"}, map[string][]string{"versailles": {"78"}})))},
		{"ready, no profile", kb(readyText(storage.Chat{AlertRecovery: true}, academyNames(cat, []string{"lille"})))},
		{"subscribed", subscribedText(cat, []catalog.Academy{aix}, []string{"aix-marseille", "paris"})},
		{"département question", kb(departementQuestion(versailles))},
		{"already subscribed", alreadySubscribedText(aix)}, {"too many académies", msgTooManyAcademies},
		{"unknown académie, suggestion", unknownAcademyText(cat, "versaile <x>", "abonner")},
		{"unknown académie", unknownAcademyText(cat, "atlantide & co", "abonner")},
		{"no subscription", msgNoSubscription}, {"unsubscribed all", msgUnsubscribedAll},
		{"unsubscribe menu", kb(unsubscribeMenu(cat, []string{"paris", "lille"}))},
		{"unsubscribed", strings.Join(unsubscribedParts(cat, []string{"paris"}, []string{"nantes"}, ""), "\n")},
		{"lumni, all levels", alternativesText(cat, 0, today, nil)},
		{"lumni, nothing works", alternativesText(cat, status.Lycee.Bit(), today, func(string) bool { return true })},
		{"profile", kb(profileText(cat, chat, nil), roleKeyboard())}, {"bad profile", badProfileText("astro<naute>")},
		{"profile saved", profileSavedText(storage.Chat{Role: "enseignant", AlertOutage: true}, true)},
		{"alerts", kb(alertsMenu(chat))}, {"alert off", onOff("Pannes", false, false)}, {"alert on, masculine", onOff("Rétablissements", true, true)},
		{"help, admin", helpText("https://sentinelle.example.fr", true)},
		{"teachers only", msgTeachersOnly}, {"class usage", msgClassUsage}, {"class needs académie", msgClassNeedsAcademy},
		{"class name too long", classNameTooLongText(70)}, {"too many classes", msgTooManyClasses},
		{"class académie question", kb(classAcademyQuestion(cat, "1re <3>", "q1", []string{"paris", "versailles"}))},
		{"class created", classCreatedText(cat, class, link)}, {"QR caption", classQRCaption(class, link)},
		{"class ENT question", kb(classServiceQuestion("1re <3>", "q1", classServices(cat, "versailles", status.College.Bit())))},
		{"class ENT cancelled", msgClassServiceCancelled},
		{"plan B alone, two classes", planBAlertText(alertView{service: enc92, ev: storage.Event{At: testNow}, now: testNow, loc: paris,
			classes: []storage.ClassRef{{Name: "6e B", PlanB: "Fiche <3>"}, {Name: "Atelier", PlanB: ""}, {Name: "Latin", PlanB: "Lire p. 12"}}})},
		{"class created, ENT", classCreatedText(cat, bound, link)}, {"class bound", classBoundText(class, enc92)},
		{"classes, bound and not", kb(classesText(cat, []storage.ClassInfo{{Class: bound, Members: 2}, {Class: class, Members: 1}}, "sentinelle_bot"),
			classesKeyboard(cat, []storage.ClassInfo{{Class: bound, Members: 2}, {Class: class, Members: 1}}))},
		{"not your class", notYourClassText("<ZZZZ>")},
		{"classes", classesText(cat, []storage.ClassInfo{{Class: class, Members: 1}}, "sentinelle_bot")},
		{"no classes", classesText(cat, nil, "sentinelle_bot")},
		{"broadcast usage", msgBroadcastUsage}, {"too long", tooLongText(3612, maxNoticeRunes)},
		{"quota", quotaText(class)}, {"no members", noMembersText(class, link)},
		{"notice", noticeText(class.Name, "Mme <D>", "Texte & <b>")},
		{"notice preview", kb(broadcastPreview(class, 12, noticeText(class.Name, "", "Bonjour")), confirmKeyboard("Envoyer", "q1"))},
		{"notice sent", noticeSentText(class)},
		{"notice report", noticeReportText(storage.NoticeTally{ClassID: 1, Label: class.Name, Sent: 11, Recipients: 12}, cat)},
		{"announcement report", noticeReportText(storage.NoticeTally{Label: "paris", Sent: 1, Recipients: 1}, cat)},
		{"plan B usage", msgPlanBUsage}, {"plan B shown", planBShowText(class)},
		{"no plan B", planBShowText(storage.Class{Name: "x"})}, {"plan B removed", planBRemovedText(class)},
		{"plan B too long", planBTooLongText(1001)}, {"plan B saved", planBSavedText(class, class.PlanB)},
		{"close usage", msgCloseUsage}, {"class closed", classClosedText(class, 12)},
		{"join usage", msgJoinUsage}, {"bad code", msgBadCode}, {"too many tries", msgTooManyTries},
		{"own class", ownClassText(class)}, {"already member", alreadyMemberText(class)},
		{"joined", joinedText(cat, class, "Mme <D>")}, {"leave usage", leaveUsageText([]storage.Class{class})},
		{"leave usage, none", leaveUsageText(nil)}, {"not member", msgNotMember}, {"left", leftText(class)},
		{"forget question", kb(msgForgetQuestion, confirmKeyboard("Supprimer", "q1"))},
		{"forgotten", msgForgotten}, {"forget cancelled", msgForgetCancelled},
		{"announce usage", msgAnnounceUsage}, {"announcement", announcementText("Grève <demain> & après")},
		{"announcement preview", announcementPreview(cat, "all", announcementText("x"))},
		{"announcement sent", announcementSentText(cat, "versailles")},
		{"stats", statsText(cat, storage.BotStats{Chats: 12345, Groups: 1, ByRole: map[string]int{"parent": 3},
			TopAcademies: []storage.AcademieCount{{Academie: "versailles", Chats: 2}}}, [3]int{1, 2, 3}, []string{"ENT <x>"}, clock(today, paris))},
		{"maintenance usage", msgMaintenanceUsage}, {"unknown service", unknownServiceText(cat, "ent<x>")},
		{"bad duration", badDurationText("<demain>")},
		{"maintenance set", maintenanceSetText(enc92, until(testNow.Add(26*time.Hour), testNow, paris))},
		{"maintenance ended", maintenanceEndedText(enc92)}, {"check unavailable", msgCheckUnavailable},
		{"check busy", msgCheckBusy}, {"check started", msgCheckStarted}, {"check failed", msgCheckFailed},
		{"check done", checkDoneText(3200 * time.Millisecond)},
	}
	var b strings.Builder
	for _, x := range texts {
		checkTelegram(t, x.name, strings.TrimSuffix(strings.SplitN(x.text, "\n[", 2)[0], "\n"))
		fmt.Fprintf(&b, "=== %s\n%s\n\n", x.name, french.TypesetHTML(strings.TrimRight(x.text, "\n")))
	}
	golden(t, "messages", b.String())
}
