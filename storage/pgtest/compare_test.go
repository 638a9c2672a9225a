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
// TestCompareEnginesReportsTheRatio in a child process, not by -bench. Its
// value is the -benchtime of the child's run ("1x", "3x"), or "fail".
const compareChildEnv = "PGTEST_COMPARE_CHILD"

// BenchmarkCompareEngines is a comparison whose figures are known.
// SQLite's runs give 8, 3 then 2 (median 3, mean 4.33, last 2), and 1000
// from a call with fewer iterations than -benchtime asks (-benchtime 3x
// first calls with b.N = 1), which must not count; PostgreSQL's give 6.
// With "fail", SQLite's second run fails.
func BenchmarkCompareEngines(b *testing.B) {
	mode := os.Getenv(compareChildEnv)
	if mode == "" {
		b.Skip("run by TestCompareEnginesReportsTheRatio")
	}
	iterations, _ := strconv.Atoi(strings.TrimSuffix(mode, "x"))
	runs := 0
	CompareEngines(b, func(b *testing.B) float64 {
		if b.N < iterations {
			return 1000
		}
		runs++
		if mode == "fail" && runs == 2 {
			b.Error("SQLite's run failed")
		}
		return []float64{8, 3, 2}[(runs-1)%3]
	}, func(*testing.B) float64 { return 6 })
}

// TestCompareEnginesReportsTheRatio runs BenchmarkCompareEngines in a
// child test binary, 3 times (-count 3): SQLite's sub-benchmark runs first
// and each of PostgreSQL's runs reports 6 ÷ the median of SQLite's; with
// SQLite's filtered out, or failed, no ratio is reported.
func TestCompareEnginesReportsTheRatio(t *testing.T) {
	ratio := regexp.MustCompile(`(?m)^BenchmarkCompareEngines/engine=postgresql\S*\s.*\s(\S+) ` + regexp.QuoteMeta(RatioUnit) + `\b`)
	for _, c := range []struct {
		name, mode, bench string
		want              string // the ratio printed by each run; "": none
	}{
		{"both engines", "1x", "^BenchmarkCompareEngines$", "2"},
		{"calls to find b.N do not count", "3x", "^BenchmarkCompareEngines$", "2"},
		{"postgresql alone", "1x", "^BenchmarkCompareEngines$/engine=postgresql", ""},
		{"sqlite failed", "fail", "^BenchmarkCompareEngines$", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			benchtime := c.mode
			if c.mode == "fail" {
				benchtime = "1x"
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench="+c.bench, "-test.benchtime="+benchtime, "-test.count=3")
			cmd.Env = append(os.Environ(), compareChildEnv+"="+c.mode)
			out, err := cmd.CombinedOutput()
			// A failed run does not always fail the binary (not when
			// -count repeats it), so only the ratio tells.
			if err != nil && c.mode != "fail" {
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
			if len(got) != 3 {
				t.Fatalf("%d ratios in the output, want one a run (3):\n%s", len(got), out)
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
