package notify

import (
	"os"
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of the handover tests; it starts
// only when one of them asks for a database.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.RunTests(m)) }
