package telegramtest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWaitSent(t *testing.T) {
	s := NewServer(t, WithoutLimits())
	go func() {
		for i := range 3 {
			time.Sleep(5 * time.Millisecond)
			_, _ = http.PostForm(s.URL()+"/bot"+s.Token()+"/sendMessage", url.Values{"chat_id": {itoa(int64(i + 1))}, "text": {"x"}})
		}
	}()
	if got := s.WaitSent(t, 3, 5*time.Second); len(got) != 3 {
		t.Fatalf("WaitSent returned %d messages", len(got))
	}
}

// fatalRecorder is a testing.TB whose Fatalf only records, to test failures.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = fmt.Sprintf(format, args...) }

func TestWaitSentFailsTheTestOnTimeout(t *testing.T) {
	s := NewServer(t)
	send(t, s, 1, "seul message")
	rec := &fatalRecorder{TB: t}
	if got := s.WaitSent(rec, 2, 20*time.Millisecond); got != nil {
		t.Fatalf("WaitSent returned %d messages on timeout", len(got))
	}
	if !strings.Contains(rec.msg, "1 sends accepted, want at least 2") || !strings.Contains(rec.msg, "seul message") {
		t.Fatalf("failure message = %q", rec.msg)
	}
}

func TestCloseReleasesWaitingRequests(t *testing.T) {
	s := NewServer(t)
	s.Hang(true)
	var wg sync.WaitGroup
	for _, method := range []string{"getMe", "getUpdates?timeout=50"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "text/plain", nil)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	s.Close()
	wg.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

// BenchmarkSendMessage measures the fake's throughput for the dispatcher's
// benchmarks: it must not be the bottleneck at 1,000 sends a second.
func BenchmarkSendMessage(b *testing.B) {
	s := NewServer(b, WithoutLimits())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	endpoint := s.URL() + "/bot" + s.Token() + "/sendMessage"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			resp, err := client.PostForm(endpoint, url.Values{"chat_id": {itoa(int64(i))},
				"text": {"<b>ENT de Lyon</b> : indisponible depuis 8 h 02"}, "parse_mode": {"HTML"}})
			if err != nil {
				b.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sends/s")
}
