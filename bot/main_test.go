package bot

import (
	"os"
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of bot's tests.
var pg pgtest.Server

func TestMain(m *testing.M) { os.Exit(pg.RunTests(m)) }
