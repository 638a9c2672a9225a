package notify

import (
	"testing"
	"time"
)

// TestGroupSlidingMinute: a group may get one message a second until it
// has had 20 in the last minute; the 21st waits until the first of those
// is a minute old. A private chat has no such cap.
func TestGroupSlidingMinute(t *testing.T) {
	t0 := time.Date(2021, 4, 6, 8, 0, 0, 0, time.UTC)
	q := newQueue(time.Second, time.Second, 20)
	group, private := testJob(1, -5, "", 0), testJob(1, 7, "", 0)
	for i := range 20 {
		at := t0.Add(time.Duration(i) * time.Second)
		q.answered(group.key, at)
		q.answered(private.key, at)
	}
	last := t0.Add(19 * time.Second)
	if got, want := q.readyAt(private), last.Add(time.Second); !got.Equal(want) {
		t.Errorf("private chat ready at %v, want %v (one a second only)", got.Sub(t0), want.Sub(t0))
	}
	if got, want := q.readyAt(group), t0.Add(time.Minute+windowSlack); !got.Equal(want) {
		t.Errorf("group ready at %v, want %v (the 21st message in a minute waits)", got.Sub(t0), want.Sub(t0))
	}
	fresh := testJob(1, -6, "", 0)
	q.answered(fresh.key, t0)
	if got, want := q.readyAt(fresh), t0.Add(time.Second); !got.Equal(want) {
		t.Errorf("a group with one message ready at %v, want %v", got.Sub(t0), want.Sub(t0))
	}
}
