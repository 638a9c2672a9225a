package storage

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sentinelle/status"
)

// sqlKindRe finds an event kind written in SQL: kind = 'x', kind IN ('x', 'y').
var sqlKindRe = regexp.MustCompile(`\bkind\s*(?:=|IN)\s*(\('[^)]*\)|'[^']*')`)

// sqlKinds lists the kinds of an SQL list or literal: ('a', 'b') or 'a'.
func sqlKinds(list string) []status.Kind {
	var out []status.Kind
	for _, f := range strings.Split(strings.Trim(list, "()"), ",") {
		out = append(out, status.Kind(strings.Trim(strings.TrimSpace(f), "'")))
	}
	return out
}

// TestServiceKindsSQL: the SQL list of service kinds is exactly the kinds
// status.Kind.IsService says.
func TestServiceKindsSQL(t *testing.T) {
	var want []status.Kind
	for _, k := range status.AllKinds() {
		if k.IsService() {
			want = append(want, k)
		}
	}
	if got := sqlKinds(serviceKindsSQL); !slices.Equal(got, want) {
		t.Errorf("serviceKindsSQL lists %v, want the service kinds %v", got, want)
	}
}

// TestSQLKindsAreStatusKinds: every event kind written in this package's
// SQL (and storagetest's) is a kind of package status, so that a renamed or
// mistyped kind cannot match nothing in silence. Queries about chats (whose
// kind is private, group…) are left out.
func TestSQLKindsAreStatusKinds(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("storagetest/*.go")
	seen := 0
	for _, name := range append(files, more...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		for _, lit := range stringLiterals(t, name) {
			if !strings.Contains(lit, "events") && !strings.Contains(lit, "e.kind") {
				continue // not about events: chats.kind is another vocabulary
			}
			for _, m := range sqlKindRe.FindAllStringSubmatch(lit, -1) {
				for _, k := range sqlKinds(m[1]) {
					seen++
					if !slices.Contains(status.AllKinds(), k) {
						t.Errorf("%s: SQL %q names kind %q, not a status.Kind", name, m[0], k)
					}
				}
			}
		}
	}
	if seen < 5 {
		t.Errorf("found %d kinds in the SQL of storage; the scan is broken", seen)
	}
}

// stringLiterals returns the values of the string literals of a Go file.
func stringLiterals(t *testing.T, name string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, v)
			}
		}
		return true
	})
	return out
}

// TestClassAudienceSQL: the audience SQL writes for a class is the one
// status writes, so that forgetting a teacher deletes their notices.
func TestClassAudienceSQL(t *testing.T) {
	engines(t, func(t *testing.T, s *Store) {
		for _, id := range []int64{1, 42, 9007199254740993} {
			var got string
			if err := s.r.QueryRowContext(context.Background(), `SELECT `+classAudienceSQL+` FROM (SELECT CAST(? AS BIGINT) AS id) AS c`, id).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := status.AudienceClass(id).String(); got != want {
				t.Errorf("SQL audience of class %d: %q, want %q", id, got, want)
			}
		}
	})
}

// TestEventAudienceStored: an event's audience is stored in its string
// form and read back as it was; one that cannot be read comes back zero,
// without failing the read, so that the dispatcher abandons that event
// alone.
func TestEventAudienceStored(t *testing.T) {
	ctx := context.Background()
	engines(t, func(t *testing.T, s *Store) {
		for i, a := range []status.Audience{status.AudienceAll(), status.AudienceService("ent"),
			status.AudienceAcademie("versailles"), status.AudienceClass(7), status.AudienceChat(-100123)} {
			id := mustInsert(t, s, NewEvent{DedupKey: fmt.Sprint("k", i), Kind: status.KindAnnouncement,
				Priority: PriorityNotice, Audience: a})
			var stored string
			if err := s.r.QueryRowContext(ctx, `SELECT audience FROM events WHERE id = ?`, id).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			e, err := s.Event(ctx, id)
			if err != nil || stored != a.String() || e.Audience != a {
				t.Errorf("audience %q: stored %q, read %#v, %v", a, stored, e.Audience, err)
			}
		}
		id := mustInsert(t, s, NewEvent{DedupKey: "bad", Kind: status.KindAnnouncement, Priority: PriorityNotice,
			Audience: status.AudienceAll()})
		inTx(t, s, func(ctx context.Context, tx *Tx) error {
			_, err := tx.tx.ExecContext(ctx, `UPDATE events SET audience = 'planet:mars' WHERE id = ?`, id)
			return err
		})
		if e, err := s.Event(ctx, id); err != nil || !e.Audience.IsZero() {
			t.Errorf("unreadable audience: read %#v, %v; want the zero audience and no error", e.Audience, err)
		}
	})
}
