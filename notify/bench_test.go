package notify

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
	"sentinelle/storage/pgtest"
	"sentinelle/telegram/telegramtest"
)

// opener opens a store of one engine for a test or benchmark, closed when
// it ends.
type opener func(testing.TB) *storage.Store

// onEngines runs bench on SQLite then on PostgreSQL in one process
// (pgtest.CompareEngines), handing it the engine's opener; bench returns
// its figure, and PostgreSQL's is also reported as a ratio to SQLite's.
func onEngines(b *testing.B, bench func(b *testing.B, open opener) float64) {
	pgtest.CompareEngines(b,
		func(b *testing.B) float64 { return bench(b, openStore) },
		func(b *testing.B) float64 { return bench(b, openPostgres) })
}

// openPostgres opens a store on a fresh database of the package's
// throwaway PostgreSQL server.
func openPostgres(t testing.TB) *storage.Store {
	t.Helper()
	s, err := storage.OpenPostgres(context.Background(), pg.Database(t), time.Now)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// crowd is n parents of académie gamma, whose ENT (ent-ecoles) has no
// channel, so that every send is to a distinct chat.
func crowd(n int) []person { return parents(n, "gamma") }

// crowdAtRate is a store of n parents (crowd), opened by open, and a fake
// Bot API that takes limit messages per second (with more options), with a
// dispatcher's options to send there through the real client at that rate.
func crowdAtRate(b *testing.B, open opener, n, limit int, paid bool, more ...telegramtest.Option) (*storage.Store, *telegramtest.Server, Options) {
	b.Helper()
	s := open(b)
	srv := telegramtest.NewServer(b, append([]telegramtest.Option{telegramtest.WithLimits(telegramtest.Limits{Global: limit})}, more...)...)
	addPeople(b, s, crowd(n)...)
	opt := fastOptions(s, testCatalog(b), newClient(b, srv, paid))
	opt.RateLimit = float64(limit)
	return s, srv, opt
}

// fanOut writes one outage of ent-ecoles and waits until n messages were
// accepted; it returns the wall time from the write.
func fanOut(b *testing.B, s *storage.Store, d *Dispatcher, srv *telegramtest.Server, n int, at time.Time) time.Duration {
	b.Helper()
	before := len(srv.Sent())
	began := time.Now()
	serviceEvent(b, s, status.KindOutage, "ent-ecoles", "up", "down", at)
	d.Wake()
	srv.WaitSent(b, before+n, 5*time.Minute)
	return time.Since(began)
}

// BenchmarkSustainedRate measures the send rate against a fake Telegram
// enforcing the same global limit, as a ratio to the limit (goal ≥ 0.95)
// and the number of 429s provoked (goal 0). 1,000 messages at 200/s: 5 s.
// It runs on SQLite (engine=sqlite), then on PostgreSQL (engine=postgresql),
// whose rate is also given as a ratio to SQLite's (pg/sqlite, goal about
// 1: Telegram's limit is the bottleneck, not the database).
//
//	go test -run '^$' -bench BenchmarkSustainedRate -benchtime 1x ./notify
func BenchmarkSustainedRate(b *testing.B) {
	onEngines(b, func(b *testing.B, open opener) float64 { return sustainedRate(b, open) })
}

// BenchmarkSustainedRateWithLatency is BenchmarkSustainedRate over a slow
// network: each request takes 0 to 100 ms to reach the fake, its answer 0
// to 50 ms to come back. Sends count against the rate until a second after
// their answer (flight), so the ratio falls to about 1.02 / (1.02 + the
// mean round trip); the goal is 0 × 429. SQLite only.
//
//	go test -run '^$' -bench BenchmarkSustainedRateWithLatency -benchtime 1x ./notify
func BenchmarkSustainedRateWithLatency(b *testing.B) {
	sustainedRate(b, openStore, telegramtest.WithLatency(100*time.Millisecond, 50*time.Millisecond))
}

// sustainedRate sends 1,000 messages at 200/s b.N times and returns the
// mean rate.
func sustainedRate(b *testing.B, open opener, more ...telegramtest.Option) float64 {
	const limit, n = 200, 1000
	var rates float64
	for i := 0; i < b.N; i++ {
		s, srv, opt := crowdAtRate(b, open, n, limit, false, more...)
		d, stop := start(b, opt)
		fanOut(b, s, d, srv, n, april6.Add(time.Duration(i)*time.Minute))
		stop()
		sent := srv.Sent()
		rate := float64(len(sent)-1) / sent[len(sent)-1].At.Sub(sent[0].At).Seconds()
		rates += rate
		b.ReportMetric(rate/limit, "ratio")
		b.ReportMetric(rate, "msg/s")
		b.ReportMetric(float64(srv.Count429()), "429s")
	}
	return rates / float64(b.N)
}

// BenchmarkEventToFirstSend measures the time from an event's commit to
// the fake receiving its first message (goal: median under 50 ms).
//
//	go test -run '^$' -bench BenchmarkEventToFirstSend -benchtime 200x ./notify
func BenchmarkEventToFirstSend(b *testing.B) {
	const n = 20
	s := openStore(b)
	srv := telegramtest.NewServer(b, telegramtest.WithoutLimits())
	addPeople(b, s, crowd(n)...)
	d, _ := start(b, fastOptions(s, testCatalog(b), newClient(b, srv, false)))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := len(srv.Sent())
		began := time.Now()
		serviceEvent(b, s, status.KindOutage, "ent-ecoles", "up", "down", april6.Add(time.Duration(i)*time.Second))
		d.Wake()
		msgs := srv.WaitSent(b, before+n, time.Minute)
		lat = append(lat, msgs[before].At.Sub(began))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "median_ms")
	b.ReportMetric(ms(lat[len(lat)*9/10]), "p90_ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max_ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkExpand100k measures the expansion of a national outage to
// 100,000 subscribers (some following several académies): time, Go
// allocations and the process's peak resident memory during it. It runs
// on SQLite (engine=sqlite), then on PostgreSQL (engine=postgresql), whose
// time is also given as a ratio to SQLite's (pg/sqlite); on PostgreSQL
// the rows are written by the server, whose memory the process's peak
// does not count.
//
//	go test -run '^$' -bench BenchmarkExpand100k -benchtime 1x ./notify
func BenchmarkExpand100k(b *testing.B) { onEngines(b, expand100k) }

// expand100k is BenchmarkExpand100k on the engine of open; it returns the
// mean time of an expansion, in ms.
func expand100k(b *testing.B, open opener) float64 {
	const n = 100_000
	ctx := context.Background()
	s := open(b)
	cat := testCatalog(b)
	subs := make([]subscriber, n)
	slugs := []string{"alpha", "beta", "gamma"}
	for i := range subs {
		c := storage.NewChat(int64(i + 1))
		c.Levels = status.LevelMask(i % 8)
		acads := []string{slugs[i%3]}
		if i%2 == 1 {
			acads = append(acads, slugs[(i+1)%3])
		}
		subs[i] = subscriber{chat: c, academies: acads}
	}
	importSubscribers(b, s, subs)
	d, err := New(Options{Store: s, Catalog: cat, Sender: newFakeSender(), Renderer: testRenderer{cat}, Logger: testLogger(b), MaxEventAge: noAgeLimit})
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		id := serviceEvent(b, s, status.KindOutage, "cned", "up", "down", april6.Add(time.Duration(i)*time.Hour))
		spec := specOf(b, s, d, id)
		resetPeakRSS()
		baseRSS := peakRSSMB()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		began := time.Now()
		var rows int64
		for {
			p, err := s.ExpandStep(ctx, spec)
			if err != nil {
				b.Fatal(err)
			}
			rows += p.Inserted
			if p.Done {
				break
			}
		}
		took := time.Since(began)
		b.StopTimer()
		total += took
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if rows != n {
			b.Fatalf("expanded %d rows, want %d", rows, n)
		}
		b.ReportMetric(float64(rows), "rows")
		b.ReportMetric(ms(took), "expand_ms")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "go_alloc_MB")
		b.ReportMetric(peakRSSMB(), "peak_rss_MB")
		b.ReportMetric(peakRSSMB()-baseRSS, "rss_growth_MB")
	}
	return ms(total / time.Duration(b.N))
}

// resetPeakRSS resets the kernel's peak resident size of this process
// (Linux: clear_refs 5), so that peakRSSMB measures what follows.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads VmHWM, the peak resident size, in MB (0 when unknown).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkFanOut10k is the "done when" of the issue: 10,000 messages at
// 1,000/s (paid broadcast) against a fake enforcing 1,000/s, every message
// delivered once, in about 10 s.
//
//	go test -run '^$' -bench BenchmarkFanOut10k -benchtime 1x ./notify
func BenchmarkFanOut10k(b *testing.B) {
	const limit, n = 1000, 10_000
	for i := 0; i < b.N; i++ {
		s, srv, opt := crowdAtRate(b, openStore, n, limit, true)
		opt.PaidBroadcast = true
		d, stop := start(b, opt)
		wall := fanOut(b, s, d, srv, n, april6)
		stop()
		seen := map[int64]int{}
		paid := 0
		for _, m := range srv.Sent() {
			seen[m.ChatID]++
			if m.AllowPaidBroadcast {
				paid++
			}
		}
		if len(seen) != n || len(srv.Sent()) != n || paid != n {
			b.Fatalf("%d messages to %d chats (%d paid), want %d once each, all paid", len(srv.Sent()), len(seen), paid, n)
		}
		sent := srv.Sent()
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(float64(n-1)/sent[n-1].At.Sub(sent[0].At).Seconds(), "sustained_msg/s")
		b.ReportMetric(float64(srv.Count429()), "429s")
	}
}
