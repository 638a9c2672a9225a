package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
)

var april6 = time.Date(2021, 4, 6, 6, 55, 0, 0, time.UTC)

// TestOutageAudience checks who hears an outage of the ENT shared by alpha
// and beta: subscribers of either, once each, whose levels meet the ENT's
// (or who gave none), who want outage alerts, still active.
func TestOutageAudience(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	lycee, college := status.Lycee.Bit(), status.College.Bit()
	addPeople(t, s,
		parent(1, "alpha"),
		parent(2, "alpha", "beta", "gamma"), // three académies, two affected: one message
		parent(3, "gamma"),                  // académie not affected
		person{id: 4, role: "parent", levels: college, outage: true, recovery: true, academies: []string{"beta"}}, // wrong level
		person{id: 5, role: "parent", levels: lycee | college, outage: true, academies: []string{"beta"}},         // level matches
		person{id: 6, role: "eleve", recovery: true, academies: []string{"alpha"}},                                // pupil: no outage
		person{id: 7, role: "parent", outage: true, inactive: true, academies: []string{"alpha"}},                 // blocked us
		person{id: -100, role: "enseignant", outage: true, recovery: true, academies: []string{"beta"}},           // a group
	)
	ev := serviceEvent(t, s, status.KindOutage, "ent-shared", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	rows := waitSettled(t, s, ev)

	if got, want := f.chats(), []int64{-100, 1, 2, 5}; !slices.Equal(got, want) {
		t.Errorf("outage sent to %v, want %v", got, want)
	}
	var posts []string
	for _, m := range f.all() {
		if m.channel != "" {
			posts = append(posts, m.channel)
		}
	}
	if !slices.Equal(posts, []string{"@ent_alpha"}) {
		t.Errorf("channel posts %v, want one to @ent_alpha", posts)
	}
	if len(rows) != 5 {
		t.Errorf("%d delivery rows, want 4 chats + 1 channel: %+v", len(rows), rows)
	}
	for _, m := range f.all() {
		if m.chat == 2 && (!strings.Contains(m.text, "Alpha") || !strings.Contains(m.text, "Bêta") || strings.Contains(m.text, "Gamma")) {
			t.Errorf("message to a parent of alpha, beta and gamma names %q; want alpha and beta only", m.text)
		}
	}
}

// TestNationalServiceReachesEveryoneOnce: the CNED concerns every
// subscriber whatever the académie, once, and every académie channel.
func TestNationalServiceReachesEveryoneOnce(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"), parent(2, "alpha", "beta", "gamma"), parent(3, "gamma"),
		person{id: 4, role: "parent", outage: true, academies: []string{"beta"}, inactive: true},
		person{id: 5, role: "parent", outage: true}) // no subscription: not a subscriber
	ev := serviceEvent(t, s, status.KindOutage, "cned", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	waitSettled(t, s, ev)
	if got, want := f.chats(), []int64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("national outage sent to %v, want %v", got, want)
	}
	if n := len(f.all()); n != 4 {
		t.Errorf("%d messages, want 3 chats + the alpha channel", n)
	}
}

// TestClassMembersGetThePlanB: a pupil who follows no académie but is in
// an open class of an affected académie hears the outage with the plan B;
// members of a closed class do not.
func TestClassMembersGetThePlanB(t *testing.T) {
	ctx := context.Background()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, person{id: 10, role: "enseignant", outage: true, recovery: true},
		person{id: 11, role: "eleve", outage: true, recovery: true},
		person{id: 12, role: "eleve", outage: true, recovery: true})
	open, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Class, error) {
		return tx.CreateClass(ctx, storage.NewClass{Code: "4B-2021", Name: "4e B", Academie: "alpha",
			OwnerChatID: 10, PlanB: "Exercices p. 42 <b>du manuel</b>"})
	})
	if err != nil {
		t.Fatal(err)
	}
	closed, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Class, error) {
		return tx.CreateClass(ctx, storage.NewClass{Code: "OLD", Name: "Ancienne", Academie: "alpha", OwnerChatID: 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{s.Update(ctx, func(tx *storage.Tx) error { return tx.JoinClass(ctx, open.ID, 11) }), s.Update(ctx, func(tx *storage.Tx) error { return tx.JoinClass(ctx, closed.ID, 12) }), s.Update(ctx, func(tx *storage.Tx) error { return tx.CloseClass(ctx, closed.ID) })} {
		if step != nil {
			t.Fatal(step)
		}
	}
	ev := serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	waitSettled(t, s, ev)
	if got := f.chats(); !slices.Equal(got, []int64{11}) {
		t.Fatalf("outage sent to %v, want the open class's member 11 only", got)
	}
	for _, m := range f.all() {
		if m.chat == 11 && !strings.Contains(m.text, "Exercices p. 42 &lt;b&gt;du manuel&lt;/b&gt;") {
			t.Errorf("message %q lacks the escaped plan B", m.text)
		}
	}
}

// TestAnnouncementClassNoticeAndReply covers the bot's audiences.
func TestAnnouncementClassNoticeAndReply(t *testing.T) {
	ctx := context.Background()
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"), parent(2, "beta"), person{id: 3, role: "eleve", inactive: true})
	class, err := storagetest.Do(s.Update, ctx, func(tx *storage.Tx) (storage.Class, error) {
		return tx.CreateClass(ctx, storage.NewClass{Code: "C1", Name: "CM2", Academie: "beta", OwnerChatID: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx *storage.Tx) error { return tx.JoinClass(ctx, class.ID, 1) }); err != nil {
		t.Fatal(err)
	}
	msg := func(text string) string { return `{"text":"` + text + `"}` }
	ids := []int64{
		insertEvent(t, s, storage.NewEvent{DedupKey: "a1", Kind: status.KindAnnouncement, Priority: 1, Audience: status.AudienceAcademie("beta"), Payload: msg("annonce beta")}),
		insertEvent(t, s, storage.NewEvent{DedupKey: "a2", Kind: status.KindAnnouncement, Priority: 1, Audience: status.AudienceAll(), Payload: msg("annonce tous")}),
		insertEvent(t, s, storage.NewEvent{DedupKey: "n1", Kind: status.KindClassNotice, Priority: 1, Audience: status.AudienceClass(class.ID), Payload: msg("devoirs")}),
	}
	reply, err := storage.NewReply("reply:3:1", 3, storage.OutMessage{Text: "Vous êtes désabonné.", Params: map[string]string{"reply_markup": "{}"}})
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, insertEvent(t, s, reply))
	start(t, fastOptions(s, cat, f))
	for _, id := range ids {
		waitSettled(t, s, id)
	}
	got := map[string][]int64{}
	for _, m := range f.all() {
		got[m.text] = append(got[m.text], m.chat)
	}
	for text, want := range map[string][]int64{
		"annonce beta": {2}, "annonce tous": {1, 2}, "devoirs": {1}, "Vous êtes désabonné.": {3},
	} {
		slices.Sort(got[text])
		if !slices.Equal(got[text], want) {
			t.Errorf("%q sent to %v, want %v", text, got[text], want)
		}
	}
	for _, m := range f.all() {
		if m.chat == 3 && m.params["reply_markup"] != "{}" {
			t.Errorf("reply params %v, want the stored reply_markup", m.params)
		}
	}
}

// TestUnknownServiceEventIsDead: an event the catalog cannot place is
// abandoned with its reason, not retried forever.
func TestUnknownServiceEventIsDead(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	addPeople(t, s, parent(1, "alpha"))
	ev := serviceEvent(t, s, status.KindOutage, "ent-disparu", "up", "down", april6)
	start(t, fastOptions(s, cat, f))
	if e := waitEventState(t, s, ev, "dead"); !strings.Contains(e.DeadReason, "ent-disparu") {
		t.Errorf("dead reason %q does not name the service", e.DeadReason)
	}
	if n := len(f.all()); n != 0 {
		t.Errorf("%d messages sent for an unknown service", n)
	}
}
