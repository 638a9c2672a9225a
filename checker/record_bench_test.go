package checker

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sentinelle/status"
	"sentinelle/storage"
)

// BenchmarkRecordRound300 measures the transaction of one round over 300
// services (results, states, uptime; no change of state), the part of a
// round that is not probing.
//
//	go test -run XXX -bench RecordRound300 -benchtime 200x -count 3 ./checker
func BenchmarkRecordRound300(b *testing.B) {
	st, err := storage.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), newClock().Now)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	results := make([]storage.CheckResult, 300)
	for i := range results {
		results[i] = resultOf(fmt.Sprintf("ent-%d", i), status.Up, "ok")
	}
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		_, err := Record(context.Background(), st, RoundInput{
			Round: storage.Round{StartedAt: at, FinishedAt: at, Services: len(results)}, Results: results,
		}, immediate)
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Minute)
	}
}
