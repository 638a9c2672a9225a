package storage

import (
	"cmp"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// facts is a schema said as lines, one fact each ("column events.priority
// integer not null default 2"), worded the same way for SQLite and
// PostgreSQL, so that comparing two schemas is comparing two sets of lines.
// schema_sqlite_test.go and schema_postgres_test.go read them from each
// engine's catalog.
type facts map[string]bool

// factKinds are the first words of the facts. A reader that misses a kind
// finds nothing of it on either side, so the test requires SQLite's schema
// to have each kind.
var factKinds = []string{"table", "column", "primary key", "unique", "foreign key", "index", "check"}

// addTable records a table's columns in order.
func (f facts) addTable(table string, columns []string) {
	f[fmt.Sprintf("table %s (%s)", table, strings.Join(columns, ", "))] = true
}

// addColumn records a column: its broad class (integer, text, real, blob;
// anything else is named with its engine), whether it is NOT NULL, its
// default (the SQL, without PostgreSQL's casts) and whether the database
// assigns it (SQLite's rowid, PostgreSQL's identity).
func (f facts) addColumn(table, name, class string, notNull bool, def sql.NullString, assigned bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "column %s.%s %s", table, name, class)
	if notNull {
		b.WriteString(" not null")
	}
	if def.Valid {
		b.WriteString(" default " + normExpr(def.String))
	}
	if assigned {
		b.WriteString(" assigned by the database")
	}
	f[b.String()] = true
}

// addKey records a primary key or a UNIQUE constraint ("primary key",
// "unique") on columns, in order.
func (f facts) addKey(kind, table, columns string) {
	f[fmt.Sprintf("%s %s (%s)", kind, table, columns)] = true
}

// addForeignKey records a foreign key with its actions, in lower case
// ("cascade", "no action").
func (f facts) addForeignKey(table, columns, parent, parentColumns, onUpdate, onDelete string) {
	f[fmt.Sprintf("foreign key %s (%s) references %s (%s) on update %s on delete %s",
		table, columns, parent, parentColumns, strings.ToLower(onUpdate), strings.ToLower(onDelete))] = true
}

// addIndex records an index made by CREATE INDEX (not one that backs a key)
// with its name, columns, uniqueness and predicate.
func (f facts) addIndex(table, name, columns string, unique bool, where string) {
	line := fmt.Sprintf("index %s.%s (%s)", table, name, columns)
	if unique {
		line += " unique"
	}
	if where != "" {
		line += " where " + normExpr(where)
	}
	f[line] = true
}

// addCheck records a CHECK by the columns it names (sorted) and the
// literals it holds (sorted): "kind IN ('a', 'b')", "kind = 'a' OR kind =
// 'b'" and PostgreSQL's "kind = ANY (ARRAY['a'::text, 'b'::text])" are
// the same fact, and a value missing from one engine's list is not.
func (f facts) addCheck(table string, columns []string, expr string) {
	slices.Sort(columns)
	strs := stringLiteral.FindAllString(expr, -1)
	lits := append(strs, number.FindAllString(stringLiteral.ReplaceAllString(expr, " "), -1)...)
	slices.Sort(lits)
	f[fmt.Sprintf("check %s (%s): %s", table, strings.Join(columns, ", "), strings.Join(slices.Compact(lits), " "))] = true
}

var (
	stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)
	number        = regexp.MustCompile(`\b\d+(?:\.\d+)?\b`)
	identifier    = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)
	pgCast        = regexp.MustCompile(`::[a-z_]+(?: precision| varying)?`)
)

// normExpr writes an expression (a default, an index's predicate) the way
// both engines can agree on: without PostgreSQL's casts ('new'::text), on
// one line, without parentheses around the whole of it.
func normExpr(s string) string {
	s = strings.Join(strings.Fields(pgCast.ReplaceAllString(s, "")), " ")
	for strings.HasPrefix(s, "(") && closing(maskStrings(s), 0) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// columnsIn lists the columns among names that expr names, outside its
// string literals.
func columnsIn(expr string, names []string) []string {
	var out []string
	for _, w := range identifier.FindAllString(stringLiteral.ReplaceAllString(expr, " "), -1) {
		if slices.Contains(names, w) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// maskStrings replaces the inside of every string literal of s by x, byte
// for byte, so that keywords and parentheses can be looked for in s
// without finding those of a literal, at the same offsets.
func maskStrings(s string) string {
	b := []byte(s)
	in := false
	for i, c := range b {
		switch {
		case c == '\'':
			in = !in // '' inside a literal closes and reopens it: still masked
		case in:
			b[i] = 'x'
		}
	}
	return string(b)
}

// closing is the offset of the parenthesis that closes the one at open in
// masked (a maskStrings result), or -1.
func closing(masked string, open int) int {
	depth := 0
	for i := open; i < len(masked); i++ {
		switch masked[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// diffFacts lists the facts only SQLite has ("- …") and those only
// PostgreSQL has ("+ …"), sorted by what they are about, SQLite's first,
// so that the two sides of one difference stand together.
func diffFacts(sqlite, postgres facts) []string {
	var out []string
	for f := range sqlite {
		if !postgres[f] {
			out = append(out, "- "+f)
		}
	}
	for f := range postgres {
		if !sqlite[f] {
			out = append(out, "+ "+f)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(strings.Compare(subject(a[2:]), subject(b[2:])), -strings.Compare(a[:1], b[:1]), strings.Compare(a, b))
	})
	return out
}

// subject is what a fact is about: its kind and the word after it
// ("column events.payload", "index classes.classes_academie").
func subject(fact string) string {
	for _, kind := range factKinds {
		if rest, ok := strings.CutPrefix(fact, kind+" "); ok {
			name, _, _ := strings.Cut(rest, " ")
			return kind + " " + name
		}
	}
	return fact
}
