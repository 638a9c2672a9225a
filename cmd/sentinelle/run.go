package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Sentinelle surveille les ENT et prévient les familles sur Telegram.

Usage :
  sentinelle [run]        démarre le service (vérifications, bot, page d'état)
  sentinelle catalog      vérifie le catalogue et liste académies et services
  sentinelle check [--json] [académie…]  vérifie les services maintenant, sans rien enregistrer ni envoyer
  sentinelle backup <fichier>   copie cohérente de la base SQLite, service en marche (n'écrase rien ; PostgreSQL : pg_dump)
  sentinelle healthcheck [-readyz]   interroge /healthz (ou /readyz) du service en marche : code 0 s'il répond ok, 1 sinon
  sentinelle version      affiche la version
  sentinelle help         affiche cette aide

La configuration vient des variables d'environnement et du fichier .env du
répertoire courant (voir .env.example).
`

// run is the whole program: main only exits with its result. It turns
// SIGINT and SIGTERM into the cancellation of ctx.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cmd, rest := "run", []string(nil)
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "run":
		return withConfig(rest, "run", lookupEnv, stderr, func(cfg Config) int { return serve(ctx, cfg, stdout, stderr) })
	case "catalog":
		return withConfig(rest, "catalog", lookupEnv, stderr, func(cfg Config) int { return printCatalog(cfg, stdout, stderr) })
	case "check":
		return runCheck(ctx, rest, lookupEnv, stdout, stderr)
	case "backup":
		return runBackup(ctx, rest, lookupEnv, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, rest, lookupEnv, stderr)
	case "version", "--version", "-version":
		if len(rest) > 0 {
			return badUsage(stderr, fmt.Sprintf("argument inattendu : %s", rest[0]))
		}
		fmt.Fprintf(stdout, "sentinelle %s\n", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		if strings.HasPrefix(cmd, "-") {
			return badUsage(stderr, fmt.Sprintf("option inconnue : %s", cmd))
		}
		return badUsage(stderr, fmt.Sprintf("commande inconnue : %s", cmd))
	}
}

// badUsage prints the reason and the usage text, and returns exit code 2.
func badUsage(stderr io.Writer, reason string) int {
	fmt.Fprintf(stderr, "sentinelle : %s\n\n%s", reason, usage)
	return 2
}

// withConfig parses the subcommand's (empty) flag set, loads the
// configuration and hands it to fn. Configuration errors exit with 2.
func withConfig(args []string, name string, lookupEnv func(string) (string, bool), stderr io.Writer, fn func(Config) int) int {
	return withFlags(flag.NewFlagSet(name, flag.ContinueOnError), args, lookupEnv, stderr, fn)
}

// withFlags is withConfig for a subcommand with flags: fs, whose values
// fn reads. It takes no argument but flags.
func withFlags(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool), stderr io.Writer, fn func(Config) int) int {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			return 0
		}
		return badUsage(stderr, err.Error())
	}
	if fs.NArg() > 0 {
		return badUsage(stderr, fmt.Sprintf("argument inattendu : %s", fs.Arg(0)))
	}
	cfg, ok := loadConfig(lookupEnv, stderr)
	if !ok {
		return 2
	}
	return fn(cfg)
}

// loadConfig reads .env and the environment, and prints every problem.
func loadConfig(lookupEnv func(string) (string, bool), stderr io.Writer) (Config, bool) {
	lookup, err := EnvLookup(lookupEnv, ".env")
	if err != nil {
		fmt.Fprintf(stderr, "sentinelle : %v\n", err)
		return Config{}, false
	}
	cfg, err := LoadConfig(lookup)
	if err != nil {
		fmt.Fprintln(stderr, "sentinelle : configuration invalide :")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "  - %s\n", line)
		}
		return Config{}, false
	}
	return cfg, true
}

// newLogger builds the one logger of the process.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
