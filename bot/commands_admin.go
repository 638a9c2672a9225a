package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"sentinelle/catalog"
	"sentinelle/status"
	"sentinelle/storage"
)

// annonce is /annonce <académie|toutes> <texte>: a preview with
// « Envoyer » / « Annuler », to the subscribers of one académie or all.
func (t *turn) annonce() error {
	target, text, ok := parseAnnouncement(t.b.cat, t.r.args)
	switch {
	case strings.TrimSpace(t.r.args) == "" || (ok && text == ""):
		return t.reply(msgAnnounceUsage, nil)
	case !ok:
		first, _ := splitCodeText(t.r.args)
		return t.reply(unknownAcademyText(t.b.cat, first, "annonce"), nil)
	case runes(text) > maxNoticeRunes:
		return t.reply(tooLongText(runes(text), maxNoticeRunes), nil)
	}
	return t.askPreview(storage.ConfirmAnnouncement, 0, target, announcementPreview(t.b.cat, target, announcementHead), text)
}

// parseAnnouncement splits "toutes le texte" or "Aix Marseille le texte";
// ok is false when the first words name no académie.
func parseAnnouncement(cat *catalog.Catalog, args string) (target, text string, ok bool) {
	first, rest := splitCodeText(args)
	if isAll(first) {
		return status.AudienceAll().String(), rest, true
	}
	words := strings.Fields(args)
	for n := min(3, len(words)); n >= 1; n-- {
		if a, found := cat.Find(strings.Join(words[:n], " ")); found {
			rest := args
			for range n {
				_, rest = splitCodeText(rest)
			}
			return a.Slug, rest, true
		}
	}
	return "", "", false
}

// sendAnnouncement is « Envoyer » on an announcement preview.
func (t *turn) sendAnnouncement(c storage.Confirmation) error {
	if !t.isAdmin() {
		t.answer(msgStaleButton)
		return nil
	}
	audience := status.AudienceAll()
	if c.Target != audience.String() {
		audience = status.AudienceAcademie(c.Target)
	}
	text, ok, err := t.confirmedText(c)
	if err != nil || !ok {
		return errOr(err, func() error { t.answer(msgStaleButton); t.edit(msgExpired, nil); return nil })
	}
	msg := storage.OutMessage{Text: announcementText(text)}
	if err := t.notify(status.KindAnnouncement, audience, msg, 0, c.Target); err != nil {
		return err
	}
	t.answer("Envoyé")
	t.edit(announcementSentText(t.b.cat, c.Target), nil)
	return nil
}

// stats is /stats: subscribers, classes, the outbox, the services down
// and those never seen up (catalog entries to check).
func (t *turn) stats() error {
	st, err := t.b.store.BotStats(t.ctx)
	if err != nil {
		return err
	}
	depth, err := t.b.store.OutboxDepth(t.ctx)
	if err != nil {
		return err
	}
	states, err := t.b.states(t.ctx)
	if err != nil {
		return err
	}
	var down, unverified []string
	for _, s := range t.b.cat.Services {
		if states[s.ID].State == status.Down {
			down = append(down, s.Name)
		}
		if states[s.ID].Unverified {
			unverified = append(unverified, s.Name)
		}
	}
	return t.reply(statsText(t.b.cat, st, depth, down, clock(t.now, t.b.loc))+unverifiedStatsText(unverified), nil)
}

// maintenance is /maintenance <service> <durée>|fin.
func (t *turn) maintenance() error {
	f := strings.Fields(t.r.args)
	if len(f) != 2 {
		return t.reply(msgMaintenanceUsage, nil)
	}
	svc, ok := t.b.cat.Service(strings.ToLower(f[0]))
	if !ok {
		return t.reply(unknownServiceText(t.b.cat, f[0]), nil)
	}
	if isEnd(f[1]) {
		if err := t.tx.SetMaintenance(t.ctx, svc.ID, time.Time{}); err != nil {
			return err
		}
		return t.reply(maintenanceEndedText(svc), nil)
	}
	d, ok := parseFrenchDuration(f[1])
	if !ok {
		return t.reply(badDurationText(f[1]), nil)
	}
	end := t.now.Add(d)
	if err := t.tx.SetMaintenance(t.ctx, svc.ID, end); err != nil {
		return err
	}
	return t.reply(maintenanceSetText(svc, until(end, t.now, t.b.loc)), nil)
}

func isEnd(s string) bool {
	switch catalog.Normalize(s) {
	case "fin", "stop", "end", "0":
		return true
	}
	return false
}

// maxMaintenance bounds a maintenance window: a forgotten one would hide
// real outages for good.
const maxMaintenance = 7 * 24 * time.Hour

// parseFrenchDuration reads "45min", "2h", "1h30", "2 h 30", "3j", "90m",
// "1h30m": between one minute and seven days.
func parseFrenchDuration(s string) (time.Duration, bool) {
	s = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "")
	s = strings.ReplaceAll(s, "min", "m")
	if days, ok := strings.CutSuffix(s, "j"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, false
		}
		s = strconv.Itoa(24*n) + "h"
	}
	if strings.Contains(s, "h") && !strings.HasSuffix(s, "h") && !strings.HasSuffix(s, "m") {
		s += "m" // "1h30"
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute || d > maxMaintenance {
		return 0, false
	}
	return d, true
}

// verifier is /verifier: a check round now, answered when it ends.
func (t *turn) verifier() error {
	check := t.b.opt.CheckNow
	switch {
	case check == nil:
		return t.reply(msgCheckUnavailable, nil)
	case t.b.verifying.Load():
		return t.reply(msgCheckBusy, nil)
	}
	chatID, key := t.r.chatID, "verifier:"+strconv.FormatInt(t.r.id, 10)
	t.r.out.after = func(ctx context.Context) { t.b.runCheck(ctx, check, chatID, key) }
	return t.reply(msgCheckStarted, nil)
}

// runCheck runs the round in the background and writes its result as a
// reply.
func (b *Bot) runCheck(ctx context.Context, check func(context.Context) error, chatID int64, key string) {
	if !b.verifying.CompareAndSwap(false, true) {
		return
	}
	defer b.verifying.Store(false)
	start := b.now()
	err := check(ctx)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return
	}
	text := checkDoneText(b.now().Sub(start))
	if err != nil {
		b.log.Error("check requested with /verifier failed", "error", err)
		text = msgCheckFailed
	}
	reply, err := storage.NewReply(key, chatID, storage.OutMessage{Text: text})
	if err == nil {
		wctx := context.WithoutCancel(ctx)
		err = b.store.Update(wctx, func(tx *storage.Tx) error {
			_, _, err := tx.InsertEvent(wctx, reply)
			return err
		})
	}
	if err != nil {
		b.log.Error("cannot write the /verifier result", "error", err)
		return
	}
	if b.opt.Wake != nil {
		b.opt.Wake()
	}
}
