package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/status"
)

// BenchmarkRecordRound300 measures the transaction of one round over 300
// services (results, states, uptime; no change of state), the part of a
// round that is not probing.
func BenchmarkRecordRound300(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	results := make([]CheckResult, 300)
	for i := range results {
		results[i] = res(fmt.Sprintf("ent-%d", i), status.Up, "ok")
	}
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		_, err := s.RecordRound(context.Background(), RoundInput{
			Round: Round{StartedAt: at, FinishedAt: at, Services: len(results)}, Results: results, Judge: immediate,
		})
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Minute)
	}
}

// BenchmarkDailyStates90 reads the 90-day history bar of one service whose
// every hour has a bucket (2 160 rows), what the status page does per
// service.
func BenchmarkDailyStates90(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := t0.Add(-90 * 24 * time.Hour)
	err = s.write(context.Background(), func(tx *sql.Tx) error {
		rt := &roundTx{tx: tx}
		return addUptime(context.Background(), rt, "ent", status.Up, start, t0)
	})
	if err != nil {
		b.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		b.Skip(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		days, err := s.DailyStates(context.Background(), "ent", 90, t0.In(paris))
		if err != nil || len(days) != 90 || days[10].State != status.Up {
			b.Fatalf("DailyStates: %d days, %v", len(days), err)
		}
	}
}
