package pgtest

import "testing"

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
// On PostgreSQL's sub-benchmark it reports that figure divided by SQLite's
// (the figure of SQLite's last call, the one printed just before), with
// the unit RatioUnit: for a time, above 1 means PostgreSQL is slower; for
// a rate, below 1. When -bench filtered SQLite's sub-benchmark out, or it
// failed, there is no figure from the same run to divide by, and no ratio
// is reported.
func CompareEngines(b *testing.B, sqlite, postgres func(b *testing.B) float64) {
	b.Helper()
	var base float64 // SQLite's figure in this process; 0: none
	b.Run("engine=sqlite", func(b *testing.B) {
		base = 0
		if figure := sqlite(b); !b.Failed() {
			base = figure
		}
	})
	b.Run("engine=postgresql", func(b *testing.B) {
		figure := postgres(b)
		if base != 0 && !b.Failed() {
			b.ReportMetric(figure/base, RatioUnit)
		}
	})
}
