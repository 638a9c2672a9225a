package checker

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/storage"
)

// fakeStore records rounds through a function field.
type fakeStore struct {
	record func(ctx context.Context, in storage.RoundInput) (storage.RoundOutcome, error)
}

var _ Store = fakeStore{}
var _ Store = (*storage.Store)(nil)

func (f fakeStore) RecordRound(ctx context.Context, in storage.RoundInput) (storage.RoundOutcome, error) {
	if f.record == nil {
		return storage.RoundOutcome{}, nil
	}
	return f.record(ctx, in)
}

func (fakeStore) PruneResults(context.Context, time.Time) (int64, error) { return 0, nil }

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStartSkipsOverlappingRoundsAndSurvivesPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		store := fakeStore{record: func(ctx context.Context, in storage.RoundInput) (storage.RoundOutcome, error) {
			switch calls.Add(1) {
			case 1:
				panic("boom")
			case 2:
				time.Sleep(150 * time.Second) // over two intervals: the next two ticks are skipped
			}
			return storage.RoundOutcome{}, nil
		}}
		var logs logBuffer
		r, err := New(Options{Catalog: testCatalog(t), Store: store, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		stop, err := r.Start(t.Context(), "@every 1m")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(10*time.Minute + time.Second)
		stop()
		// A round at once (it panics), then ticks at 1..10 min: 1 runs until
		// 3:30, 2 and 3 are skipped, 4 to 10 run: 9 rounds.
		if got := calls.Load(); got != 9 {
			t.Fatalf("%d rounds ran, want 9", got)
		}
		out := logs.String()
		if strings.Count(out, "check round skipped") != 2 || !strings.Contains(out, "panic") {
			t.Fatalf("logs lack the two skips or the panic:\n%s", out)
		}
	})
}

func TestStopWaitsForTheRunningRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var finished atomic.Int32
		store := fakeStore{record: func(ctx context.Context, in storage.RoundInput) (storage.RoundOutcome, error) {
			time.Sleep(30 * time.Second)
			finished.Add(1)
			return storage.RoundOutcome{}, nil
		}}
		r, err := New(Options{Catalog: testCatalog(t), Store: store})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		stop, err := r.Start(t.Context(), "@every 1m")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(70 * time.Second) // the first round ran 0:00–0:30, the second runs 1:00–1:30
		stop()
		if finished.Load() != 2 || time.Since(start) < 90*time.Second {
			t.Fatalf("stop returned at %v with %d rounds finished, want at 1:30 with 2", time.Since(start), finished.Load())
		}
	})
}

func TestStartDerivesMaxGapFromSchedule(t *testing.T) {
	var gaps []time.Duration
	store := fakeStore{record: func(ctx context.Context, in storage.RoundInput) (storage.RoundOutcome, error) {
		gaps = append(gaps, in.MaxGap)
		return storage.RoundOutcome{}, nil
	}}
	r, err := New(Options{Catalog: testCatalog(t), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := r.Start(context.Background(), "*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if len(gaps) != 1 || gaps[0] != 15*time.Minute {
		t.Fatalf("MaxGap of the first round %v, want 15m (three intervals of */5)", gaps)
	}
}

func TestStartRejectsBadSpec(t *testing.T) {
	r, err := New(Options{Catalog: testCatalog(t), Store: fakeStore{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(context.Background(), "every minute"); err == nil {
		t.Fatal("Start accepted a bad schedule")
	}
}
