package pgtest

import (
	"slices"
	"testing"
)

// RatioUnit is the unit of the metric CompareEngines reports on
// PostgreSQL's sub-benchmark: its figure divided by SQLite's.
const RatioUnit = "pg/sqlite"

// CompareEngines runs one benchmark on both engines in one process, as the
// sub-benchmarks engine=sqlite then engine=postgresql, so that their
// figures come from the same run, under the same load. Each of sqlite and
// postgres runs the benchmark's b.N iterations on its engine and returns
// its figure: a time (smaller is better) or a rate (larger is better),
// whichever the benchmark reports.
//
// On PostgreSQL's sub-benchmark it reports that figure divided by SQLite's,
// with the unit RatioUnit: for a time, above 1 means PostgreSQL is slower;
// for a rate, below 1. SQLite's figure is the median of its runs (-count
// runs them all before PostgreSQL's), on a shared machine steadier than
// the last one; of a run that called the benchmark more than once, as
// -benchtime does to find b.N, only the calls with the largest b.N count.
// When -bench filtered SQLite's sub-benchmark out, or it failed, there is
// no figure from the same run to divide by, and no ratio is reported.
func CompareEngines(b *testing.B, sqlite, postgres func(b *testing.B) float64) {
	b.Helper()
	var base figures // SQLite's, in this process
	b.Run("engine=sqlite", func(b *testing.B) {
		if figure := sqlite(b); !b.Failed() {
			base.add(b.N, figure)
		} else {
			base = figures{failed: true}
		}
	})
	b.Run("engine=postgresql", func(b *testing.B) {
		figure := postgres(b)
		if m, ok := base.median(); ok && m != 0 && !b.Failed() {
			b.ReportMetric(figure/m, RatioUnit)
		}
	})
}

// figures are the figures of a sub-benchmark's calls with the largest b.N.
type figures struct {
	n      int
	values []float64
	failed bool // a call failed: no figure stands for the engine
}

func (f *figures) add(n int, v float64) {
	if n > f.n {
		f.n, f.values = n, nil
	}
	if n == f.n {
		f.values = append(f.values, v)
	}
}

// median is the median of the figures (the mean of the middle two of an
// even number); false when there are none, or a call failed.
func (f *figures) median() (float64, bool) {
	if f.failed || len(f.values) == 0 {
		return 0, false
	}
	v := slices.Sorted(slices.Values(f.values))
	m := len(v) / 2
	if len(v)%2 == 0 {
		return (v[m-1] + v[m]) / 2, true
	}
	return v[m], true
}
