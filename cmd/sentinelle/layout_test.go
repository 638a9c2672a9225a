package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedImports is the house rule of STYLE.md: imports go one way, from
// cmd towards the leaves. A package not listed may import no project
// package (its own subpackages and the leaves for all aside): storage,
// catalog, telegram and telegram/telegramtest are leaves. bot and notify share the Telegram
// client and never import each other. leader, the election of one
// instance among several, is a leaf above storage: it imports storage
// alone, and only cmd imports it (it gates the others from outside).
var allowedImports = map[string][]string{
	"sentinelle/checker": {"sentinelle/storage", "sentinelle/catalog"},
	"sentinelle/notify":  {"sentinelle/storage", "sentinelle/catalog", "sentinelle/telegram"},
	"sentinelle/bot":     {"sentinelle/storage", "sentinelle/catalog", "sentinelle/telegram"},
	"sentinelle/web":     {"sentinelle/storage", "sentinelle/catalog"},
	"sentinelle/leader":  {"sentinelle/storage"},
}

// leavesForAll are leaves that every package may import: french writes
// times, durations, numbers and typography for the bot, the status page
// and the command line; status is the shared vocabulary (states, reasons,
// event kinds, levels, audiences).
var leavesForAll = []string{"sentinelle/french", "sentinelle/status"}

// bareLeaves import no project package at all, not even the leaves for
// all, in their code or their tests: status is what everybody imports, so
// anything it imported would be imported by everybody.
var bareLeaves = map[string]bool{"sentinelle/status": true, "sentinelle/internal/logtest": true}

// testSupportForAll are the packages written for tests that every
// package's tests may import (logtest's log buffer); they are bare leaves.
// The other test support is allowed package by package (testOnlyImports).
var testSupportForAll = []string{"sentinelle/internal/logtest"}

// testOnlyImports are allowed in a package's _test.go files on top of the
// rule above: the fake Bot API for the two packages that talk to Telegram,
// storage's test support (storagetest) for the packages that read the
// database, the throwaway PostgreSQL server (pgtest) for storage's own
// tests, leader's, notify's (whose rule tests run on both engines) and
// bot's and notify's benchmarks that compare the engines,
// the checker for bot and web, whose tests record check rounds
// with checker.Record as the checker does (the checker never imports
// them), and, for notify alone, the real bot, which the reply-latency test
// runs against the dispatcher (bot's tests never import notify).
var testOnlyImports = map[string][]string{
	"sentinelle/notify":  {"sentinelle/telegram/telegramtest", "sentinelle/bot", "sentinelle/storage/storagetest", "sentinelle/storage/pgtest"},
	"sentinelle/bot":     {"sentinelle/telegram/telegramtest", "sentinelle/storage/storagetest", "sentinelle/checker", "sentinelle/storage/pgtest"},
	"sentinelle/web":     {"sentinelle/storage/storagetest", "sentinelle/checker"},
	"sentinelle/checker": {"sentinelle/storage/storagetest"},
	"sentinelle/storage": {"sentinelle/storage/storagetest", "sentinelle/storage/pgtest"},
	"sentinelle/leader":  {"sentinelle/storage/pgtest"},
}

// testSupport are the packages made for tests: no package imports them
// outside its _test.go files, not even their parent (whose own
// subpackages are otherwise allowed), nor cmd, so that they never reach
// the binary.
var testSupport = append([]string{"sentinelle/storage/storagetest", "sentinelle/storage/pgtest", "sentinelle/telegram/telegramtest"},
	testSupportForAll...)

// mustSee are packages the rule must have checked, so that a typo in the
// pattern or a moved package cannot make it pass by checking nothing.
var mustSee = []string{"sentinelle/telegram", "sentinelle/bot", "sentinelle/notify", "sentinelle/status", "sentinelle/internal/logtest", "sentinelle/leader"}

// TestImportRule fails when a forbidden import between project packages
// appears, for example notify importing bot or storage importing catalog.
func TestImportRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`,
		"sentinelle/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("unexpected go list line %q", line)
		}
		pkg := parts[0]
		seen[pkg] = true
		if err := checkImports(pkg, strings.Fields(parts[1]), strings.Fields(parts[2])); err != "" {
			t.Error(err)
		}
	}
	for _, pkg := range mustSee {
		if !seen[pkg] {
			t.Errorf("go list did not list %s; the rule did not check it", pkg)
		}
	}
}

// checkImports returns a message when pkg imports a project package it may
// not; an empty string means the imports follow the rule.
func checkImports(pkg string, imports, testImports []string) string {
	for _, imp := range imports {
		if slices.Contains(testSupport, imp) {
			return pkg + " imports " + imp + " outside its tests: it is test support (STYLE.md)"
		}
	}
	if strings.HasPrefix(pkg, "sentinelle/cmd/") {
		return ""
	}
	allowed := map[string]bool{}
	if !bareLeaves[pkg] {
		for _, a := range append(allowedImports[pkg], leavesForAll...) {
			allowed[a] = true
		}
	}
	for _, imp := range imports {
		if isProject(imp) && !allowed[imp] && !strings.HasPrefix(imp, pkg+"/") {
			return pkg + " imports " + imp + ": forbidden by the layout rule (STYLE.md)"
		}
	}
	for _, a := range append(testOnlyImports[pkg], testSupportForAll...) {
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
		{"bot tests use the fake", "sentinelle/bot", nil, []string{"sentinelle/telegram/telegramtest", "sentinelle/telegram"}, false},
		{"bot tests import notify", "sentinelle/bot", nil, []string{"sentinelle/notify"}, true},
		{"web tests use the fake", "sentinelle/web", nil, []string{"sentinelle/telegram/telegramtest"}, true},
		{"bot uses telegram", "sentinelle/bot", []string{"sentinelle/telegram", "sentinelle/storage"}, nil, false},
		{"notify uses telegram", "sentinelle/notify", []string{"sentinelle/telegram", "sentinelle/storage"}, nil, false},
		{"checker imports telegram", "sentinelle/checker", []string{"sentinelle/telegram"}, nil, true},
		{"web imports telegram", "sentinelle/web", []string{"sentinelle/telegram"}, nil, true},
		{"telegram leaf", "sentinelle/telegram", []string{"net/http", "github.com/go-telegram-bot-api/telegram-bot-api/v5"}, nil, false},
		{"telegram imports bot", "sentinelle/telegram", []string{"sentinelle/bot"}, nil, true},
		{"telegram imports storage", "sentinelle/telegram", []string{"sentinelle/storage"}, nil, true},
		{"telegram tests use their fake", "sentinelle/telegram", nil, []string{"sentinelle/telegram/telegramtest"}, false},
		{"telegram tests import bot", "sentinelle/telegram", nil, []string{"sentinelle/bot"}, true},
		{"the fake imports the client", "sentinelle/telegram/telegramtest", []string{"sentinelle/telegram"}, nil, true},
		{"web tests record rounds with the checker", "sentinelle/web", nil, []string{"sentinelle/checker"}, false},
		{"web imports checker", "sentinelle/web", []string{"sentinelle/checker"}, nil, true},
		{"bot tests record rounds with the checker", "sentinelle/bot", nil, []string{"sentinelle/checker"}, false},
		{"bot imports checker", "sentinelle/bot", []string{"sentinelle/checker"}, nil, true},
		{"notify tests import checker", "sentinelle/notify", nil, []string{"sentinelle/checker"}, true},
		{"catalog imports storage", "sentinelle/catalog", []string{"sentinelle/storage"}, nil, true},
		{"web uses french", "sentinelle/web", []string{"sentinelle/french"}, nil, false},
		{"french imports catalog", "sentinelle/french", []string{"sentinelle/catalog"}, nil, true},
		{"cmd imports all", "sentinelle/cmd/sentinelle", []string{"sentinelle/bot", "sentinelle/notify"}, nil, false},
		{"status leaf", "sentinelle/status", []string{"encoding/json", "strconv"}, nil, false},
		{"status imports storage", "sentinelle/status", []string{"sentinelle/storage"}, nil, true},
		{"status imports catalog", "sentinelle/status", []string{"sentinelle/catalog"}, nil, true},
		{"status imports french", "sentinelle/status", []string{"sentinelle/french"}, nil, true},
		{"status tests import catalog", "sentinelle/status", nil, []string{"sentinelle/catalog"}, true},
		{"storage uses status", "sentinelle/storage", []string{"sentinelle/status"}, nil, false},
		{"catalog uses status", "sentinelle/catalog", []string{"sentinelle/status"}, nil, false},
		{"checker uses status", "sentinelle/checker", []string{"sentinelle/status", "sentinelle/storage"}, nil, false},
		{"telegram uses status", "sentinelle/telegram", []string{"sentinelle/status"}, nil, false},
		{"web tests use status", "sentinelle/web", nil, []string{"sentinelle/status"}, false},
		{"storage tests use pgtest", "sentinelle/storage", nil, []string{"sentinelle/storage/pgtest", "sentinelle/storage/storagetest"}, false},
		{"storage imports pgtest", "sentinelle/storage", []string{"sentinelle/storage/pgtest"}, nil, true},
		{"storage imports storagetest", "sentinelle/storage", []string{"sentinelle/storage/storagetest"}, nil, true},
		{"pgtest imports storage", "sentinelle/storage/pgtest", []string{"sentinelle/storage"}, nil, true},
		{"notify tests use pgtest", "sentinelle/notify", nil, []string{"sentinelle/storage/pgtest"}, false},
		{"web tests use pgtest", "sentinelle/web", nil, []string{"sentinelle/storage/pgtest"}, true},
		{"bot tests use pgtest", "sentinelle/bot", nil, []string{"sentinelle/storage/pgtest"}, false},
		{"bot imports pgtest", "sentinelle/bot", []string{"sentinelle/storage/pgtest"}, nil, true},
		{"notify imports pgtest", "sentinelle/notify", []string{"sentinelle/storage/pgtest"}, nil, true},
		{"leader uses storage", "sentinelle/leader", []string{"sentinelle/storage"}, nil, false},
		{"leader tests use pgtest", "sentinelle/leader", nil, []string{"sentinelle/storage/pgtest", "sentinelle/storage"}, false},
		{"leader imports telegram", "sentinelle/leader", []string{"sentinelle/telegram"}, nil, true},
		{"storage imports leader", "sentinelle/storage", []string{"sentinelle/leader"}, nil, true},
		{"notify imports leader", "sentinelle/notify", []string{"sentinelle/leader"}, nil, true},
		{"cmd imports the fake Bot API", "sentinelle/cmd/sentinelle", []string{"sentinelle/telegram/telegramtest"}, nil, true},
		{"checker tests use logtest", "sentinelle/checker", nil, []string{"sentinelle/internal/logtest"}, false},
		{"cmd tests use logtest", "sentinelle/cmd/sentinelle", nil, []string{"sentinelle/internal/logtest"}, false},
		{"telegram tests use logtest", "sentinelle/telegram", nil, []string{"sentinelle/internal/logtest"}, false},
		{"status tests use logtest", "sentinelle/status", nil, []string{"sentinelle/internal/logtest"}, false},
		{"cmd imports logtest", "sentinelle/cmd/sentinelle", []string{"sentinelle/internal/logtest"}, nil, true},
		{"web imports logtest", "sentinelle/web", []string{"sentinelle/internal/logtest"}, nil, true},
		{"the fake imports logtest", "sentinelle/telegram/telegramtest", []string{"sentinelle/internal/logtest"}, nil, true},
		{"logtest imports status", "sentinelle/internal/logtest", []string{"sentinelle/status"}, nil, true},
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
