package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
)

// chatRange is the ids from..to.
func chatRange(from, to int64) []int64 {
	var ids []int64
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	return ids
}

// countByEvent counts claimed rows per event.
func countByEvent(ds []Delivery) map[int64]int {
	m := map[int64]int{}
	for _, d := range ds {
		m[d.EventID]++
	}
	return m
}

// TestClaimBulkRoundRobinByEvent: a small outage expanded after a large
// one gets its first rows in the very next claim, the two events sharing
// the claim in turn, and the turn goes on from where the last claim left.
func TestClaimBulkRoundRobinByEvent(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		addChats(t, s, "alpha", chatRange(1, 2000)...)
		addChats(t, s, "beta", chatRange(5001, 5003)...)
		national := expandAll(t, s, outage("o-national"), ExpandSpec{Academies: []string{"alpha"}, ChunkSize: 500})
		late := expandAll(t, s, NewEvent{DedupKey: "o-ent", Kind: status.KindOutage, Priority: PriorityBulk, ServiceID: "ent-b",
			Audience: status.AudienceService("ent-b"), ToState: status.Down}, ExpandSpec{Academies: []string{"beta"}})

		got, err := s.SettleAndClaim(ctx, nil, 4, ClaimFilter{}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if n := countByEvent(got.Deliveries); n[late] != 2 || n[national] != 2 {
			t.Fatalf("first claim of 4: %v rows per event, want 2 of the late outage %d and 2 of the national %d",
				n, late, national)
		}
		// Oldest first within an event: the national outage's first chats.
		for _, d := range got.Deliveries {
			if d.EventID == national && d.ChatID > 2 {
				t.Errorf("claimed chat %d of the national outage, want its oldest rows (chats 1 and 2)", d.ChatID)
			}
		}
		// One row: the turn after the late outage is the national one's, and
		// after the national one the late one's.
		for _, tc := range []struct {
			after int64
			want  int64
		}{{late, national}, {national, late}} {
			got, err := s.SettleAndClaim(ctx, nil, 1, ClaimFilter{AfterEvent: tc.after}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Deliveries) != 1 || got.Deliveries[0].EventID != tc.want {
				t.Errorf("claim of 1 after event %d: %+v, want a row of event %d", tc.after, got.Deliveries, tc.want)
			}
		}
	})
}

// TestClaimBulkShare: the bulk lane's share is claimed before replies, the
// rest goes to replies; either lane takes the whole claim when the other
// has nothing due.
func TestClaimBulkShare(t *testing.T) {
	tests := []struct {
		name              string
		replies, bulk     int // due rows of each lane
		share, want       int
		wantReply, wantBk int
	}{
		{name: "both due, half each", replies: 20, bulk: 20, share: 5, want: 10, wantReply: 5, wantBk: 5},
		{name: "no share: replies first", replies: 20, bulk: 20, share: 0, want: 10, wantReply: 10, wantBk: 0},
		{name: "few replies: bulk takes the rest", replies: 2, bulk: 20, share: 5, want: 10, wantReply: 2, wantBk: 8},
		{name: "no bulk: replies take all", replies: 20, bulk: 0, share: 5, want: 10, wantReply: 10, wantBk: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			engines(t, func(t *testing.T, s *Store) {
				ctx := context.Background()
				addChats(t, s, "alpha", chatRange(1, int64(tc.bulk))...)
				addChats(t, s, "gamma", chatRange(1001, 1000+int64(tc.replies))...)
				if tc.bulk > 0 {
					expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha"}})
				}
				for i := range tc.replies {
					chat := int64(1001 + i)
					expandAll(t, s, NewEvent{DedupKey: fmt.Sprintf("r%d", i), Kind: status.KindReply, Priority: PriorityReply,
						Audience: status.AudienceChat(chat)}, ExpandSpec{ChatID: chat})
				}
				got, err := s.SettleAndClaim(ctx, nil, tc.want, ClaimFilter{Bulk: tc.share}, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				replies, bulk := 0, 0
				for _, d := range got.Deliveries {
					if d.Priority == PriorityBulk {
						bulk++
					} else {
						replies++
					}
				}
				if replies != tc.wantReply || bulk != tc.wantBk {
					t.Errorf("claimed %d replies and %d bulk rows, want %d and %d", replies, bulk, tc.wantReply, tc.wantBk)
				}
			})
		})
	}
}

// TestClaimBulkUsesTheIndex: finding the events with due rows and reading
// one event's rows are index searches, not scans of the outbox.
func TestClaimBulkUsesTheIndex(t *testing.T) {
	s := openTest(t)
	for _, q := range []string{
		`SELECT next_attempt_at, event_id FROM deliveries WHERE state = 'pending' AND priority = 2 AND next_attempt_at <= 1
			AND (next_attempt_at, event_id) > (0, 0) ORDER BY next_attempt_at, event_id LIMIT 1`,
		`SELECT d.chat_id FROM deliveries d INDEXED BY deliveries_due JOIN chats c ON c.chat_id = d.chat_id
			WHERE d.state = 'pending' AND d.priority = 2 AND d.next_attempt_at BETWEEN 0 AND 1 AND d.event_id = 1
			ORDER BY d.next_attempt_at, d.event_id LIMIT 5`,
	} {
		all := strings.Join(queryPlan(t, s, q), "; ")
		if !strings.Contains(all, "INDEX deliveries_due (priority=? AND") ||
			strings.Contains(all, "TEMP B-TREE") {
			t.Errorf("plan %q, want a search of deliveries_due in its order", all)
		}
	}
}
