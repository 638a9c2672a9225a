package telegramtest

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestGlobalLimit(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now))
	for i := range 30 {
		if e := send(t, s, int64(1000+i), "ok"); !e.OK {
			t.Fatalf("send %d in the first second: %d %s", i+1, e.ErrorCode, e.Description)
		}
	}
	e := send(t, s, 2000, "de trop")
	if e.status != http.StatusTooManyRequests || e.Parameters.RetryAfter != 1 || e.retryAfter != "1" ||
		e.Description != "Too Many Requests: retry after 1" {
		t.Fatalf("31st send = %d %q retry_after %d header %q, want 429 retry after 1",
			e.status, e.Description, e.Parameters.RetryAfter, e.retryAfter)
	}
	clock.Advance(time.Second)
	if e := send(t, s, 2000, "ok"); !e.OK {
		t.Fatalf("send a second later: %s", e.Description)
	}
	if got := s.Count429(); got != 1 {
		t.Fatalf("Count429 = %d, want 1", got)
	}
	if got := len(s.Sent()); got != 31 {
		t.Fatalf("accepted %d sends, want 31 (the refused one is not recorded)", got)
	}
}

func TestPerChatLimit(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now))
	steps := []struct {
		name    string
		advance time.Duration
		want429 bool
	}{
		{"first", 0, false},
		{"half a second later", 500 * time.Millisecond, true},
		{"within tolerance of a second", 460 * time.Millisecond, false},
		{"immediately again", 0, true},
		{"a second later", time.Second, false},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		e := send(t, s, 42, "bonjour")
		if got := e.status == http.StatusTooManyRequests; got != st.want429 {
			t.Fatalf("%s: status %d %s, want 429: %v", st.name, e.status, e.Description, st.want429)
		}
		if st.want429 && e.Parameters.RetryAfter != 1 {
			t.Fatalf("%s: retry_after %d, want 1", st.name, e.Parameters.RetryAfter)
		}
	}
	if e := send(t, s, 43, "autre chat"); !e.OK {
		t.Fatalf("another chat is limited by 42's bucket: %s", e.Description)
	}
}

func TestGroupLimit(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now))
	group := int64(-1001234567890)
	for i := range 20 {
		if e := send(t, s, group, "annonce"); !e.OK {
			t.Fatalf("group send %d: %s", i+1, e.Description)
		}
		clock.Advance(time.Second) // respect the per-chat second
	}
	e := send(t, s, group, "21e")
	if e.status != http.StatusTooManyRequests {
		t.Fatalf("21st group send within a minute: status %d, want 429", e.status)
	}
	// The first went out at 0 s; it is now 20 s: it leaves the minute at 60 s.
	if e.Parameters.RetryAfter != 40 {
		t.Fatalf("retry_after = %d, want 40", e.Parameters.RetryAfter)
	}
	clock.Advance(40 * time.Second)
	if e := send(t, s, group, "21e, plus tard"); !e.OK {
		t.Fatalf("after the minute: %s", e.Description)
	}
}

// TestPacingAtTheLimitIsNeverRefused: a sender spacing messages evenly at
// exactly the limits, arriving up to 20 ms early or late, never gets 429.
func TestPacingAtTheLimitIsNeverRefused(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now))
	start := clock.Now()
	jitter := []time.Duration{0, 20, -20, 7, -13, 19, -19, 3}
	// Global: 30 a second, round-robin over 30 private chats (each gets 1/s).
	for i := range 300 {
		at := start.Add(time.Duration(i)*time.Second/30 + jitter[i%len(jitter)]*time.Millisecond)
		clock.Advance(at.Sub(clock.Now()))
		if e := send(t, s, int64(1+i%30), "x"); !e.OK {
			t.Fatalf("paced send %d: %s", i, e.Description)
		}
	}
	// One group at 20 a minute.
	for i := range 45 {
		at := start.Add(20*time.Second + time.Duration(i)*3*time.Second + jitter[i%len(jitter)]*time.Millisecond)
		clock.Advance(at.Sub(clock.Now()))
		if e := send(t, s, -555, "x"); !e.OK {
			t.Fatalf("paced group send %d: %s", i, e.Description)
		}
	}
	if n := s.Count429(); n != 0 {
		t.Fatalf("Count429 = %d, want 0", n)
	}
}

func TestLimitsOptions(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now), WithLimits(Limits{PerChat: 2}))
	for i := range 2 {
		if e := send(t, s, 1, "x"); !e.OK {
			t.Fatalf("send %d with PerChat 2: %s", i, e.Description)
		}
	}
	if e := send(t, s, 1, "x"); e.status != http.StatusTooManyRequests {
		t.Fatalf("third send = %d, want 429", e.status)
	}
	free := NewServer(t, WithClock(clock.Now), WithoutLimits())
	for i := range 100 {
		if e := send(t, free, 1, "x"); !e.OK {
			t.Fatalf("send %d without limits: %s", i, e.Description)
		}
	}
}

// TestLatency: with WithLatency(in, out), a request is dated (and counted
// against the limits) some random time after the client sent it, and its
// answer comes some random time later still.
func TestLatency(t *testing.T) {
	const in, out = 100 * time.Millisecond, 50 * time.Millisecond
	s := NewServer(t, WithoutLimits(), WithLatency(in, out))
	var ways, backs []time.Duration
	for i := range 10 {
		began := time.Now()
		if e := send(t, s, int64(1000+i), "ok"); !e.OK {
			t.Fatalf("send %d: %s", i, e.Description)
		}
		at := s.Sent()[i].At
		if at.Before(began) {
			t.Fatalf("send %d dated %v before it was sent", i, began.Sub(at))
		}
		ways, backs = append(ways, at.Sub(began)), append(backs, time.Since(at))
	}
	if slices.Max(ways)-slices.Min(ways) < in/10 {
		t.Errorf("the ways in took %v: want random delays up to %v", ways, in)
	}
	if slices.Max(backs) < out/5 {
		t.Errorf("the ways back took %v: want random delays up to %v", backs, out)
	}
}

// TestBusiest: the most accepted sends within any period, refused ones
// not counted.
func TestBusiest(t *testing.T) {
	clock := fixedClock()
	s := NewServer(t, WithClock(clock.Now), WithLimits(Limits{PerChat: 1}))
	for _, step := range []struct {
		advance time.Duration
		chats   []int64
	}{{0, []int64{1, 2, 3}}, {500 * time.Millisecond, []int64{4, 5, 1}}, {999 * time.Millisecond, []int64{6}}} {
		clock.Advance(step.advance)
		for _, c := range step.chats {
			send(t, s, c, "ok")
		}
	}
	if got := s.Busiest(time.Second); got != 5 { // chat 1's second send was refused; chat 6's came at 1.499 s
		t.Errorf("Busiest(1 s) = %d, want 5", got)
	}
	if got := s.Busiest(time.Millisecond); got != 3 {
		t.Errorf("Busiest(1 ms) = %d, want 3", got)
	}
}
