package bot

import (
	"errors"
	"strings"

	"sentinelle/storage"
)

// Callback data, at most 64 bytes, never trusted: each handler checks what
// it names against the catalog or the database.
//
//	r:<role>          step 1, /profil            l:<level>, l:ok    step 2
//	g:, g:<index>     régions, one région        a:<slug>           subscribe
//	u:<slug>, u:*     unsubscribe                al:<alert>         toggle an alert
//	ok:<id>, no:<id>  answer a confirmation      k:<id>:<slug>      a new class's académie
//	n:<slug>:<code>, n:<slug>:*   narrow a subscription to a département, or the whole académie
//	e:<id>:<service>  a class's ENT                  ce:<class id>      ask a class's ENT (/classes)

// callback dispatches a button press.
func (t *turn) callback() error {
	prefix, arg, _ := strings.Cut(t.r.data, ":")
	t.r.metric = "bouton:" + prefix
	if t.inGroup() && !t.r.groupAdmin {
		t.answer(msgGroupAdminsOnly)
		return nil
	}
	switch prefix {
	case "r":
		return t.onRole(arg)
	case "l":
		return t.onLevel(arg)
	case "g":
		return t.onRegion(arg)
	case "a":
		return t.onAcademy(arg)
	case "u":
		return t.onUnsubscribe(arg)
	case "n":
		return t.onNarrow(arg)
	case "al":
		return t.onAlert(arg)
	case "ok", "no":
		return t.onConfirm(arg, prefix == "ok", "")
	case "k", "e":
		id, choice, _ := strings.Cut(arg, ":")
		return t.onConfirm(id, true, choice)
	case "ce":
		return t.onChooseClassService(arg)
	}
	t.r.metric = "bouton:inconnu"
	t.answer(msgStaleButton)
	return nil
}

// onConfirm answers a question: yes (« Envoyer », « Supprimer », an
// académie) or no (« Annuler »). Only the person who asked may answer, in
// the chat where they asked, once, within the hour.
func (t *turn) onConfirm(id string, yes bool, choice string) error {
	c, err := t.tx.TakeConfirmation(t.ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		t.answer(msgStaleButton) // answered already, or forged: the message stays as it is
		return nil
	}
	if err != nil {
		return err
	}
	if c.ChatID != t.r.chatID || !t.mayAnswer(c) {
		t.answer(msgNotYours)
		return t.tx.CreateConfirmation(t.ctx, c) // put it back for its owner
	}
	if !c.ExpiresAt.After(t.now) {
		t.answer(msgStaleButton)
		t.edit(msgExpired, nil)
		return nil
	}
	if !yes {
		t.answer("Annulé")
		switch c.Kind {
		case storage.ConfirmForget:
			t.edit(msgForgetCancelled, nil)
		case storage.ConfirmClass:
			if c.ClassID != 0 {
				t.edit(msgClassServiceCancelled, nil)
				break
			}
			t.edit(msgClassCancelled, nil)
		default:
			t.edit(msgCancelled, nil)
		}
		return nil
	}
	switch c.Kind {
	case storage.ConfirmBroadcast:
		return t.sendNotice(c)
	case storage.ConfirmAnnouncement:
		return t.sendAnnouncement(c)
	case storage.ConfirmForget:
		return t.forget()
	case storage.ConfirmClass:
		return t.onClassQuestion(c, choice)
	}
	t.answer(msgStaleButton)
	return nil
}

// mayAnswer says whether the person pressing may answer a question: the one
// who asked or, when an admin asked anonymously as the group, any current
// admin of that group (checked with getChatMember at the press: every press
// in a group is).
func (t *turn) mayAnswer(c storage.Confirmation) bool {
	if c.UserID == t.r.userID {
		return true
	}
	return c.UserID == anonymousAdminID && t.inGroup() && t.r.groupAdmin
}

// askPreview shows a preview with « Envoyer » / « Annuler » and stores the
// question. The text to send is kept once, raw, in the preview reply (its
// Quote): the question only names that reply.
func (t *turn) askPreview(kind string, classID int64, target, head, text string) error {
	id, err := t.b.newID()
	if err != nil {
		return err
	}
	key := t.replyKey()
	err = t.tx.CreateConfirmation(t.ctx, storage.Confirmation{ID: id, ChatID: t.r.chatID, UserID: t.r.userID,
		Kind: kind, ClassID: classID, Target: target, PreviewKey: key, ExpiresAt: t.now.Add(confirmTTL)})
	if err != nil {
		return err
	}
	return t.send(storage.OutMessage{Text: head, Quote: text, Params: confirmKeyboard("Envoyer", id).params()})
}

// confirmedText is the text a preview's « Envoyer » sends: read back from
// the preview reply, or kept in the question by an older version. ok is
// false when the preview is gone (purged with its chat).
func (t *turn) confirmedText(c storage.Confirmation) (text string, ok bool, err error) {
	if c.PreviewKey == "" {
		return c.Text, c.Text != "", nil
	}
	m, err := t.tx.Reply(t.ctx, c.PreviewKey)
	if errors.Is(err, storage.ErrNotFound) {
		return "", false, nil
	}
	return m.Quote, err == nil && m.Quote != "", err
}

// ask stores a question and returns its id, for the buttons.
func (t *turn) ask(kind string, classID int64, target, text string) (string, error) {
	id, err := t.b.newID()
	if err != nil {
		return "", err
	}
	err = t.tx.CreateConfirmation(t.ctx, storage.Confirmation{ID: id, ChatID: t.r.chatID, UserID: t.r.userID,
		Kind: kind, ClassID: classID, Target: target, Text: text, ExpiresAt: t.now.Add(confirmTTL)})
	return id, err
}
