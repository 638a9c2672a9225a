package bot

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/french"
	"sentinelle/status"
	"sentinelle/storage"
)

// classe is /classe <nom>: a teacher opens a class in their académie. With
// several académies followed, buttons ask which.
func (t *turn) classe() error {
	name := strings.Join(strings.Fields(t.r.args), " ")
	if refusal, err := t.classRefusal(); err != nil || refusal != "" {
		return errOr(err, func() error { return t.reply(refusal, nil) })
	}
	switch {
	case name == "":
		return t.reply(msgClassUsage, nil)
	case runes(name) > maxClassName:
		return t.reply(classNameTooLongText(runes(name)), nil)
	}
	subs, err := t.academies()
	if err != nil {
		return err
	}
	switch len(subs) {
	case 0:
		return t.reply(msgClassNeedsAcademy, nil)
	case 1:
		return t.classIn(name, subs[0], t.reply)
	}
	id, err := t.ask(storage.ConfirmClass, 0, "", name)
	if err != nil {
		return err
	}
	return t.reply(classAcademyQuestion(t.b.cat, name, id, subs))
}

// createClassIn is the press on the académie of a new class. What /classe
// checked when it asked (the teacher role, the cap on open classes) is
// checked again: the chat may have changed since, or pressed many
// questions' buttons.
func (t *turn) createClassIn(c storage.Confirmation, slug string) error {
	subs, ok, err := t.mayStillCreate()
	if !ok {
		return err
	}
	if !containsString(subs, slug) {
		t.answer(msgStaleButton)
		return t.tx.CreateConfirmation(t.ctx, c) // the question stands
	}
	t.answer(academyName(t.b.cat, slug))
	return t.classIn(c.Text, slug, t.editDone)
}

// classRefusal says why this chat may not open a class now: not a
// teacher, or at the cap of open classes.
func (t *turn) classRefusal() (string, error) {
	if t.chat.Role != "enseignant" {
		return msgTeachersOnly, nil
	}
	owned, err := t.tx.OwnedClasses(t.ctx, t.chat.ID)
	if err != nil || len(owned) < maxOpenClasses {
		return "", err
	}
	return msgTooManyClasses, nil
}

// createClass opens the class, keeps the teacher's name for the notices'
// signature, and sends the code, the join link and its QR code. service is
// the ENT the class uses (empty for none). done shows a short text where the
// question was (reply or edit).
func (t *turn) createClass(name, slug, service string, done func(string, keyboard) error) error {
	var class storage.Class
	for attempt := 0; ; attempt++ {
		code, err := t.b.newCode()
		if err != nil {
			return err
		}
		class, err = t.tx.CreateClass(t.ctx, storage.NewClass{Code: code, Name: name, Academie: slug,
			OwnerChatID: t.chat.ID, OwnerUserID: t.person(), ServiceID: service})
		if err == nil {
			break
		}
		if !errors.Is(err, storage.ErrCodeTaken) || attempt >= 5 {
			return err
		}
	}
	if t.r.userName != "" && t.chat.DisplayName != t.r.userName && !t.inGroup() {
		t.chat.DisplayName = t.r.userName
		if err := t.saveChat(); err != nil {
			return err
		}
	}
	link := joinLink(t.b.username, class.Code)
	png, err := qrPNG(link)
	if err != nil {
		return err
	}
	caption := classCreatedText(t.b.cat, class, link)
	if err := done(caption, nil); err != nil {
		return err
	}
	return t.send(storage.OutMessage{Text: classQRCaption(class, link), Photo: png})
}

// ownClass finds an open class this chat may manage by code; refusal is
// the one answer for an unknown code, a closed class and somebody else's.
func (t *turn) ownClass(code string) (storage.Class, string, error) {
	c, err := t.tx.ClassByCode(t.ctx, normalizeCode(code))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !t.manages(c)) {
		return storage.Class{}, notYourClassText(code), nil
	}
	return c, "", err
}

// manages says whether the sender of this update may manage an open class:
// it lives in this chat and, in a private chat, this person created it
// (a private chat's id is its person's: the second check guards against a
// class recorded under another user). In a group, the group's admins manage
// its classes, whoever created them: commands on classes are admin-only
// there (command.group), checked with getChatMember before the update is
// applied.
func (t *turn) manages(c storage.Class) bool {
	if c.OwnerChatID != t.chat.ID || !c.ClosedAt.IsZero() {
		return false
	}
	if t.inGroup() {
		return t.r.groupAdmin
	}
	return c.OwnerUserID == 0 || c.OwnerUserID == t.r.userID
}

// person is the Telegram user behind this update, 0 when it is an admin
// posting anonymously as the group (a person we cannot name).
func (t *turn) person() int64 {
	if t.r.userID == anonymousAdminID {
		return 0
	}
	return t.r.userID
}

// classes is /classes: a teacher's open classes with their members.
func (t *turn) classes() error {
	owned, err := t.tx.OwnedClasses(t.ctx, t.chat.ID)
	if err != nil {
		return err
	}
	return t.reply(classesText(t.b.cat, owned, t.b.username), classesKeyboard(t.b.cat, owned))
}

// diffuser is /diffuser <code> <texte>: a preview with « Envoyer » and
// « Annuler ». Nothing is sent before « Envoyer ».
func (t *turn) diffuser() error {
	code, text := splitCodeText(t.r.args)
	if code == "" || strings.TrimSpace(text) == "" {
		return t.reply(msgBroadcastUsage, nil)
	}
	c, refusal, err := t.ownClass(code)
	if err != nil || refusal != "" {
		return errOr(err, func() error { return t.reply(refusal, nil) })
	}
	if n := runes(text); n > maxNoticeRunes {
		return t.reply(tooLongText(n, maxNoticeRunes), nil)
	}
	if refusal, err := t.broadcastRefusal(c); err != nil || refusal != "" {
		return errOr(err, func() error { return t.reply(refusal, nil) })
	}
	members, err := t.tx.MemberCount(t.ctx, c.ID)
	if err != nil {
		return err
	}
	if members == 0 {
		return t.reply(noMembersText(c, joinLink(t.b.username, c.Code)), nil)
	}
	return t.askPreview(storage.ConfirmBroadcast, c.ID, "", broadcastPreview(c, members, noticeHead(c.Name, t.chat.DisplayName)), text)
}

// broadcastRefusal enforces the daily quota of a class.
func (t *turn) broadcastRefusal(c storage.Class) (string, error) {
	n, err := t.tx.NoticesSince(t.ctx, c.ID, t.now.Add(-24*time.Hour))
	if err != nil || n < broadcastsPerDay {
		return "", err
	}
	return quotaText(c), nil
}

// sendNotice is « Envoyer » on a notice preview: the event goes to the
// outbox for the class's members, and the teacher will hear how many got
// it.
func (t *turn) sendNotice(q storage.Confirmation) error {
	c, ok, err := t.questionClass(q)
	if !ok {
		return err
	}
	text, ok, err := t.confirmedText(q)
	if err != nil || !ok {
		return errOr(err, func() error { t.answer(msgStaleButton); t.edit(msgExpired, nil); return nil })
	}
	if refusal, err := t.broadcastRefusal(c); err != nil || refusal != "" {
		t.edit(refusal, nil)
		return err
	}
	msg := storage.OutMessage{Text: noticeText(c.Name, t.chat.DisplayName, text)}
	if err := t.notify(status.KindClassNotice, status.AudienceClass(c.ID), msg, c.ID, c.Name); err != nil {
		return err
	}
	t.answer("Envoyé")
	t.edit(noticeSentText(c), nil)
	return nil
}

// notify writes a notice or announcement event and remembers it for the
// quota and the sender's report.
func (t *turn) notify(kind status.Kind, audience status.Audience, msg storage.OutMessage, classID int64, label string) error {
	msg.Text = french.TypesetHTML(msg.Text)
	payload, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	id, inserted, err := t.tx.InsertEvent(t.ctx, storage.NewEvent{DedupKey: "notice:" + strconv.FormatInt(t.r.id, 10),
		Kind: kind, Priority: storage.PriorityNotice, Audience: audience, Payload: string(payload)})
	if err != nil {
		return err
	}
	if inserted {
		t.events++
	}
	return t.tx.RecordNotice(t.ctx, storage.NewNotice{EventID: id, SenderChatID: t.chat.ID, ClassID: classID, Label: label})
}

// planb is /planb <code> [texte|effacer]: shows, sets or removes the plan
// B sent with the outage message to the class's members.
func (t *turn) planb() error {
	code, text := splitCodeText(t.r.args)
	if code == "" {
		return t.reply(msgPlanBUsage, nil)
	}
	c, refusal, err := t.ownClass(code)
	if err != nil || refusal != "" {
		return errOr(err, func() error { return t.reply(refusal, nil) })
	}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return t.reply(planBShowText(c), nil)
	case catalog.Normalize(text) == "effacer" || catalog.Normalize(text) == "aucun":
		if err := t.tx.SetPlanB(t.ctx, c.ID, ""); err != nil {
			return err
		}
		return t.reply(planBRemovedText(c), nil)
	case runes(text) > maxPlanBRunes:
		return t.reply(planBTooLongText(runes(text)), nil)
	}
	if err := t.tx.SetPlanB(t.ctx, c.ID, text); err != nil {
		return err
	}
	return t.reply(planBSavedText(c, text), nil)
}

// fermer is /fermer <code>: closes the class and erases its texts.
func (t *turn) fermer() error {
	code := t.r.args
	if code == "" {
		return t.reply(msgCloseUsage, nil)
	}
	c, refusal, err := t.ownClass(code)
	if err != nil || refusal != "" {
		return errOr(err, func() error { return t.reply(refusal, nil) })
	}
	members, err := t.tx.MemberCount(t.ctx, c.ID)
	if err != nil {
		return err
	}
	if err := t.tx.CloseClass(t.ctx, c.ID); err != nil {
		return err
	}
	return t.reply(classClosedText(c, members), nil)
}

// rejoindre is /rejoindre <code>.
func (t *turn) rejoindre() error {
	if t.r.args == "" {
		return t.reply(msgJoinUsage, nil)
	}
	return t.join(t.r.args, false)
}

// join joins a class by code (command or c_ link). A parent or pupil also
// follows the class's académie, to hear its outages with the plan B. A
// wrong code, a closed class and an unknown one get the same answer, and
// wrong codes are counted per chat to make guessing hopeless.
func (t *turn) join(code string, viaLink bool) error {
	if t.b.joinLimit.full(t.chat.ID, t.now) {
		return t.reply(msgTooManyTries, nil)
	}
	c, err := t.tx.ClassByCode(t.ctx, normalizeCode(code))
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !c.ClosedAt.IsZero()) {
		t.b.joinLimit.hit(t.chat.ID, t.now)
		return t.reply(msgBadCode, nil)
	}
	if err != nil {
		return err
	}
	if c.OwnerChatID == t.chat.ID {
		return t.reply(ownClassText(c), nil)
	}
	if member, err := t.tx.IsMember(t.ctx, c.ID, t.chat.ID); err != nil || member {
		return errOr(err, func() error { return t.reply(alreadyMemberText(c), nil) })
	}
	if err := t.tx.JoinClass(t.ctx, c.ID, t.chat.ID); err != nil {
		return err
	}
	if t.chat.Role != "enseignant" {
		if a, ok := t.b.cat.Academy(c.Academie); ok {
			if _, _, _, err := t.subscribe([]catalog.Academy{a}); err != nil {
				return err
			}
		}
	}
	teacher, err := t.tx.Chat(t.ctx, c.OwnerChatID)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	msg := storage.OutMessage{Text: joinedText(t.b.cat, c, teacher.DisplayName)}
	if teacher.DisplayName != "" {
		msg.About = c.OwnerChatID // the teacher's /oublier takes their name out of it
	}
	if viaLink && t.chat.Role == "" {
		msg.Text += "\n\n" + msgAskRole
		msg.Params = roleKeyboard().params()
	}
	return t.send(msg)
}

// quitter is /quitter <code>.
func (t *turn) quitter() error {
	code := t.r.args
	if code == "" {
		joined, err := t.tx.JoinedClasses(t.ctx, t.chat.ID)
		if err != nil {
			return err
		}
		return t.reply(leaveUsageText(joined), nil)
	}
	c, err := t.tx.ClassByCode(t.ctx, normalizeCode(code))
	if errors.Is(err, storage.ErrNotFound) {
		return t.reply(msgNotMember, nil)
	}
	if err != nil {
		return err
	}
	left, err := t.tx.LeaveClass(t.ctx, c.ID, t.chat.ID)
	if err != nil || !left {
		return errOr(err, func() error { return t.reply(msgNotMember, nil) })
	}
	return t.reply(leftText(c), nil)
}

// splitCodeText splits "ABCD2345 le texte…" keeping the text's line breaks.
func splitCodeText(args string) (code, text string) {
	args = strings.TrimLeft(args, " \n\t")
	i := strings.IndexAny(args, " \n\t")
	if i < 0 {
		return args, ""
	}
	return args[:i], strings.TrimSpace(args[i+1:])
}

// errOr returns err, or runs then when err is nil.
func errOr(err error, then func() error) error {
	if err != nil {
		return err
	}
	return then()
}
