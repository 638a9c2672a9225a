package notify

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/storagetest"
	"sentinelle/telegram/telegramtest"
)

// The fairness benchmarks run the dispatcher at TELEGRAM_RATE_LIMIT=25
// with its default per-chat spacing against a fake Telegram enforcing
// Telegram's limits (30/s, 1/s per chat). Commands are simulated by
// writing their replies to the outbox as the bot does, each chat at the
// bot's limit of 20 commands a minute, one reply every 3 s.

// commanders are the chats that send commands: they follow no académie,
// so that no outage reaches them.
const commanderBase = 500_000

// fairRig is a dispatcher, its store and a fake Telegram with its limits.
type fairRig struct {
	s    *storage.Store
	srv  *telegramtest.Server
	d    *Dispatcher
	stop func()
}

func newFairRig(b *testing.B, crowdSize, commanders int, extra ...person) *fairRig {
	b.Helper()
	s := openStore(b)
	srv := telegramtest.NewServer(b, telegramtest.WithLimits(telegramtest.TelegramLimits()))
	people := append(crowd(crowdSize), extra...)
	for i := range commanders {
		people = append(people, person{id: int64(commanderBase + i), role: "parent"})
	}
	addPeople(b, s, people...)
	cat := testCatalog(b)
	d, stop := start(b, Options{Store: s, Catalog: cat, Sender: newClient(b, srv, false), Renderer: testRenderer{cat},
		RateLimit: 25, MaxEventAge: noAgeLimit})
	return &fairRig{s: s, srv: srv, d: d, stop: stop}
}

// crowdDone waits until each of the n crowd chats got a message and
// returns when the last one was accepted.
func (r *fairRig) crowdDone(b *testing.B, n int, timeout time.Duration) time.Time {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := 0
		var last time.Time
		for _, m := range r.srv.Sent() {
			if m.ChatID >= 1 && m.ChatID <= int64(n) {
				got++
				last = m.At
			}
		}
		if got >= n {
			return last
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d outage messages after %v", got, n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// commandLoad writes replies for chats commanders, each every 3 s, until
// stop is called; it remembers when each was written.
type commandLoad struct {
	mu      sync.Mutex
	written map[string]time.Time // reply text → when written
	stopped chan struct{}
	done    chan struct{}
}

func startCommands(b *testing.B, r *fairRig, chats int) *commandLoad {
	l := &commandLoad{written: map[string]time.Time{}, stopped: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(3 * time.Second / time.Duration(chats))
		defer tick.Stop()
		for k := 0; ; k++ {
			select {
			case <-l.stopped:
				return
			case <-tick.C:
			}
			chat := int64(commanderBase + k%chats)
			text := fmt.Sprintf("réponse %d n°%06d", chat, k/chats)
			at := time.Now()
			e, err := storage.NewReply("bench:"+text, chat, storage.OutMessage{Text: text})
			if err == nil {
				_, _, err = storagetest.Do2(r.s.Update, context.Background(), func(tx *storage.Tx) (int64, bool, error) { return tx.InsertEvent(context.Background(), e) })
			}
			if err != nil {
				b.Error(err)
				return
			}
			l.mu.Lock()
			l.written[text] = at
			l.mu.Unlock()
			r.d.Wake()
		}
	}()
	return l
}

func (l *commandLoad) stop() map[string]time.Time {
	close(l.stopped)
	<-l.done
	return l.written
}

// replyStats waits until every written reply was accepted, checks that each
// chat got its replies in order, and returns the latencies of those
// written between from and to.
func replyStats(b *testing.B, srv *telegramtest.Server, written map[string]time.Time, from, to time.Time) []time.Duration {
	b.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	var got []telegramtest.Message
	for {
		got = got[:0]
		for _, m := range srv.Sent() {
			if m.ChatID >= commanderBase {
				got = append(got, m)
			}
		}
		if len(got) >= len(written) {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d replies sent", len(got), len(written))
		}
		time.Sleep(100 * time.Millisecond)
	}
	last := map[int64]string{}
	var lat []time.Duration
	for _, m := range got {
		if m.Text <= last[m.ChatID] {
			b.Fatalf("chat %d got %q after %q: replies out of order or twice", m.ChatID, m.Text, last[m.ChatID])
		}
		last[m.ChatID] = m.Text
		if at, ok := written[m.Text]; ok && !at.Before(from) && !at.After(to) {
			lat = append(lat, m.At.Sub(at))
		}
	}
	slices.Sort(lat)
	return lat
}

func quantile(lat []time.Duration, q float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[min(len(lat)-1, int(q*float64(len(lat))))]
}

// fairFanOut measures a 1,000-recipient outage alone, then while chats
// send commands at their limit, and checks the replies.
func fairFanOut(b *testing.B, chats int, maxRatio float64, checkP99 bool) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		alone := newFairRig(b, n, 0)
		began := time.Now()
		serviceEvent(b, alone.s, status.KindOutage, "ent-ecoles", "up", "down", april6)
		alone.d.Wake()
		unloaded := alone.crowdDone(b, n, 5*time.Minute).Sub(began)
		alone.stop()

		r := newFairRig(b, n, chats)
		load := startCommands(b, r, chats)
		time.Sleep(3 * time.Second) // every chat has asked once
		began = time.Now()
		serviceEvent(b, r.s, status.KindOutage, "ent-ecoles", "up", "down", april6)
		r.d.Wake()
		loaded := r.crowdDone(b, n, 10*time.Minute).Sub(began)
		ended := time.Now()
		written := load.stop()
		lat := replyStats(b, r.srv, written, began, ended)
		r.stop()

		ratio := loaded.Seconds() / unloaded.Seconds()
		b.ReportMetric(unloaded.Seconds(), "unloaded_s")
		b.ReportMetric(loaded.Seconds(), "loaded_s")
		b.ReportMetric(ratio, "ratio")
		b.ReportMetric(float64(len(written)), "replies")
		b.ReportMetric(ms(quantile(lat, 0.5)), "reply_p50_ms")
		b.ReportMetric(ms(quantile(lat, 0.99)), "reply_p99_ms")
		b.ReportMetric(float64(r.srv.Count429()), "429s")
		b.ReportMetric(0, "ns/op")
		if ratio > maxRatio {
			b.Fatalf("the outage took %.2f× its unloaded time (%v against %v), goal ≤ %.1f×", ratio,
				loaded.Round(time.Millisecond), unloaded.Round(time.Millisecond), maxRatio)
		}
		if p99 := quantile(lat, 0.99); checkP99 && p99 >= 2*time.Second {
			b.Fatalf("reply p99 %v during the fan-out, goal < 2 s", p99)
		}
	}
}

// BenchmarkFanOutUnderCommands: 30 chats each at the limit of 20
// commands a minute (10 replies/s) while an outage goes to 1,000 parents.
// Goals: the fan-out within 2× its time alone, reply p99 under 2 s, every
// reply sent in order.
//
//	go test -run '^$' -bench 'BenchmarkFanOutUnderCommands$' -benchtime 1x ./notify
func BenchmarkFanOutUnderCommands(b *testing.B) { fairFanOut(b, 30, 2, true) }

// BenchmarkFanOutUnderCommandFlood: 100 chats at the limit (33 replies/s,
// more than the 25/s the bot may send). Goals: the fan-out within 2.2× its
// time alone, and every reply still sent, in order per chat.
//
//	go test -run '^$' -bench 'BenchmarkFanOutUnderCommandFlood$' -benchtime 1x ./notify
func BenchmarkFanOutUnderCommandFlood(b *testing.B) { fairFanOut(b, 100, 2.2, false) }

// BenchmarkLaterEventDuringFanOut: while an outage goes to 10,000 parents,
// an outage of another ENT is written five times, 3 s apart; each time,
// the time from the write to the first message to one of its parents.
// Goal: under 1 s every time.
//
//	go test -run '^$' -bench 'BenchmarkLaterEventDuringFanOut$' -benchtime 1x ./notify
func BenchmarkLaterEventDuringFanOut(b *testing.B) {
	const n, others, probes = 10_000, 20, 5
	for i := 0; i < b.N; i++ {
		var extra []person
		for k := range others {
			extra = append(extra, parent(int64(100_001+k), "alpha"))
		}
		r := newFairRig(b, n, 0, extra...)
		serviceEvent(b, r.s, status.KindOutage, "ent-ecoles", "up", "down", april6)
		r.d.Wake()
		r.srv.WaitSent(b, 200, time.Minute) // the fan-out is under way
		var lat []time.Duration
		for p := range probes {
			before := len(r.srv.Sent())
			began := time.Now()
			serviceEvent(b, r.s, status.KindOutage, "ent-alpha", "up", "down", april6.Add(time.Duration(p+1)*time.Minute))
			r.d.Wake()
			lat = append(lat, firstTo(b, r.srv, before, 100_001, 100_000+others, 30*time.Second).Sub(began))
			time.Sleep(3 * time.Second)
		}
		crowdSent := 0
		for _, m := range r.srv.Sent() {
			if m.ChatID >= 1 && m.ChatID <= n {
				crowdSent++
			}
		}
		r.stop()
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), "median_ms")
		b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
		b.ReportMetric(float64(crowdSent), "fanout_sent")
		b.ReportMetric(float64(r.srv.Count429()), "429s")
		b.ReportMetric(0, "ns/op")
		if worst := lat[len(lat)-1]; worst >= time.Second {
			b.Fatalf("a later outage's first message took %v (all: %v), goal < 1 s", worst, lat)
		}
	}
}

// firstTo waits for the first message after the before-th to a chat in
// lo..hi and returns when it was accepted.
func firstTo(b *testing.B, srv *telegramtest.Server, before int, lo, hi int64, timeout time.Duration) time.Time {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		sent := srv.Sent()
		for _, m := range sent[min(before, len(sent)):] {
			if m.ChatID >= lo && m.ChatID <= hi {
				return m.At
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("no message to chats %d..%d after %v", lo, hi, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
