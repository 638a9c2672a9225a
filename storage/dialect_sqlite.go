package storage

// SQLite's words for what the engines say differently (see dialect.go);
// PostgreSQL's are in dialect_postgres.go, under the same names.

// sqliteJSONInt is the integer at key of the JSON object in column col.
func sqliteJSONInt(col, key string) string { return `json_extract(` + col + `, '$.` + key + `')` }

// sqliteJSONElements are the elements of the JSON array in param, texts or
// integers alike.
func sqliteJSONElements(param string) string { return `SELECT value FROM json_each(` + param + `)` }

func sqliteJSONArrayOf(expr string) string { return `json_group_array(` + expr + `)` }

func sqliteJSONObject(pairs string) string { return `json_object(` + pairs + `)` }

// sqliteSkipLocked is nothing: SQLite locks the whole database for its one
// writer, so no other claim can read the rows this one takes.
func sqliteSkipLocked(string) string { return "" }
