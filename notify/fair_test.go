package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// TestQueueLanesTakeTurns: with replies and bulk jobs ready at once, the
// picks alternate between the lanes, replies first within theirs.
func TestQueueLanesTakeTurns(t *testing.T) {
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	q := newQueue(time.Second, time.Second, 0)
	for i := range int64(10) {
		q.push(testJob(1, 100+i, "", storage.PriorityBulk))
	}
	for i := range int64(10) {
		q.push(testJob(10+i, 200+i, "", storage.PriorityReply))
	}
	var got []int
	for range 10 {
		j, _ := q.pick(t0)
		if j == nil {
			t.Fatal("nothing picked while 20 jobs are ready")
		}
		got = append(got, j.del.Priority)
	}
	bulk := 0
	for _, p := range got {
		if p == storage.PriorityBulk {
			bulk++
		}
	}
	if bulk != 5 {
		t.Errorf("first 10 picks by priority %v: %d bulk, want 5: the lanes take turns", got, bulk)
	}
	// Only bulk left: it takes every pick.
	if n := len(q.remove(func(j *job) bool { return !j.bulk() })); n != 5 {
		t.Fatalf("%d replies left, want 5", n)
	}
	for range 5 {
		if j, _ := q.pick(t0); j == nil || !j.bulk() {
			t.Fatalf("picked %+v, want the remaining bulk jobs", j)
		}
	}
}

// expandNow runs the expansion of every waiting event before the test's
// dispatcher starts, so that the first claim sees all their rows.
func expandNow(t *testing.T, opt Options) {
	t.Helper()
	if opt.Logger == nil {
		opt.Logger = testLogger(t)
	}
	d, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	p := newPump(d)
	for {
		did, err := p.expand(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

// TestBulkIsSentWhileRepliesAreDue: with 40 replies due (two for each of
// 20 chats) and an outage to 20 parents, the outage gets half of the first
// sends, and each chat still gets its replies in order.
func TestBulkIsSentWhileRepliesAreDue(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	var people []person
	for i := range int64(20) {
		people = append(people, parent(1+i, "gamma"), person{id: 101 + i, role: "parent"})
	}
	addPeople(t, s, people...)
	for i := range int64(20) {
		reply(t, s, fmt.Sprintf("r1:%d", i), 101+i, fmt.Sprintf("réponse 1 à %d", 101+i))
		reply(t, s, fmt.Sprintf("r2:%d", i), 101+i, fmt.Sprintf("réponse 2 à %d", 101+i))
	}
	serviceEvent(t, s, status.KindOutage, "ent-ecoles", "up", "down", april6)
	opt := fastOptions(s, cat, f)
	opt.BatchSize, opt.Workers = 4, 1
	expandNow(t, opt)
	start(t, opt)
	msgs := f.waitCount(t, 60)
	alerts := 0
	for _, m := range msgs[:20] {
		if m.chat <= 20 {
			alerts++
		}
	}
	if alerts < 8 {
		t.Errorf("%d outage messages among the first 20 sends, want about half: replies held the outage back", alerts)
	}
	seen := map[int64]string{}
	for _, m := range msgs {
		if m.chat > 100 {
			if prev := seen[m.chat]; prev != "" && prev > m.text {
				t.Errorf("chat %d got %q after %q: replies out of order", m.chat, m.text, prev)
			}
			seen[m.chat] = m.text
		}
	}
}

// TestLaterEventGoesOutDuringFanOut: an outage of ENT Alpha written after
// an outage to 300 parents has its first message among the first sends,
// not after the 300.
func TestLaterEventGoesOutDuringFanOut(t *testing.T) {
	s, cat, f := openStore(t), testCatalog(t), newFakeSender()
	people := crowd(300)
	for i := range int64(5) {
		people = append(people, parent(1001+i, "alpha"))
	}
	addPeople(t, s, people...)
	serviceEvent(t, s, status.KindOutage, "ent-ecoles", "up", "down", april6)
	serviceEvent(t, s, status.KindOutage, "ent-alpha", "up", "down", april6.Add(time.Minute))
	opt := fastOptions(s, cat, f)
	opt.BatchSize, opt.Workers = 4, 1
	expandNow(t, opt)
	start(t, opt)
	msgs := f.waitCount(t, 306) // 300 + 5 + the alpha channel
	first := -1
	for i, m := range msgs {
		if m.chat > 1000 {
			first = i
			break
		}
	}
	if first < 0 || first >= 8 {
		t.Errorf("the later outage's first message was send #%d, want among the first 8", first+1)
	}
}
