package notify

import (
	"os"
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of notify's tests.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.RunTests(m)) }
