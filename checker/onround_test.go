package checker

import (
	"path/filepath"
	"testing"

	"sentinelle/catalog"
)

// TestOnRoundSeesEveryRound checks the hook /metrics is fed from: called
// once per recorded round, with one result per service.
func TestOnRoundSeesEveryRound(t *testing.T) {
	cat := testCatalog(t, catalog.Service{ID: "monlycee", URL: okServer(t)}, catalog.Service{ID: "lumni", URL: okServer(t), National: true})
	c := newClock()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"), c)
	defer st.Close()
	var reports []RoundReport
	r := newRunner(t, cat, st, c, nil, func(o *Options) { o.OnRound = func(rep RoundReport) { reports = append(reports, rep) } })
	round(t, r, c)
	round(t, r, c)
	if len(reports) != 2 {
		t.Fatalf("OnRound called %d times for 2 rounds", len(reports))
	}
	if got := len(reports[1].Results); got != 2 {
		t.Fatalf("report has %d results, want 2", got)
	}
	if reports[0].RoundID == 0 || reports[0].RoundID == reports[1].RoundID {
		t.Fatalf("round ids %d and %d: want two recorded rounds", reports[0].RoundID, reports[1].RoundID)
	}
}
