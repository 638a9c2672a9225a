package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage/storagetest"
)

func seedClass(t *testing.T, s *Store) Class {
	t.Helper()
	var c Class
	inTx(t, s, func(ctx context.Context, tx *Tx) error {
		for _, id := range []int64{10, 11, 12} {
			if err := tx.CreateOrUpdateChat(ctx, NewChat(id)); err != nil {
				return err
			}
		}
		var err error
		c, err = tx.CreateClass(ctx, NewClass{Code: "ABCD2345", Name: "6e B", Academie: "versailles", OwnerChatID: 10})
		if err != nil {
			return err
		}
		for _, m := range []int64{11, 12} {
			if err := tx.JoinClass(ctx, c.ID, m); err != nil {
				return err
			}
		}
		return tx.SetPlanB(ctx, c.ID, "Exercices p. 12")
	})
	return c
}

// insertNotice inserts ev as a notice to class c, sent by its owner, and
// records the notice under the class's name, as the bot does when a
// teacher writes to the class; it returns the event's id.
func insertNotice(t *testing.T, s *Store, c Class, ev NewEvent) int64 {
	t.Helper()
	ev.Kind, ev.Audience = status.KindClassNotice, status.AudienceClass(c.ID)
	var evID int64
	inTx(t, s, func(ctx context.Context, tx *Tx) error {
		var err error
		if evID, _, err = tx.InsertEvent(ctx, ev); err != nil {
			return err
		}
		return tx.RecordNotice(ctx, NewNotice{EventID: evID, SenderChatID: c.OwnerChatID, ClassID: c.ID, Label: c.Name})
	})
	return evID
}

func TestClassLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		c := seedClass(t, s)
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.CreateClass(ctx, NewClass{Code: "ABCD2345", Name: "x", Academie: "lille", OwnerChatID: 10}); !errors.Is(err, ErrCodeTaken) {
				t.Errorf("duplicate code: %v, want ErrCodeTaken", err)
			}
			owned, err := tx.OwnedClasses(ctx, 10)
			if err != nil || len(owned) != 1 || owned[0].Members != 2 || owned[0].PlanB != "Exercices p. 12" {
				t.Errorf("owned = %+v, %v", owned, err)
			}
			joined, err := tx.JoinedClasses(ctx, 11)
			if err != nil || len(joined) != 1 || joined[0].Code != "ABCD2345" {
				t.Errorf("joined = %+v, %v", joined, err)
			}
			if ok, err := tx.LeaveClass(ctx, c.ID, 11); !ok || err != nil {
				t.Errorf("leave = %v, %v", ok, err)
			}
			if ok, _ := tx.LeaveClass(ctx, c.ID, 11); ok {
				t.Error("left twice")
			}
			if n, _ := tx.MemberCount(ctx, c.ID); n != 1 {
				t.Errorf("members = %d, want 1", n)
			}
			return nil
		})
	})
}

func TestCloseClassWipesTexts(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		c := seedClass(t, s)
		ctx := context.Background()
		evID := insertNotice(t, s, c, NewEvent{DedupKey: "n1", Priority: PriorityNotice, Payload: `{"text":"secret"}`})
		inTx(t, s, func(ctx context.Context, tx *Tx) error { return tx.CloseClass(ctx, c.ID) })
		got, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByCode(ctx, c.Code) })
		if err != nil || got.ClosedAt.IsZero() || got.PlanB != "" {
			t.Fatalf("after close: %+v, %v", got, err)
		}
		if _, err := s.Event(ctx, evID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("notice event kept after close: %v", err)
		}
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if n, _ := tx.MemberCount(ctx, c.ID); n != 0 {
				t.Errorf("members after close = %d", n)
			}
			if n, _ := tx.NoticesSince(ctx, c.ID, time.Time{}); n != 0 {
				t.Errorf("notices after close = %d", n)
			}
			return nil
		})
	})
}

func TestForgetChatErasesEverything(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		c := seedClass(t, s)
		ctx := context.Background()
		var notice, reply int64
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			var err error
			if err = tx.Subscribe(ctx, 10, "versailles"); err != nil {
				return err
			}
			notice, _, err = tx.InsertEvent(ctx, NewEvent{DedupKey: "n", Kind: status.KindClassNotice, Priority: 1, Audience: status.AudienceClass(c.ID)})
			if err != nil {
				return err
			}
			r, _ := NewReply("r", 10, OutMessage{Text: "Bonjour"})
			reply, _, err = tx.InsertEvent(ctx, r)
			if err != nil {
				return err
			}
			return tx.CreateConfirmation(ctx, Confirmation{ID: "q", ChatID: 10, UserID: 10, Kind: ConfirmForget,
				ExpiresAt: fixedNow().Add(time.Hour)})
		})
		inTx(t, s, func(ctx context.Context, tx *Tx) error { return tx.ForgetChat(ctx, 10) })
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Chat, error) { return tx.Chat(ctx, 10) }); !errors.Is(err, ErrNotFound) {
			t.Errorf("chat kept: %v", err)
		}
		if subs, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]string, error) { return tx.subscriptions(ctx, 10) }); len(subs) != 0 {
			t.Errorf("subscriptions kept: %v", subs)
		}
		if _, err := storagetest.Do(s.Update, ctx, func(tx *Tx) (Class, error) { return tx.ClassByCode(ctx, c.Code) }); !errors.Is(err, ErrNotFound) {
			t.Errorf("owned class kept: %v", err)
		}
		for _, id := range []int64{notice, reply} {
			if _, err := s.Event(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("event %d kept: %v", id, err)
			}
		}
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.TakeConfirmation(ctx, "q"); !errors.Is(err, ErrNotFound) {
				t.Errorf("confirmation kept: %v", err)
			}
			if _, err := tx.Chat(ctx, 11); err != nil {
				t.Errorf("a member was erased with the teacher: %v", err)
			}
			return nil
		})
	})
}

func TestNoticeQuotaAndReport(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		c := seedClass(t, s)
		ctx := context.Background()
		evID := insertNotice(t, s, c, NewEvent{DedupKey: "n", Priority: 1})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			if n, _ := tx.NoticesSince(ctx, c.ID, fixedNow().Add(-24*time.Hour)); n != 1 {
				t.Errorf("notices today = %d, want 1", n)
			}
			if n, _ := tx.NoticesSince(ctx, c.ID, fixedNow().Add(time.Minute)); n != 0 {
				t.Errorf("notices after now = %d, want 0", n)
			}
			return nil
		})
		if got, _ := s.SettledNotices(ctx); len(got) != 0 {
			t.Fatalf("a notice not yet expanded is settled: %+v", got)
		}
		if _, err := s.ExpandStep(ctx, ExpandSpec{EventID: evID, ClassID: c.ID}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SettledNotices(ctx); len(got) != 0 {
			t.Fatalf("a notice with pending deliveries is settled: %+v", got)
		}
		cl, err := s.SettleAndClaim(ctx, nil, 10, ClaimFilter{}, time.Minute)
		claimed := cl.Deliveries
		if err != nil || len(claimed) != 2 {
			t.Fatalf("claimed %d, %v", len(claimed), err)
		}
		results := []DeliveryResult{{Delivery: claimed[0], Outcome: OutcomeSent, MessageID: 1},
			{Delivery: claimed[1], Outcome: OutcomeUndeliverable, Error: "blocked"}}
		if _, err := s.SettleAndClaim(ctx, results, 0, ClaimFilter{}, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err := s.SettledNotices(ctx)
		if err != nil || len(got) != 1 || got[0].Sent != 1 || got[0].Recipients != 2 || got[0].Label != "6e B" {
			t.Fatalf("settled = %+v, %v", got, err)
		}
		r, _ := NewReply("report:1", 10, OutMessage{Text: "reçu par 1"})
		if ok, err := s.ReportNotice(ctx, got[0].ID, r); !ok || err != nil {
			t.Fatalf("report = %v, %v", ok, err)
		}
		if ok, _ := s.ReportNotice(ctx, got[0].ID, r); ok {
			t.Fatal("reported twice")
		}
		if left, _ := s.SettledNotices(ctx); len(left) != 0 {
			t.Fatalf("still to report: %+v", left)
		}
	})
}
