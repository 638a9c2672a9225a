package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// fillOutbox writes, in one transaction, chats 1..chats and events of the
// given lane, each with a payload of payloadBytes bytes and a delivery to
// each chat in [0, perEvent) (chat ids offset by the event). It writes raw
// rows, in SQL both engines speak: the size of the outbox does not depend
// on how they came.
func fillOutbox(t testing.TB, s *Store, chats, events, perEvent, priority, payloadBytes int) {
	t.Helper()
	ctx := context.Background()
	err := s.write(ctx, func(tx *dbTx) error {
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO chats (chat_id, created_at, updated_at) SELECT i, 0, 0 FROM n WHERE true
			ON CONFLICT DO NOTHING`, chats); err != nil {
			return err
		}
		var first int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM events`).Scan(&first); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 - 1)
			INSERT INTO events (id, dedup_key, kind, priority, payload, at, created_at)
			SELECT CAST(?2 AS BIGINT) + i, 'size-' || (CAST(?2 AS BIGINT) + i), 'reply', CAST(?3 AS BIGINT), ?4, 0, 0 FROM n`,
			events, first, priority, strings.Repeat("é", payloadBytes/2)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
			INSERT INTO deliveries (event_id, chat_id, priority, next_attempt_at, created_at)
			SELECT e.id, (e.id + n.i) % ? + 1, e.priority, 0, 0 FROM events e, n WHERE e.id >= ?`,
			perEvent, chats, first)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutboxSize counts rows and payload bytes (not characters) by lane.
func TestOutboxSize(t *testing.T) { engines(t, testOutboxSize) }

func testOutboxSize(t *testing.T, s *Store) {
	ctx := context.Background()
	if got, err := s.OutboxSize(ctx); err != nil || got != [3]LaneSize{} {
		t.Fatalf("empty outbox: OutboxSize = %+v, %v; want zeros", got, err)
	}
	fillOutbox(t, s, 50, 3, 1, PriorityReply, 1000)
	fillOutbox(t, s, 50, 1, 40, PriorityBulk, 200)
	if err := s.write(ctx, func(tx *dbTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO channel_posts (event_id, channel, academie, priority, next_attempt_at, created_at)
			SELECT id, '@ent_rennes', 'rennes', priority, 0, 0 FROM events WHERE priority = ?`, PriorityBulk)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.OutboxSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := [3]LaneSize{
		PriorityReply: {Events: 3, Deliveries: 3, PayloadBytes: 3000},
		PriorityBulk:  {Events: 1, Deliveries: 40, ChannelPosts: 1, PayloadBytes: 200},
	}
	if got != want {
		t.Errorf("OutboxSize = %+v, want %+v", got, want)
	}
	if depth, err := s.OutboxDepth(ctx); err != nil || depth != [3]int{PriorityReply: 3, PriorityBulk: 41} {
		t.Errorf("OutboxDepth = %v, %v; want 3 replies and 41 bulk rows pending", depth, err)
	}
}

// BenchmarkOutboxSize reads the size of an outbox of 100,000 delivery
// rows (a national outage to 90,000 chats and 10,000 replies of 1 KB): what
// each scrape of /metrics costs.
func BenchmarkOutboxSize(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fillOutbox(b, s, 90_000, 1, 90_000, PriorityBulk, 2000)
	fillOutbox(b, s, 90_000, 10_000, 1, PriorityReply, 1000)
	size, err := s.OutboxSize(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if n := size[PriorityBulk].Deliveries + size[PriorityReply].Deliveries; n != 100_000 {
		b.Fatalf("%d deliveries, want 100,000", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.OutboxSize(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
