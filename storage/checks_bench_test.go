package storage

import (
	"context"
	"path/filepath"
	"strings"
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

// BenchmarkLastJudgedRound reads the leader's latest judged round behind
// 30 days of a follower's rounds, one a minute (43 200 rows): the leader
// stuck for the whole retention, the worst walk for what /readyz and every
// page read. Beside it, the same query with the index left out.
func BenchmarkLastJudgedRound(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), fixedNow)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	start := t0.Add(-30 * 24 * time.Hour)
	err = s.Update(ctx, func(tx *Tx) error {
		if _, err := tx.InsertRound(ctx, Round{Vantage: "paris", StartedAt: start, FinishedAt: start, Judged: true}); err != nil {
			return err
		}
		for at := start.Add(time.Minute); at.Before(t0); at = at.Add(time.Minute) {
			if _, err := tx.InsertRound(ctx, Round{Vantage: "lyon", StartedAt: at, FinishedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, sql string }{
		{"rounds_judged", lastJudgedSQL},
		{"not_indexed", strings.Replace(lastJudgedSQL, "FROM rounds", "FROM rounds NOT INDEXED", 1)},
	} {
		b.Run(q.name, func(b *testing.B) {
			for b.Loop() {
				if r, err := s.lastRound(ctx, "bench", q.sql); err != nil || r.Vantage != "paris" {
					b.Fatalf("last judged round %+v, %v", r, err)
				}
			}
		})
	}
}
