package leader

import (
	"fmt"
	"os"
	"testing"

	"sentinelle/storage/pgtest"
)

// pg is the throwaway PostgreSQL server of leader's tests.
var pg pgtest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	if err := pg.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}
