// Command sentinelle watches the French school portals (ENT), tells families
// on Telegram when they fail, and shows their state on a public page.
package main

import (
	"context"
	"os"
	_ "time/tzdata" // TIMEZONE works on machines without a zoneinfo database
)

func main() { os.Exit(run(context.Background(), os.Args, os.LookupEnv, os.Stdout, os.Stderr)) }
