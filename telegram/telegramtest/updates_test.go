package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// updateIDs reads the update_ids of a getUpdates answer.
func updateIDs(t *testing.T, e envelope) []int {
	t.Helper()
	if !e.OK {
		t.Fatalf("getUpdates: %d %s", e.ErrorCode, e.Description)
	}
	var ups []struct {
		UpdateID int `json:"update_id"`
	}
	if err := json.Unmarshal(e.Result, &ups); err != nil {
		t.Fatalf("getUpdates result: %v", err)
	}
	ids := make([]int, len(ups))
	for i, u := range ups {
		ids[i] = u.UpdateID
	}
	return ids
}

func TestGetUpdatesOffsetAndLimit(t *testing.T) {
	s := NewServer(t)
	chat, user := Chat{ID: 5}, User{ID: 5, FirstName: "Léa"}
	var ids []int
	for _, text := range []string{"/start", "bonjour", "/aide", "/statut"} {
		ids = append(ids, s.SendText(chat, user, text))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("update ids not strictly increasing: %v", ids)
		}
	}
	steps := []struct {
		name   string
		fields url.Values
		want   []int
	}{
		{"no offset returns all", url.Values{}, ids},
		{"limit", url.Values{"limit": {"2"}}, ids[:2]},
		{"offset confirms earlier ones", url.Values{"offset": {itoa(int64(ids[2]))}}, ids[2:]},
		{"confirmed updates are gone", url.Values{}, ids[2:]},
		{"negative offset keeps the last ones", url.Values{"offset": {"-1"}}, ids[3:]},
		{"offset past the end empties the queue", url.Values{"offset": {itoa(int64(ids[3] + 1))}}, nil},
	}
	for _, st := range steps {
		if got := updateIDs(t, post(t, s, "getUpdates", st.fields)); !slices.Equal(got, st.want) {
			t.Fatalf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
	if n := s.Pending(); n != 0 {
		t.Fatalf("Pending = %d, want 0", n)
	}
}

func TestLongPollReturnsOnInject(t *testing.T) {
	s := NewServer(t)
	type answer struct {
		e   envelope
		dur time.Duration
	}
	done := make(chan answer, 1)
	start := time.Now()
	go func() {
		e := post(t, s, "getUpdates", url.Values{"timeout": {"10"}})
		done <- answer{e, time.Since(start)}
	}()
	waitPoller(t, s)
	id := s.SendText(Chat{ID: 1}, User{ID: 1}, "/start")
	a := <-done
	if got := updateIDs(t, a.e); !slices.Equal(got, []int{id}) {
		t.Fatalf("long poll got %v, want [%d]", got, id)
	}
	if a.dur > 5*time.Second {
		t.Fatalf("long poll took %v, it should return as soon as the update arrives", a.dur)
	}
}

func TestLongPollTimesOutEmpty(t *testing.T) {
	s := NewServer(t, WithPollWait(50*time.Millisecond))
	start := time.Now()
	e := post(t, s, "getUpdates", url.Values{"timeout": {"50"}})
	if got := updateIDs(t, e); len(got) != 0 {
		t.Fatalf("empty poll got %v", got)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 5*time.Second {
		t.Fatalf("poll capped at 50ms took %v", d)
	}
}

// waitPoller waits until a getUpdates is waiting in the server.
func waitPoller(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		waiting := s.poller != nil
		s.mu.Unlock()
		if waiting {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no getUpdates arrived")
}

func TestSecondPollerTerminatesTheFirst(t *testing.T) {
	s := NewServer(t)
	first := make(chan envelope, 1)
	go func() { first <- post(t, s, "getUpdates", url.Values{"timeout": {"10"}}) }()
	waitPoller(t, s)
	second := make(chan envelope, 1)
	go func() { second <- post(t, s, "getUpdates", url.Values{"timeout": {"10"}}) }()
	e := <-first
	if e.status != http.StatusConflict ||
		e.Description != "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running" {
		t.Fatalf("first poller got %d %q, want 409 conflict", e.status, e.Description)
	}
	id := s.SendText(Chat{ID: 1}, User{ID: 1}, "x")
	if got := updateIDs(t, <-second); !slices.Equal(got, []int{id}) {
		t.Fatalf("second poller got %v, want [%d]", got, id)
	}
}
