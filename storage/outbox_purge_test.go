package storage

import (
	"context"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage/storagetest"
)

func TestPurgeOutbox(t *testing.T) { engines(t, testPurgeOutbox) }

func testPurgeOutbox(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC)
	onClock(t, s, &now, 1)
	insert := func(key string, kind status.Kind, service string, prio int, audience status.Audience) int64 {
		t.Helper()
		id, ok, err := insertOne(ctx, s, NewEvent{DedupKey: key, Kind: kind, Priority: prio, ServiceID: service,
			Audience: audience, Payload: "{}", At: now})
		if err != nil || !ok {
			t.Fatalf("insert %s: %v %v", key, ok, err)
		}
		return id
	}
	pending := insert("reply:1", status.KindReply, "", PriorityReply, status.AudienceChat(1))
	if _, err := s.ExpandStep(ctx, ExpandSpec{EventID: pending, ChatID: 1}); err != nil {
		t.Fatal(err)
	}
	olderOfA := insert("state:a:1", status.KindOutage, "svc-a", PriorityBulk, status.AudienceService("svc-a"))
	latestOfA := insert("state:a:2", status.KindRecovery, "svc-a", PriorityBulk, status.AudienceService("svc-a"))
	announcement := insert("annonce:1", status.KindAnnouncement, "", PriorityNotice, status.AudienceAll())
	for _, id := range []int64{olderOfA, latestOfA, announcement} {
		if err := s.MarkEventDead(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(40 * 24 * time.Hour)
	recent := insert("annonce:2", status.KindAnnouncement, "", PriorityNotice, status.AudienceAll())
	if err := s.MarkEventDead(ctx, recent, "test"); err != nil {
		t.Fatal(err)
	}

	n, err := s.PurgeOutbox(ctx, now.Add(-OutboxRetention), 100)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("purged %d events, want 2 (the older event of svc-a and the old announcement)", n)
	}
	wantKept(t, s, []keptCase{
		{"event with a pending delivery", pending, true},
		{"older event of a service", olderOfA, false},
		{"latest event of a service", latestOfA, true},
		{"old settled announcement", announcement, false},
		{"recent event", recent, true},
	})
	rows, err := storagetest.DeliveriesIn(ctx, s.r.DB, pending)
	if err != nil || len(rows) != 1 {
		t.Fatalf("the pending delivery: %v, %v", rows, err)
	}
}

// TestPurgeReplies: settled replies go after ReplyRetention, not 30 days;
// a reply still to send, a recent one and other kinds of event stay.
func TestPurgeReplies(t *testing.T) { engines(t, testPurgeReplies) }

func testPurgeReplies(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC)
	onClock(t, s, &now, 1, 2)
	reply := func(key string, chat int64) int64 {
		t.Helper()
		ev, err := NewReply(key, chat, OutMessage{Text: "Abonné."})
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := insertOne(ctx, s, ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ExpandStep(ctx, ExpandSpec{EventID: id, ChatID: chat}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	sent := reply("u1:0", 1)
	unsent := reply("u2:0", 2)
	claimed, err := s.SettleAndClaim(ctx, nil, 10, ClaimFilter{ChatBusy: func(c int64) bool { return c == 2 }}, time.Minute)
	if err != nil || len(claimed.Deliveries) != 1 {
		t.Fatalf("claim: %v %v", claimed.Deliveries, err)
	}
	if _, err := s.SettleAndClaim(ctx, []DeliveryResult{{Delivery: claimed.Deliveries[0], Outcome: OutcomeSent, MessageID: 7}},
		0, ClaimFilter{}, time.Minute); err != nil {
		t.Fatal(err)
	}
	announcement, _, err := insertOne(ctx, s, NewEvent{DedupKey: "annonce:1", Kind: status.KindAnnouncement,
		Priority: PriorityNotice, Audience: status.AudienceAll(), At: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkEventDead(ctx, announcement, "test"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(ReplyRetention + time.Minute)
	recent := reply("u3:0", 1)

	n, err := s.PurgeReplies(ctx, now.Add(-ReplyRetention), 100)
	if err != nil || n != 1 {
		t.Fatalf("purged %d replies (%v), want 1: the old sent one", n, err)
	}
	wantKept(t, s, []keptCase{
		{"old sent reply", sent, false},
		{"old reply not sent yet", unsent, true},
		{"recent reply", recent, true},
		{"old announcement", announcement, true},
	})
}

// keptCase is an event a purge must keep or delete.
type keptCase struct {
	name string
	id   int64
	kept bool
}

func wantKept(t *testing.T, s *Store, cases []keptCase) {
	t.Helper()
	for _, tt := range cases {
		_, err := s.Event(context.Background(), tt.id)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s: kept=%v (err %v), want kept=%v", tt.name, kept, err, tt.kept)
		}
	}
}

// onClock sets the store's clock to *now and adds the given chats.
func onClock(t *testing.T, s *Store, now *time.Time, chats ...int64) {
	t.Helper()
	s.now = func() time.Time { return *now }
	for _, chat := range chats {
		if err := s.Update(context.Background(), func(tx *Tx) error { return tx.CreateOrUpdateChat(context.Background(), NewChat(chat)) }); err != nil {
			t.Fatal(err)
		}
	}
}
