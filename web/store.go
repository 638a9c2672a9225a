package web

import (
	"context"
	"time"

	"sentinelle/storage"
)

// Store is what the status page, the API and the feed read from the
// database, declared here where it is used so that another engine (or a
// test's fake) can stand in. Every method reads.
type Store interface {
	ServiceStates(ctx context.Context) ([]storage.ServiceState, error)
	LastRound(ctx context.Context) (storage.Round, error)
	LastJudgedRound(ctx context.Context) (storage.Round, error)
	LatestRounds(ctx context.Context, since time.Time) ([]storage.VantageRound, error)
	RecentResults(ctx context.Context, serviceID string, since time.Time) ([]storage.CheckResult, error)
	OpenIncidents(ctx context.Context) ([]storage.Incident, error)
	Incidents(ctx context.Context, f storage.IncidentFilter) ([]storage.Incident, error)
	IncidentSightings(ctx context.Context, incidents []storage.Incident, now time.Time) ([]storage.IncidentSighting, error)
	Uptime(ctx context.Context, serviceID string, from, to time.Time) (storage.UptimeTotals, error)
	DailyStates(ctx context.Context, serviceID string, days int, now time.Time) ([]storage.DayState, error)
	// Ping proves the database writable, for /readyz (at most every 10 s).
	Ping(ctx context.Context) error
}

// metricsStore is what /metrics reads from the database at scrape time.
type metricsStore interface {
	ServiceStates(ctx context.Context) ([]storage.ServiceState, error)
	OutboxDepth(ctx context.Context) ([3]int, error)
	OutboxSize(ctx context.Context) ([3]storage.LaneSize, error)
}

// The SQLite store serves both.
var (
	_ Store        = (*storage.Store)(nil)
	_ metricsStore = (*storage.Store)(nil)
)
