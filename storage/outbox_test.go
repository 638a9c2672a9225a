package storage

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage/storagetest"
)

func addChats(t *testing.T, s *Store, academie string, ids ...int64) {
	t.Helper()
	subs := make([]subscriber, len(ids))
	for i, id := range ids {
		subs[i] = subscriber{Chat: NewChat(id), Academies: []string{academie}}
	}
	if err := importSubscribers(context.Background(), s, subs); err != nil {
		t.Fatal(err)
	}
}

func mustInsert(t *testing.T, s *Store, e NewEvent) int64 {
	t.Helper()
	id, ok, err := insertOne(context.Background(), s, e)
	if err != nil || !ok {
		t.Fatalf("insert %+v: inserted=%v err=%v", e, ok, err)
	}
	return id
}

func outage(key string) NewEvent {
	return NewEvent{DedupKey: key, Kind: status.KindOutage, Priority: PriorityBulk, ServiceID: "ent",
		Audience: status.AudienceService("ent"), ToState: status.Down}
}

func TestInsertEventDedupAndValidation(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		id := mustInsert(t, s, outage("state:ent:down:1"))
		again, inserted, err := insertOne(ctx, s, outage("state:ent:down:1"))
		if err != nil || inserted || again != id {
			t.Errorf("second insert: id %d inserted %v err %v; want the first id %d, not inserted", again, inserted, err, id)
		}
		for name, e := range map[string]NewEvent{
			"no key":       {Kind: status.KindReply, Audience: status.AudienceChat(1)},
			"no audience":  {DedupKey: "k1", Kind: status.KindReply},
			"bad kind":     {DedupKey: "k2", Kind: "spam", Audience: status.AudienceAll()},
			"bad priority": {DedupKey: "k3", Kind: status.KindReply, Audience: status.AudienceAll(), Priority: 3},
			"no service":   {DedupKey: "k4", Kind: status.KindOutage, Audience: status.AudienceAll(), Priority: PriorityBulk},
		} {
			if _, _, err := insertOne(ctx, s, e); err == nil {
				t.Errorf("%s: accepted %+v", name, e)
			}
		}
	})
}

func TestApplyUpdateIsAtomicAndOnce(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		subscribe := func(tx *Tx, _ int64) error {
			if err := tx.CreateOrUpdateChat(ctx, NewChat(42)); err != nil {
				return err
			}
			if err := tx.Subscribe(ctx, 42, "versailles"); err != nil {
				return err
			}
			reply, err := NewReply("reply:42:7", 42, OutMessage{Text: "Abonné."})
			if err != nil {
				return err
			}
			_, _, err = tx.InsertEvent(ctx, reply)
			return err
		}
		if applied, err := s.ApplyUpdates(ctx, 1000, subscribe); err != nil || !applied {
			t.Fatalf("first apply: applied %v err %v", applied, err)
		}
		if applied, err := s.ApplyUpdates(ctx, 1000, func(*Tx, int64) error { t.Error("re-delivered update applied again"); return nil }); err != nil || applied {
			t.Errorf("re-delivery: applied %v err %v", applied, err)
		}
		boom := errors.New("boom")
		_, err := s.ApplyUpdates(ctx, 1001, func(tx *Tx, _ int64) error {
			if err := tx.Subscribe(ctx, 42, "paris"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failing update: err %v", err)
		}
		if last, err := s.LastUpdateID(ctx); err != nil || last != 1000 {
			t.Errorf("last update id %d (err %v), want 1000: a failed update is not recorded", last, err)
		}
		if subs, _ := storagetest.Do(s.Update, ctx, func(tx *Tx) ([]string, error) { return tx.subscriptions(ctx, 42) }); !slices.Equal(subs, []string{"versailles"}) {
			t.Errorf("subscriptions %v: the failed update's subscription must be rolled back", subs)
		}
		evs, err := s.NewEvents(ctx, 10)
		if err != nil || len(evs) != 1 || evs[0].Kind != status.KindReply {
			t.Fatalf("events %+v (err %v), want the one reply", evs, err)
		}
		if m, err := evs[0].ReplyMessage(); err != nil || m.Text != "Abonné." {
			t.Errorf("reply payload %+v (err %v)", m, err)
		}
	})
}

// TestExpandStepChunks expands in chunks over private (positive) and group
// (negative) ids, is idempotent when a step is replayed after a crash, and
// writes one row per chat whatever its number of subscriptions.
func TestExpandStepChunks(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		ids := []int64{-1009, -100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		addChats(t, s, "alpha", ids...)
		addChats(t, s, "beta", 1, 2, 3) // also follow beta
		addChats(t, s, "gamma", 50)     // not concerned
		id := mustInsert(t, s, outage("o1"))
		spec := ExpandSpec{EventID: id, Academies: []string{"alpha", "beta"}, Pref: PrefOutage, ChunkSize: 4}
		steps := 0
		for {
			p, err := s.ExpandStep(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			steps++
			if p.Done {
				break
			}
			if steps > 10 {
				t.Fatal("expansion does not end")
			}
		}
		if steps < 3 {
			t.Errorf("%d steps for 13 chats by 4: the expansion was not chunked", steps)
		}
		// A crash before the cursor moved: the step is replayed.
		if _, err := s.w.ExecContext(ctx, `UPDATE events SET state = 'new', expand_cursor = NULL WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		for p := (ExpandProgress{}); !p.Done; {
			var err error
			if p, err = s.ExpandStep(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if p.Inserted != 0 {
				t.Errorf("replayed step wrote %d rows", p.Inserted)
			}
		}
		rows, err := storagetest.DeliveriesIn(ctx, s.r.DB, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range rows {
			got = append(got, r.ChatID)
		}
		if !slices.Equal(got, ids) {
			t.Errorf("rows for %v, want %v", got, ids)
		}
	})
}

// TestClaimLanesAndOnePerChat: replies, then notices, then channel posts,
// then bulk; never two rows of one chat, nor a busy chat.
func TestClaimLanesAndOnePerChat(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		addChats(t, s, "alpha", 1, 2, 3)
		expand := func(e NewEvent, spec ExpandSpec) int64 {
			spec.EventID = mustInsert(t, s, e)
			if _, err := s.ExpandStep(ctx, spec); err != nil {
				t.Fatal(err)
			}
			return spec.EventID
		}
		bulk := expand(outage("o1"), ExpandSpec{Academies: []string{"alpha"},
			Channels: []ChannelTarget{{Channel: "@ent_alpha", Academie: "alpha"}}})
		notice := expand(NewEvent{DedupKey: "n", Kind: status.KindAnnouncement, Priority: PriorityNotice, Audience: status.AudienceAll()}, ExpandSpec{Everyone: true})
		reply := expand(NewEvent{DedupKey: "r", Kind: status.KindReply, Priority: PriorityReply, Audience: status.AudienceChat(3)}, ExpandSpec{ChatID: 3})

		got, err := s.SettleAndClaim(ctx, nil, 10, ClaimFilter{ChatBusy: func(id int64) bool { return id == 2 }}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		type claimed struct {
			event int64
			chat  int64
			ch    string
		}
		var order []claimed
		for _, d := range got.Deliveries {
			order = append(order, claimed{d.EventID, d.ChatID, d.Channel})
		}
		want := []claimed{{reply, 3, ""}, {notice, 1, ""}, {bulk, 0, "@ent_alpha"}}
		if !slices.Equal(order, want) {
			t.Errorf("claimed %v, want %v (chat 2 busy, one row per chat)", order, want)
		}
		// Settling frees chat 3 and 1: their next rows come in the next claim.
		var rs []DeliveryResult
		for _, d := range got.Deliveries {
			rs = append(rs, DeliveryResult{Delivery: d, Outcome: OutcomeSent, MessageID: 7})
		}
		got, err = s.SettleAndClaim(ctx, rs, 10, ClaimFilter{}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Deliveries); n != 3 {
			t.Errorf("second claim took %d rows, want 3 (notice to 2 and 3, outage to 1)", n)
		}
	})
}

// TestSettleIgnoresLateResults: only an inflight row takes an outcome, so
// a result that comes after the row moved on changes nothing.
func TestSettleIgnoresLateResults(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		addChats(t, s, "alpha", 1)
		id := expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha"}})
		got, err := s.SettleAndClaim(ctx, nil, 1, ClaimFilter{}, time.Minute)
		if err != nil || len(got.Deliveries) != 1 {
			t.Fatalf("claim %+v err %v", got, err)
		}
		d := got.Deliveries[0]
		for _, r := range []DeliveryResult{
			{Delivery: d, Outcome: OutcomeSent, MessageID: 9},
			{Delivery: d, Outcome: OutcomeRetry, Error: "late", RetryAt: time.Now()},
			{Delivery: d, Outcome: OutcomeFailed, Error: "late"},
		} {
			if _, err := s.SettleAndClaim(ctx, []DeliveryResult{r}, 0, ClaimFilter{}, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		rows, _ := storagetest.DeliveriesIn(ctx, s.r.DB, id)
		if len(rows) != 1 || rows[0].State != "sent" || rows[0].Attempts != 1 || rows[0].MessageID != 9 {
			t.Errorf("row %+v, want sent once with message 9", rows)
		}
	})
}

func TestSupersedeAndResetInflight(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		addChats(t, s, "alpha", 1, 2, 3)
		o := expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha"}})
		got, err := s.SettleAndClaim(ctx, nil, 2, ClaimFilter{}, time.Minute)
		if err != nil || len(got.Deliveries) != 2 {
			t.Fatalf("claim %+v err %v", got, err)
		}
		sentOne := DeliveryResult{Delivery: got.Deliveries[0], Outcome: OutcomeSent}
		if _, err := s.SettleAndClaim(ctx, []DeliveryResult{sentOne}, 0, ClaimFilter{}, time.Minute); err != nil {
			t.Fatal(err)
		}
		r := mustInsert(t, s, NewEvent{DedupKey: "r1", Kind: status.KindRecovery, Priority: PriorityBulk, ServiceID: "ent",
			Audience: status.AudienceService("ent"), FromState: status.Down, ToState: status.Up})
		ev, err := s.Event(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		sup, err := s.Supersede(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sup.Prior, []int64{o}) || sup.Inflight != 1 {
			t.Errorf("superseded %+v, want prior [%d] and one row in flight", sup, o)
		}
		if n, err := s.ResetInflight(ctx); err != nil || n != 1 {
			t.Errorf("reset %d rows (err %v), want 1", n, err)
		}
		states := map[string]int{}
		rows, _ := storagetest.DeliveriesIn(ctx, s.r.DB, o)
		for _, row := range rows {
			states[row.State]++
		}
		if states["sent"] != 1 || states["cancelled"] != 1 || states["pending"] != 1 {
			t.Errorf("outage rows %v, want 1 sent, 1 cancelled (was pending), 1 pending (was inflight)", states)
		}
	})
}

// TestPrepareDelivery reads a claimed delivery's recipient as one row
// (académies and open classes as JSON arrays) and skips it once a later
// event about the same service exists.
func TestPrepareDelivery(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		if err := importSubscribers(ctx, s, []subscriber{{Chat: NewChat(1), Academies: []string{"beta", "alpha"}}}); err != nil {
			t.Fatal(err)
		}
		addChats(t, s, "gamma", 2)
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			c, err := tx.CreateClass(ctx, NewClass{Code: "C", Name: "6e A", Academie: "alpha", OwnerChatID: 2, PlanB: "Manuel"})
			if err != nil {
				return err
			}
			return tx.JoinClass(ctx, c.ID, 1)
		})
		expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha", "gamma"}})
		got, err := s.SettleAndClaim(ctx, nil, 2, ClaimFilter{}, time.Minute)
		if err != nil || len(got.Deliveries) != 2 {
			t.Fatalf("claim %+v err %v", got, err)
		}
		slices.SortFunc(got.Deliveries, func(a, b Delivery) int { return cmp.Compare(a.ChatID, b.ChatID) })
		rc, skip, err := s.PrepareDelivery(ctx, got.Deliveries[0])
		if err != nil || skip != "" {
			t.Fatalf("prepare: skip %q, err %v", skip, err)
		}
		if !slices.Equal(rc.Academies, []string{"alpha", "beta"}) || len(rc.Classes) != 1 || rc.Classes[0].PlanB != "Manuel" || !rc.AlertOutage {
			t.Errorf("recipient %+v, want chat 1 in alpha and beta, in one class", rc)
		}
		if rc, _, err := s.PrepareDelivery(ctx, got.Deliveries[1]); err != nil || len(rc.Academies) != 1 || len(rc.Classes) != 0 {
			t.Errorf("recipient %+v (%v), want chat 2 in gamma, in no class", rc, err)
		}
		mustInsert(t, s, NewEvent{DedupKey: "r1", Kind: status.KindRecovery, Priority: PriorityBulk, ServiceID: "ent",
			Audience: status.AudienceService("ent"), ToState: status.Up})
		if _, skip, err := s.PrepareDelivery(ctx, got.Deliveries[0]); err != nil || skip == "" {
			t.Errorf("prepare after a later event: skip %q, err %v; want a skip", skip, err)
		}
	})
}

// TestChannelPostAndRecentSends: a claimed channel post is prepared for
// its channel, and skipped once settled; RecentSends dates what is in
// flight now and what was sent when it was, and forgets what was sent
// before since.
func TestChannelPostAndRecentSends(t *testing.T) { engines(t, testChannelPostAndRecentSends) }

func testChannelPostAndRecentSends(t *testing.T, s *Store) {
	sentAt := fixedNow()
	now := sentAt
	onClock(t, s, &now)
	ctx := context.Background()
	addChats(t, s, "alpha", 1, 2)
	expandAll(t, s, outage("o1"), ExpandSpec{Academies: []string{"alpha"},
		Channels: []ChannelTarget{{Channel: "@ent_alpha", Academie: "alpha"}}})
	got, err := s.SettleAndClaim(ctx, nil, 10, ClaimFilter{}, time.Hour)
	if err != nil || len(got.Deliveries) != 3 {
		t.Fatalf("claim: %+v, %v; want 3 rows", got.Deliveries, err)
	}
	var post Delivery
	var sent []DeliveryResult
	for _, d := range got.Deliveries {
		if d.Channel != "" {
			post = d
		}
		if d.ChatID != 2 {
			sent = append(sent, DeliveryResult{Delivery: d, Outcome: OutcomeSent, MessageID: 7})
		}
	}
	rc, skip, err := s.PrepareDelivery(ctx, post)
	if err != nil || skip != "" || rc.Channel != "@ent_alpha" || rc.Kind != "channel" || !slices.Equal(rc.Academies, []string{"alpha"}) {
		t.Errorf("prepare the channel post: %+v, skip %q, %v; want @ent_alpha of alpha", rc, skip, err)
	}
	wantRecent(t, s, sentAt.Add(-time.Hour), map[string]time.Time{"1": now, "2": now, "@ent_alpha": now})

	if _, err := s.SettleAndClaim(ctx, sent, 0, ClaimFilter{}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, skip, err := s.PrepareDelivery(ctx, post); err != nil || skip != "row sent" {
		t.Errorf("prepare the sent channel post: skip %q, %v; want row sent", skip, err)
	}
	now = now.Add(time.Minute)
	wantRecent(t, s, sentAt.Add(-time.Hour), map[string]time.Time{"1": sentAt, "2": now, "@ent_alpha": sentAt})
	wantRecent(t, s, sentAt, map[string]time.Time{"2": now})
}

// wantRecent checks RecentSends(since), keyed by chat id or channel.
func wantRecent(t *testing.T, s *Store, since time.Time, want map[string]time.Time) {
	t.Helper()
	got, err := s.RecentSends(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]time.Time{}
	for _, r := range got {
		key := r.Channel
		if key == "" {
			key = strconv.FormatInt(r.ChatID, 10)
		}
		have[key] = r.At
	}
	if len(have) != len(want) {
		t.Errorf("RecentSends(%v) = %v, want %v", since, have, want)
	}
	for key, at := range want {
		if !have[key].Equal(at) {
			t.Errorf("RecentSends(%v)[%s] = %v, want %v", since, key, have[key], at)
		}
	}
}
