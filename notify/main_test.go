package notify

import (
	"os"
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of the tests that run on both
// engines (the rule tests, the handovers): started by the first test that
// asks it for a database, stopped when they all ended.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.RunTests(m)) }
