package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/status"
)

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
	err = s.Update(context.Background(), func(tx *Tx) error {
		return addUptime(context.Background(), tx, "ent", status.Up, start, t0)
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
