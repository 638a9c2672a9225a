package main

import (
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestEmbedsTimeZones: the binary carries the tz database (time/tzdata),
// so that the académies' time zones (Indian/Reunion, Pacific/Noumea…) and
// TIMEZONE load on a machine without zoneinfo, such as a scratch container.
// A machine with zoneinfo cannot show its absence at run time, hence the
// check on main.go's imports.
func TestEmbedsTimeZones(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "time/tzdata" {
			return
		}
	}
	t.Error(`main.go does not import _ "time/tzdata": time zones would fail to load on a machine without zoneinfo`)
}
