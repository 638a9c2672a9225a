package storage

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strings"
)

// callerAssigned are the INTEGER PRIMARY KEY columns of SQLite (which
// could assign them, as rowids) that Sentinelle always gives: they are no
// identity in PostgreSQL.
var callerAssigned = map[string]bool{
	"chats.chat_id":             true, // a Telegram chat id
	"schema_migrations.version": true, // the migration's number
}

// sqliteFacts reads the schema of a SQLite database from its catalog:
// sqlite_master and the pragmas table_info, index_list, index_info and
// foreign_key_list. CHECKs have no pragma: they are read from the CREATE
// TABLE text sqlite_master keeps (ALTER TABLE … ADD COLUMN adds to it).
func sqliteFacts(ctx context.Context, db *sql.DB) (facts, error) {
	var tables [][2]string
	err := queryEach(ctx, db, "sqlite tables", func(rows *sql.Rows) error {
		var t [2]string
		err := rows.Scan(&t[0], &t[1])
		tables = append(tables, t)
		return err
	}, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	f := facts{}
	for _, t := range tables {
		columns, err := sqliteColumns(ctx, db, f, t[0], t[1])
		if err == nil {
			err = sqliteIndexes(ctx, db, f, t[0])
		}
		if err == nil {
			err = sqliteForeignKeys(ctx, db, f, t[0])
		}
		if err != nil {
			return nil, err
		}
		masked := maskStrings(t[1])
		for _, loc := range sqliteCheck.FindAllStringIndex(masked, -1) {
			open := loc[1] - 1
			if end := closing(masked, open); end > 0 {
				expr := t[1][open+1 : end]
				f.addCheck(t[0], columnsIn(expr, columns), expr)
			}
		}
	}
	return f, nil
}

var (
	sqliteCheck        = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	sqliteWithoutRowid = regexp.MustCompile(`(?i)\bWITHOUT\s+ROWID\b`)
	sqliteWhere        = regexp.MustCompile(`(?i)\bWHERE\b`)
)

// sqliteColumns records a table, its columns and its primary key, and
// returns the column names in order.
func sqliteColumns(ctx context.Context, db *sql.DB, f facts, table, createSQL string) ([]string, error) {
	type column struct {
		name, typ string
		notNull   bool
		def       sql.NullString
		pk        int // position in the primary key, from 1; 0: not in it
	}
	var cols []column
	err := queryEach(ctx, db, "sqlite columns of "+table, func(rows *sql.Rows) error {
		var c column
		err := rows.Scan(&c.name, &c.typ, &c.notNull, &c.def, &c.pk)
		cols = append(cols, c)
		return err
	}, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	var names []string
	key := map[int]string{}
	for _, c := range cols {
		names = append(names, c.name)
		if c.pk > 0 {
			key[c.pk] = c.name
		}
	}
	for _, c := range cols {
		// The rowid alias: a single INTEGER primary key of a rowid table.
		rowid := c.pk > 0 && len(key) == 1 && strings.EqualFold(c.typ, "INTEGER") && !sqliteWithoutRowid.MatchString(createSQL)
		// A key column counts as NOT NULL, as in PostgreSQL, although
		// SQLite lets a rowid table's TEXT key hold NULL.
		f.addColumn(table, c.name, sqliteClass(c.typ), c.notNull || c.pk > 0, c.def, rowid && !callerAssigned[table+"."+c.name])
	}
	f.addTable(table, names)
	if len(key) > 0 {
		pk := make([]string, len(key))
		for i, name := range key {
			pk[i-1] = name
		}
		f.addKey("primary key", table, strings.Join(pk, ", "))
	}
	return names, nil
}

// sqliteClass is the broad class of a STRICT column's type.
func sqliteClass(typ string) string {
	switch strings.ToUpper(typ) {
	case "INTEGER", "TEXT", "REAL", "BLOB":
		return strings.ToLower(typ)
	}
	return "sqlite " + typ
}

// sqliteIndexes records a table's UNIQUE constraints and the indexes made by
// CREATE INDEX, with their predicate from the CREATE INDEX text. The
// primary key's index is the primary key fact.
func sqliteIndexes(ctx context.Context, db *sql.DB, f facts, table string) error {
	type index struct {
		name, origin, sql string
		unique            bool
	}
	var indexes []index
	err := queryEach(ctx, db, "sqlite indexes of "+table, func(rows *sql.Rows) error {
		var ix index
		err := rows.Scan(&ix.name, &ix.unique, &ix.origin, &ix.sql)
		indexes = append(indexes, ix)
		return err
	}, `SELECT il.name, il."unique", il.origin, COALESCE(m.sql, '') FROM pragma_index_list(?) il
		LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name`, table)
	if err != nil {
		return err
	}
	for _, ix := range indexes {
		cols, err := queryAll(ctx, db, "sqlite columns of index "+ix.name, scanValue[string],
			`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.name)
		if err != nil {
			return err
		}
		switch ix.origin {
		case "u":
			f.addKey("unique", table, strings.Join(cols, ", "))
		case "c":
			var where string
			if loc := sqliteWhere.FindStringIndex(maskStrings(ix.sql)); loc != nil {
				where = ix.sql[loc[1]:]
			}
			f.addIndex(table, ix.name, strings.Join(cols, ", "), ix.unique, where)
		}
	}
	return nil
}

// sqliteForeignKeys records a table's foreign keys. A foreign key that names
// no parent columns refers to the parent's primary key.
func sqliteForeignKeys(ctx context.Context, db *sql.DB, f facts, table string) error {
	type foreignKey struct {
		parent, onUpdate, onDelete string
		cols, parentCols           []string
	}
	byID := map[int]*foreignKey{}
	var ids []int
	err := queryEach(ctx, db, "sqlite foreign keys of "+table, func(rows *sql.Rows) error {
		var id int
		var parent, from, onUpdate, onDelete string
		var to sql.NullString
		if err := rows.Scan(&id, &parent, &from, &to, &onUpdate, &onDelete); err != nil {
			return err
		}
		fk := byID[id]
		if fk == nil {
			fk = &foreignKey{parent: parent, onUpdate: onUpdate, onDelete: onDelete}
			byID[id] = fk
			ids = append(ids, id)
		}
		fk.cols = append(fk.cols, from)
		if to.Valid {
			fk.parentCols = append(fk.parentCols, to.String)
		}
		return nil
	}, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table)
	if err != nil {
		return err
	}
	slices.Sort(ids)
	for _, id := range ids {
		fk := byID[id]
		if len(fk.parentCols) == 0 {
			fk.parentCols, err = queryAll(ctx, db, "sqlite primary key of "+fk.parent, scanValue[string],
				`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, fk.parent)
			if err != nil {
				return err
			}
		}
		f.addForeignKey(table, strings.Join(fk.cols, ", "), fk.parent, strings.Join(fk.parentCols, ", "), fk.onUpdate, fk.onDelete)
	}
	return nil
}
