package checker

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"sentinelle/internal/logtest"
	"sentinelle/storage"
)

// fakeStore records nothing: its transaction commits at once, empty.
type fakeStore struct{}

var _ Store = fakeStore{}
var _ Store = (*storage.Store)(nil)

func (fakeStore) Update(context.Context, func(tx *storage.Tx) error) error { return nil }

func (fakeStore) PruneResults(context.Context, time.Time) (int64, error) { return 0, nil }

// recordFunc is the stand-in for Record that a test puts in a Runner.
type recordFunc = func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error)

// runnerRecording is a Runner over an empty catalog whose rounds are
// recorded by record.
func runnerRecording(t *testing.T, opts Options, record recordFunc) *Runner {
	t.Helper()
	opts.Catalog, opts.Store = testCatalog(t), fakeStore{}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	r.record = record
	return r
}

func TestStartSkipsOverlappingRoundsAndSurvivesPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		var logs logtest.Buffer
		r := runnerRecording(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))},
			func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error) {
				switch calls.Add(1) {
				case 1:
					panic("boom")
				case 2:
					time.Sleep(150 * time.Second) // over two intervals: the next two ticks are skipped
				}
				return RoundOutcome{}, nil
			})
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
		r := runnerRecording(t, Options{}, func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error) {
			time.Sleep(30 * time.Second)
			finished.Add(1)
			return RoundOutcome{}, nil
		})
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
	r := runnerRecording(t, Options{}, func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error) {
		gaps = append(gaps, in.MaxGap)
		return RoundOutcome{}, nil
	})
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

// TestVoteCountsTwoIntervals: the vote counts the other vantages' rounds
// started within two intervals of the round: DefaultInterval's before
// Start, the schedule's after.
func TestVoteCountsTwoIntervals(t *testing.T) {
	var windows []time.Duration
	r := runnerRecording(t, Options{}, func(ctx context.Context, in RoundInput, decide Decider) (RoundOutcome, error) {
		windows = append(windows, in.Round.StartedAt.Sub(in.VoteSince))
		return RoundOutcome{}, nil
	})
	if _, err := r.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop, err := r.Start(context.Background(), "*/5 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if want := []time.Duration{2 * DefaultInterval, 10 * time.Minute}; !slices.Equal(windows, want) {
		t.Fatalf("vote windows %v, want %v", windows, want)
	}
}
