package storage

import (
	"context"
	"database/sql"
	"strings"
)

// postgresFacts reads the schema of the current schema of a PostgreSQL
// database from pg_catalog: tables (pg_class), columns (pg_attribute,
// pg_attrdef, pg_collation), constraints (pg_constraint) and the indexes
// that back no constraint (pg_index). q may be a transaction, which sees
// its own changes.
func postgresFacts(ctx context.Context, q querier) (facts, error) {
	tables, err := queryAll(ctx, q, "postgres tables", scanValue[string],
		`SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' ORDER BY relname`)
	if err != nil {
		return nil, err
	}
	f := facts{}
	for _, t := range tables {
		err := postgresColumns(ctx, q, f, t)
		if err == nil {
			err = postgresConstraints(ctx, q, f, t)
		}
		if err == nil {
			err = postgresIndexes(ctx, q, f, t)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// postgresColumns records a table and its columns.
func postgresColumns(ctx context.Context, q querier, f facts, table string) error {
	var names []string
	err := queryEach(ctx, q, "postgres columns of "+table, func(rows *sql.Rows) error {
		var name, typ, collation string
		var notNull, identity bool
		var def sql.NullString
		if err := rows.Scan(&name, &typ, &notNull, &def, &identity, &collation); err != nil {
			return err
		}
		names = append(names, name)
		f.addColumn(table, name, postgresClass(typ, collation), notNull, def, identity)
		return nil
	}, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
			a.attidentity IN ('a', 'd'), COALESCE(co.collname, '')
		FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, table)
	f.addTable(table, names)
	return err
}

// postgresClass is the broad class of a column's type, as SQLite's STRICT
// types name them: BIGINT is integer, and TEXT is text only with the "C"
// collation (SQLite's byte order); anything else is named as PostgreSQL
// names it, and differs.
func postgresClass(typ, collation string) string {
	switch {
	case typ == "bigint":
		return "integer"
	case typ == "text" && collation == "C":
		return "text"
	case typ == "text":
		return `postgres text collate "` + collation + `"`
	case typ == "double precision":
		return "real"
	case typ == "bytea":
		return "blob"
	}
	return "postgres " + typ
}

// postgresConstraints records a table's primary key, UNIQUE constraints,
// foreign keys and CHECKs.
func postgresConstraints(ctx context.Context, q querier, f facts, table string) error {
	return queryEach(ctx, q, "postgres constraints of "+table, func(rows *sql.Rows) error {
		var kind, cols, parent, parentCols, onUpdate, onDelete, def string
		if err := rows.Scan(&kind, &cols, &parent, &parentCols, &onUpdate, &onDelete, &def); err != nil {
			return err
		}
		switch kind {
		case "p":
			f.addKey("primary key", table, cols)
		case "u":
			f.addKey("unique", table, cols)
		case "f":
			f.addForeignKey(table, cols, parent, parentCols, postgresAction(onUpdate), postgresAction(onDelete))
		case "c":
			f.addCheck(table, strings.Split(cols, ", "), strings.TrimPrefix(def, "CHECK "))
		default:
			f.addKey("postgres constraint "+kind, table, cols)
		}
		return nil
	}, `SELECT con.contype::text, `+postgresColumnNames("con.conkey", "con.conrelid")+`,
			CASE WHEN con.confrelid = 0 THEN '' ELSE con.confrelid::regclass::text END,
			`+postgresColumnNames("con.confkey", "con.confrelid")+`,
			con.confupdtype::text, con.confdeltype::text, pg_get_constraintdef(con.oid)
		FROM pg_constraint con WHERE con.conrelid = $1::regclass`, table)
}

// postgresColumnNames is the SQL of the names, in order and joined by ", ",
// of the columns numbered by the array attnums of the table relid.
func postgresColumnNames(attnums, relid string) string {
	return `array_to_string(ARRAY(SELECT a.attname FROM unnest(` + attnums + `) WITH ORDINALITY k(n, i)
		JOIN pg_attribute a ON a.attrelid = ` + relid + ` AND a.attnum = k.n ORDER BY k.i), ', ')`
}

// postgresAction words pg_constraint's action codes as SQLite does.
func postgresAction(code string) string {
	switch code {
	case "a":
		return "no action"
	case "r":
		return "restrict"
	case "c":
		return "cascade"
	case "n":
		return "set null"
	case "d":
		return "set default"
	}
	return code
}

// postgresIndexes records the indexes of a table made by CREATE INDEX, not
// those that back its primary key or a UNIQUE constraint.
func postgresIndexes(ctx context.Context, q querier, f facts, table string) error {
	return queryEach(ctx, q, "postgres indexes of "+table, func(rows *sql.Rows) error {
		var name, cols, where string
		var unique bool
		if err := rows.Scan(&name, &unique, &cols, &where); err != nil {
			return err
		}
		f.addIndex(table, name, cols, unique, where)
		return nil
	}, `SELECT i.relname, ix.indisunique, `+postgresColumnNames("ix.indkey::int2[]", "ix.indrelid")+`,
			COALESCE(pg_get_expr(ix.indpred, ix.indrelid), '')
		FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
		WHERE ix.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c
			WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u'))`, table)
}
