package storage

import (
	"context"
	"errors"
	"testing"
	"time"
)

// rowClaim is a delivery row's state and the fence that claimed it.
func rowClaim(t *testing.T, s *Store, eventID, chatID int64) (state string, fence int64) {
	t.Helper()
	err := s.r.QueryRowContext(context.Background(), `SELECT state, claim_fence FROM deliveries WHERE event_id = ? AND chat_id = ?`,
		eventID, chatID).Scan(&state, &fence)
	if err != nil {
		t.Fatal(err)
	}
	return state, fence
}

// sentResults are the outcomes "sent" of claimed deliveries.
func sentResults(ds []Delivery) []DeliveryResult {
	rs := make([]DeliveryResult, len(ds))
	for i, d := range ds {
		rs[i] = DeliveryResult{Delivery: d, Outcome: OutcomeSent, MessageID: 7}
	}
	return rs
}

// TestFencedClaim: a claim checks the lease in the database. A deposed
// leader that still believes it leads claims nothing and takes nothing
// back; it is told not to send a row the next leader claimed again; its
// late outcome is recorded where nobody took the row back, and
// changes nothing where the next leader did; the next leader takes back
// the rows of the older fence and sends them.
func TestFencedClaim(t *testing.T) { engines(t, testFencedClaim) }

func testFencedClaim(t *testing.T, s *Store) {
	ctx := context.Background()
	l := Lease{DB: s.w, Engine: s.engine}
	addChats(t, s, "alpha", 1, 2, 3, 4)
	ev := expandAll(t, s, outage("o-fence"), ExpandSpec{Academies: []string{"alpha"}})
	a := acquire(t, l, "a", time.Minute)
	fa := ClaimFilter{Lease: "leader", Fence: a.Fence}
	byA, err := s.SettleAndClaim(ctx, nil, 2, fa, time.Minute)
	if err != nil || len(byA.Deliveries) != 2 {
		t.Fatalf("a's claim: %+v, %v; want 2 rows", byA, err)
	}
	for _, d := range byA.Deliveries {
		if state, fence := rowClaim(t, s, ev, d.ChatID); d.Fence != a.Fence || state != "inflight" || fence != a.Fence {
			t.Errorf("chat %d claimed with fence %d, row %s under fence %d; want fence %d, inflight", d.ChatID, d.Fence, state, fence, a.Fence)
		}
	}
	if _, err := s.SettleAndClaim(ctx, nil, 2, ClaimFilter{Lease: "leader", Fence: a.Fence + 1}, time.Minute); !errors.Is(err, ErrNotLeader) {
		t.Errorf("claim with a fence not the lease's: %v, want ErrNotLeader", err)
	}

	// a is deposed (its lease ran out) but believes it leads: its claim is
	// refused, yet its outcome for a row nobody took back is recorded.
	if _, err := l.Release(ctx, "leader", "a"); err != nil {
		t.Fatal(err)
	}
	first, second := byA.Deliveries[0], byA.Deliveries[1]
	got, err := s.SettleAndClaim(ctx, sentResults([]Delivery{first}), 2, fa, time.Minute)
	if !errors.Is(err, ErrNotLeader) || len(got.Deliveries) != 0 {
		t.Fatalf("claim after the lease ran out: %+v, %v; want nothing and ErrNotLeader", got, err)
	}
	if state, _ := rowClaim(t, s, ev, first.ChatID); state != "sent" {
		t.Errorf("a's outcome for chat %d, a row nobody took back: %s, want sent", first.ChatID, state)
	}

	b := acquire(t, l, "b", time.Minute)
	if _, err := s.Reclaim(ctx, "leader", a.Fence); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a's reclaim while b leads: %v, want ErrNotLeader", err)
	}
	if n, err := s.Reclaim(ctx, "leader", b.Fence); err != nil || n != 1 {
		t.Fatalf("b's reclaim: %d rows, %v; want a's other row", n, err)
	}
	fb := ClaimFilter{Lease: "leader", Fence: b.Fence}
	byB, err := s.SettleAndClaim(ctx, nil, 4, fb, time.Minute)
	if err != nil || len(byB.Deliveries) != 3 {
		t.Fatalf("b's claim: %+v, %v; want the 3 rows not sent", byB, err)
	}

	// a, about to send the row b claimed again, is told to skip it.
	if _, skip, err := s.PrepareDelivery(ctx, second); err != nil || skip != "row claimed again" {
		t.Errorf("a prepares the row b claimed again: skip %q (%v), want %q", skip, err, "row claimed again")
	}
	// a's late outcome for the row b claimed again changes nothing.
	if _, err := s.SettleAndClaim(ctx, sentResults([]Delivery{second}), 1, fa, time.Minute); !errors.Is(err, ErrNotLeader) {
		t.Errorf("a's late settle and claim: %v, want ErrNotLeader", err)
	}
	if state, fence := rowClaim(t, s, ev, second.ChatID); state != "inflight" || fence != b.Fence {
		t.Errorf("chat %d after a's late outcome: %s under fence %d, want inflight under b's %d", second.ChatID, state, fence, b.Fence)
	}
	if _, err := s.SettleAndClaim(ctx, sentResults(byB.Deliveries), 0, fb, time.Minute); err != nil {
		t.Fatal(err)
	}
	for chat := int64(1); chat <= 4; chat++ {
		if state, _ := rowClaim(t, s, ev, chat); state != "sent" {
			t.Errorf("chat %d: %s, want sent", chat, state)
		}
	}
}

// TestReclaimExpired: a leader beginning its term takes back the rows
// whose lease ran out on the database's clock, even of its own fence, and
// leaves the others; without a lease (one process) every inflight row
// goes back.
func TestReclaimExpired(t *testing.T) { engines(t, testReclaimExpired) }

func testReclaimExpired(t *testing.T, s *Store) {
	ctx := context.Background()
	l := Lease{DB: s.w, Engine: s.engine}
	addChats(t, s, "alpha", 1, 2, 3)
	ev := expandAll(t, s, outage("o-expired"), ExpandSpec{Academies: []string{"alpha"}})
	a := acquire(t, l, "a", time.Minute)
	f := ClaimFilter{Lease: "leader", Fence: a.Fence}
	gone, err := s.SettleAndClaim(ctx, nil, 1, f, -time.Second) // its lease ran out at once
	if err != nil || len(gone.Deliveries) != 1 {
		t.Fatalf("claim: %+v, %v", gone, err)
	}
	kept, err := s.SettleAndClaim(ctx, nil, 1, f, time.Minute)
	if err != nil || len(kept.Deliveries) != 1 {
		t.Fatalf("claim: %+v, %v", kept, err)
	}
	if n, err := s.Reclaim(ctx, "leader", a.Fence); err != nil || n != 1 {
		t.Fatalf("reclaim: %d rows, %v; want the one whose lease ran out", n, err)
	}
	if state, _ := rowClaim(t, s, ev, gone.Deliveries[0].ChatID); state != "pending" {
		t.Errorf("the row whose lease ran out is %s, want pending", state)
	}
	if state, _ := rowClaim(t, s, ev, kept.Deliveries[0].ChatID); state != "inflight" {
		t.Errorf("the row still leased is %s, want inflight", state)
	}
	if n, err := s.ResetInflight(ctx); err != nil || n != 1 {
		t.Errorf("reset without a lease: %d rows, %v; want the one inflight", n, err)
	}
}

// TestSendPause: a pause is recorded as an instant on the database's
// clock and read back as what is left of it; a shorter one does not cut
// it short.
func TestSendPause(t *testing.T) { engines(t, testSendPause) }

func testSendPause(t *testing.T, s *Store) {
	ctx := context.Background()
	if left, err := s.SendsPaused(ctx); err != nil || left != 0 {
		t.Fatalf("no pause recorded: %v left (%v), want 0", left, err)
	}
	for _, d := range []time.Duration{30 * time.Second, 10 * time.Second} {
		if err := s.PauseSends(ctx, d); err != nil {
			t.Fatal(err)
		}
		// The store's own clock is fixed in 2021: what is left is read on
		// the database's, a few milliseconds after the write.
		if left, err := s.SendsPaused(ctx); err != nil || left <= 25*time.Second || left > 30*time.Second {
			t.Errorf("after a pause of %v: %v left (%v), want the 30 s pause's, a little under 30 s", d, left, err)
		}
	}
}

// TestClaimSkipsLockedRows: on PostgreSQL a claim passes over the rows
// another transaction has locked instead of waiting for them (FOR UPDATE
// SKIP LOCKED). SQLite's one writer leaves no row to another.
func TestClaimSkipsLockedRows(t *testing.T) {
	ctx := context.Background()
	s := openPostgresTest(t)
	addChats(t, s, "alpha", 1, 2, 3)
	ev := expandAll(t, s, outage("o-locked"), ExpandSpec{Academies: []string{"alpha"}})
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM deliveries WHERE event_id = $1 AND chat_id = 1 FOR UPDATE`, ev); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := s.SettleAndClaim(short, nil, 3, ClaimFilter{}, time.Minute)
	if err != nil {
		t.Fatalf("claim beside a locked row: %v", err)
	}
	if n := len(got.Deliveries); n != 2 || got.Deliveries[0].ChatID == 1 || got.Deliveries[1].ChatID == 1 {
		t.Errorf("claimed %+v, want chats 2 and 3, not the locked 1", got.Deliveries)
	}
}
