package pgtest

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// compareChildEnv, set, makes BenchmarkCompareEngines run: it is run by
// TestCompareEnginesReportsTheRatio in a child process, not by -bench.
const compareChildEnv = "PGTEST_COMPARE_CHILD"

// BenchmarkCompareEngines is a comparison whose figures are known: 2 on
// SQLite, 6 on PostgreSQL.
func BenchmarkCompareEngines(b *testing.B) {
	if os.Getenv(compareChildEnv) == "" {
		b.Skip("run by TestCompareEnginesReportsTheRatio")
	}
	CompareEngines(b, func(*testing.B) float64 { return 2 }, func(*testing.B) float64 { return 6 })
}

// TestCompareEnginesReportsTheRatio runs BenchmarkCompareEngines in a
// child test binary: SQLite's sub-benchmark runs first and PostgreSQL's
// reports 6 ÷ 2; with SQLite's filtered out, no ratio is reported.
func TestCompareEnginesReportsTheRatio(t *testing.T) {
	ratio := regexp.MustCompile(`(?m)^BenchmarkCompareEngines/engine=postgresql\S*\s.*\s(\S+) ` + regexp.QuoteMeta(RatioUnit) + `\b`)
	for _, c := range []struct {
		name, bench string
		want        string // the ratio printed; "": none
	}{
		{"both engines", "^BenchmarkCompareEngines$", "3"},
		{"postgresql alone", "^BenchmarkCompareEngines$/engine=postgresql", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench="+c.bench, "-test.benchtime=1x", "-test.count=2")
			cmd.Env = append(os.Environ(), compareChildEnv+"=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			pgAt := strings.Index(string(out), "BenchmarkCompareEngines/engine=postgresql")
			if pgAt < 0 {
				t.Fatalf("no PostgreSQL sub-benchmark in:\n%s", out)
			}
			if sqliteAt := strings.Index(string(out), "BenchmarkCompareEngines/engine=sqlite"); c.want != "" && (sqliteAt < 0 || sqliteAt > pgAt) {
				t.Errorf("SQLite's sub-benchmark at %d, PostgreSQL's at %d: want SQLite's first, in:\n%s", sqliteAt, pgAt, out)
			}
			got := ratio.FindAllStringSubmatch(string(out), -1)
			if c.want == "" {
				if len(got) != 0 {
					t.Errorf("ratio reported without SQLite's figure:\n%s", out)
				}
				return
			}
			if len(got) != 2 {
				t.Fatalf("%d ratios in the output, want one a run (2):\n%s", len(got), out)
			}
			want, _ := strconv.ParseFloat(c.want, 64)
			for _, m := range got {
				if v, err := strconv.ParseFloat(m[1], 64); err != nil || v != want {
					t.Errorf("ratio %s, want %s", m[1], c.want)
				}
			}
		})
	}
}
