package bot

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestReportLoopTellsTheSender runs the report loop on a fake clock: once
// a notice's deliveries are settled, its sender gets « reçu par N » within
// one interval, once, and expired previews are purged.
func TestReportLoopTellsTheSender(t *testing.T) {
	cat := defaultCatalog(t)
	dbPath := filepath.Join(t.TempDir(), "r.db")
	store, err := storage.Open(context.Background(), dbPath, func() time.Time { return testNow })
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	err = store.Update(ctx, func(tx *storage.Tx) error {
		return errors.Join(tx.CreateOrUpdateChat(ctx, storage.NewChat(1)), tx.CreateOrUpdateChat(ctx, storage.NewChat(2)))
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = store.ApplyUpdates(ctx, 1, func(tx *storage.Tx, _ int64) error {
		c, err := tx.CreateClass(ctx, storage.NewClass{Code: "ABCD2345", Name: "6e B", Academie: "versailles", OwnerChatID: 1})
		if err != nil {
			return err
		}
		if err := tx.JoinClass(ctx, c.ID, 2); err != nil {
			return err
		}
		id, _, err := tx.InsertEvent(ctx, storage.NewEvent{DedupKey: "n", Kind: status.KindClassNotice,
			Priority: storage.PriorityNotice, Audience: status.AudienceClass(c.ID), Payload: `{"text":"x"}`})
		if err != nil {
			return err
		}
		if err := tx.RecordNotice(ctx, storage.NewNotice{EventID: id, SenderChatID: 1, ClassID: c.ID, Label: c.Name}); err != nil {
			return err
		}
		return tx.CreateConfirmation(ctx, storage.Confirmation{ID: "old", ChatID: 1, UserID: 1,
			Kind: storage.ConfirmForget, ExpiresAt: testNow.Add(-time.Minute)})
	})
	if err != nil {
		t.Fatal(err)
	}
	(&testPump{t: t, store: store, cat: cat, render: NewRenderer(RendererOptions{Catalog: cat}),
		client: nil}).expandOnly(ctx)
	synctest.Test(t, func(t *testing.T) {
		woken, start := 0, time.Now()
		clock := func() time.Time { return testNow.Add(time.Since(start)) }
		b := &Bot{store: store, cat: cat, log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), now: clock,
			opt: Options{ReportInterval: 5 * time.Second, Wake: func() { woken++ }}}
		loopCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { b.reportLoop(loopCtx); close(done) }()
		time.Sleep(6 * time.Second)
		if got, _ := repliesTo(ctx, store, dbPath, 1); len(got) != 0 {
			t.Errorf("reported before the deliveries were settled: %d replies", len(got))
		}
		settleAll(t, store)
		time.Sleep(5 * time.Second)
		time.Sleep(5 * time.Second)
		cancel()
		<-done
		got, _ := repliesTo(ctx, store, dbPath, 1)
		if len(got) != 1 || woken != 1 {
			t.Fatalf("%d reports, %d wakes; want 1 and 1", len(got), woken)
		}
		msg, _ := got[0].ReplyMessage()
		if want := "📬 Votre message à la classe <b>6e B</b> a été reçu par 1 membre sur 1."; msg.Text != want {
			t.Errorf("report = %q, want %q", msg.Text, want)
		}
	})
	if n, _ := store.PurgeConfirmations(ctx, testNow); n != 0 {
		t.Errorf("the loop left %d expired previews", n)
	}
}

// settleAll marks every pending delivery sent, as if Telegram accepted
// them all.
func settleAll(t *testing.T, store *storage.Store) {
	t.Helper()
	ctx := context.Background()
	cl, err := store.SettleAndClaim(ctx, nil, 100, storage.ClaimFilter{}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var res []storage.DeliveryResult
	for _, d := range cl.Deliveries {
		res = append(res, storage.DeliveryResult{Delivery: d, Outcome: storage.OutcomeSent, MessageID: 1})
	}
	if _, err := store.SettleAndClaim(ctx, res, 0, storage.ClaimFilter{}, time.Minute); err != nil {
		t.Fatal(err)
	}
}
