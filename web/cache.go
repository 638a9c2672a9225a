package web

import (
	"sync"
	"time"
)

// Bounds of the caches: the fixed pages (the overview, one page per
// académie) fit well within maxPageEntries; maxQueryEntries bounds the
// answers kept per distinct /api/incidents query, which a client chooses.
const (
	maxPageEntries  = 256
	maxQueryEntries = 64
)

// ttlCache keeps what a handler read from the database for a short while.
// On a morning of outage, thousands of families reload the page at once:
// one of them pays for the reads, the others wait for it and share the
// result. It holds at most max entries: when full, the expired ones go,
// then the one that expires soonest, so that a client sending ever new
// queries costs reads, never memory.
type ttlCache struct {
	ttl     time.Duration // <= 0: never reuse
	max     int
	mu      sync.Mutex // held while building, so that a rush builds once
	entries map[string]cacheEntry
}

type cacheEntry struct {
	value     any
	built     time.Time
	expiresAt time.Time
}

func (e cacheEntry) fresh(now time.Time) bool { return now.Before(e.expiresAt) && !now.Before(e.built) }

func newTTLCache(ttl time.Duration, max int) *ttlCache {
	return &ttlCache{ttl: ttl, max: max, entries: map[string]cacheEntry{}}
}

// get returns the value under key when it was built less than ttl before
// now, else builds, keeps and returns a new one. A failed build is not
// kept. A clock that went backwards invalidates the entry.
func (c *ttlCache) get(now time.Time, key string, build func() (any, error)) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.fresh(now) {
		return e.value, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	if c.ttl > 0 {
		if _, ok := c.entries[key]; !ok && len(c.entries) >= c.max {
			c.makeRoom(now)
		}
		c.entries[key] = cacheEntry{value: v, built: now, expiresAt: now.Add(c.ttl)}
	}
	return v, nil
}

// makeRoom drops the expired entries, or else the one that expires
// soonest.
func (c *ttlCache) makeRoom(now time.Time) {
	var oldest string
	var first time.Time
	for k, e := range c.entries {
		switch {
		case !e.fresh(now):
			delete(c.entries, k)
		case first.IsZero() || e.expiresAt.Before(first):
			oldest, first = k, e.expiresAt
		}
	}
	if len(c.entries) >= c.max {
		delete(c.entries, oldest)
	}
}

// len is the number of entries kept.
func (c *ttlCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
