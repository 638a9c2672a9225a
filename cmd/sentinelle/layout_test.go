package main

import (
	"os/exec"
	"strings"
	"testing"
)

// allowedImports is the house rule of STYLE.md: imports go one way, from
// cmd towards the leaves. A package not listed may import no project package.
var allowedImports = map[string][]string{
	"sentinelle/checker": {"sentinelle/storage", "sentinelle/catalog"},
	"sentinelle/notify":  {"sentinelle/storage", "sentinelle/catalog", "sentinelle/telegram"},
	"sentinelle/bot":     {"sentinelle/storage", "sentinelle/catalog", "sentinelle/telegram"},
	"sentinelle/web":     {"sentinelle/storage", "sentinelle/catalog"},
}

// testOnlyImports are allowed in _test.go files on top of the rule above:
// the fake Bot API and the client every delivery test talks through.
var testOnlyImports = []string{"sentinelle/telegram/telegramtest", "sentinelle/telegram", "sentinelle/bot"}

// TestImportRule fails when a forbidden import between project packages
// appears, for example notify importing bot or storage importing catalog.
func TestImportRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`,
		"sentinelle/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("unexpected go list line %q", line)
		}
		pkg := parts[0]
		seen++
		if err := checkImports(pkg, strings.Fields(parts[1]), strings.Fields(parts[2])); err != "" {
			t.Error(err)
		}
	}
	if seen < 3 {
		t.Fatalf("go list saw %d packages; the rule checked nothing", seen)
	}
}

// checkImports returns a message when pkg imports a project package it may
// not; an empty string means the imports follow the rule.
func checkImports(pkg string, imports, testImports []string) string {
	if strings.HasPrefix(pkg, "sentinelle/cmd/") {
		return ""
	}
	allowed := map[string]bool{}
	for _, a := range allowedImports[pkg] {
		allowed[a] = true
	}
	for _, imp := range imports {
		if isProject(imp) && !allowed[imp] && !strings.HasPrefix(imp, pkg+"/") {
			return pkg + " imports " + imp + ": forbidden by the layout rule (STYLE.md)"
		}
	}
	for _, a := range testOnlyImports {
		allowed[a] = true
	}
	for _, imp := range testImports {
		if isProject(imp) && !allowed[imp] && imp != pkg && !strings.HasPrefix(imp, pkg+"/") {
			return pkg + " tests import " + imp + ": forbidden by the layout rule (STYLE.md)"
		}
	}
	return ""
}

func isProject(imp string) bool { return imp == "sentinelle" || strings.HasPrefix(imp, "sentinelle/") }

func TestCheckImportsCatchesViolations(t *testing.T) {
	tests := []struct {
		name        string
		pkg         string
		imports     []string
		testImports []string
		wantErr     bool
	}{
		{"storage leaf", "sentinelle/storage", []string{"database/sql"}, nil, false},
		{"storage imports catalog", "sentinelle/storage", []string{"sentinelle/catalog"}, nil, true},
		{"notify imports bot", "sentinelle/notify", []string{"sentinelle/bot"}, nil, true},
		{"bot imports notify", "sentinelle/bot", []string{"sentinelle/notify"}, nil, true},
		{"checker imports bot", "sentinelle/checker", []string{"sentinelle/bot"}, nil, true},
		{"checker uses storage", "sentinelle/checker", []string{"sentinelle/storage", "sentinelle/catalog"}, nil, false},
		{"notify tests use the fake", "sentinelle/notify", nil, []string{"sentinelle/telegram/telegramtest", "sentinelle/bot"}, false},
		{"web tests import checker", "sentinelle/web", nil, []string{"sentinelle/checker"}, true},
		{"catalog imports storage", "sentinelle/catalog", []string{"sentinelle/storage"}, nil, true},
		{"cmd imports all", "sentinelle/cmd/sentinelle", []string{"sentinelle/bot", "sentinelle/notify"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkImports(tt.pkg, tt.imports, tt.testImports)
			if (got != "") != tt.wantErr {
				t.Fatalf("checkImports = %q, want error: %v", got, tt.wantErr)
			}
		})
	}
}
