package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestPurgeOutbox(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2021, 4, 6, 7, 30, 0, 0, time.UTC)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateOrUpdateChat(ctx, NewChat(1)); err != nil {
		t.Fatal(err)
	}
	insert := func(key, kind, service string, prio int, audience string) int64 {
		t.Helper()
		id, ok, err := s.InsertEvent(ctx, NewEvent{DedupKey: key, Kind: kind, Priority: prio, ServiceID: service,
			Audience: audience, Payload: "{}", At: now})
		if err != nil || !ok {
			t.Fatalf("insert %s: %v %v", key, ok, err)
		}
		return id
	}
	pending := insert("reply:1", KindReply, "", PriorityReply, AudienceChat(1))
	if _, err := s.ExpandStep(ctx, ExpandSpec{EventID: pending, ChatID: 1}); err != nil {
		t.Fatal(err)
	}
	olderOfA := insert("state:a:1", KindOutage, "svc-a", PriorityBulk, AudienceService("svc-a"))
	latestOfA := insert("state:a:2", KindRecovery, "svc-a", PriorityBulk, AudienceService("svc-a"))
	announcement := insert("annonce:1", KindAnnouncement, "", PriorityNotice, AudienceAll)
	for _, id := range []int64{olderOfA, latestOfA, announcement} {
		if err := s.MarkEventDead(ctx, id, "test"); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(40 * 24 * time.Hour)
	recent := insert("annonce:2", KindAnnouncement, "", PriorityNotice, AudienceAll)
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
	for _, tt := range []struct {
		name string
		id   int64
		kept bool
	}{
		{"event with a pending delivery", pending, true},
		{"older event of a service", olderOfA, false},
		{"latest event of a service", latestOfA, true},
		{"old settled announcement", announcement, false},
		{"recent event", recent, true},
	} {
		_, err := s.Event(ctx, tt.id)
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s: kept=%v (err %v), want kept=%v", tt.name, kept, err, tt.kept)
		}
	}
	rows, err := s.DeliveriesOf(ctx, pending)
	if err != nil || len(rows) != 1 {
		t.Fatalf("the pending delivery: %v, %v", rows, err)
	}
}
