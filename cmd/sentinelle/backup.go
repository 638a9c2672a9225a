package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sentinelle/storage"
)

// runBackup is `sentinelle backup <file>`: a consistent copy of the
// database named by DATABASE_PATH, taken while the service runs (VACUUM
// INTO), checked, and written to file, which must not exist. It does not
// open the database as the service does, so a new binary run before an
// upgrade does not migrate the schema under the old service. With
// DATABASE_URL it refuses: PostgreSQL is backed up with pg_dump. Exit 0
// on success, 1 when the copy failed or file exists, 2 on a bad command
// line or configuration, or with DATABASE_URL.
func runBackup(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) != 1 || args[0] == "" {
		return badUsage(stderr, "backup attend un argument : le fichier où écrire la sauvegarde")
	}
	target := args[0]
	if strings.HasPrefix(target, "-") {
		return badUsage(stderr, fmt.Sprintf("option inconnue : %s (pour un fichier commençant par un tiret, écrivez ./%s)", target, target))
	}
	cfg, ok := loadConfig(lookupEnv, stderr)
	if !ok {
		return 2
	}
	if cfg.DatabaseURL != "" {
		fmt.Fprint(stderr, "sentinelle : backup copie la base SQLite (DATABASE_PATH) ; avec PostgreSQL (DATABASE_URL), "+
			"sauvegardez avec pg_dump, par exemple : pg_dump --format=custom --file=sentinelle.dump \"$DATABASE_URL\" "+
			"(avec DATABASE_URL_FILE : \"$(cat \"$DATABASE_URL_FILE\")\")\n")
		return 2
	}
	if st, err := os.Stat(cfg.DatabasePath); err != nil || st.IsDir() {
		fmt.Fprintf(stderr, "sentinelle : pas de base de données à sauvegarder en %s (DATABASE_PATH)\n", cfg.DatabasePath)
		return 1
	}
	err := storage.BackupFile(ctx, cfg.DatabasePath, target)
	switch {
	case errors.Is(err, storage.ErrBackupExists):
		fmt.Fprintf(stderr, "sentinelle : %s existe déjà : une sauvegarde n'écrase jamais un fichier, choisissez un autre nom\n", target)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "sentinelle : sauvegarde impossible : %v\n", err)
		return 1
	}
	size := int64(0)
	if st, err := os.Stat(target); err == nil {
		size = st.Size()
	}
	fmt.Fprintf(stdout, "Sauvegarde de %s écrite dans %s (%d Ko).\n", cfg.DatabasePath, target, (size+1023)/1024)
	return 0
}
