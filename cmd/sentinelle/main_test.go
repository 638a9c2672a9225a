package main

import (
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of this package's tests that run
// instances on PostgreSQL.
var pg pgtest.Server

func TestMain(m *testing.M) { pg.RunTests(m) }
