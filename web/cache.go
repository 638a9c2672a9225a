package web

import (
	"sync"
	"time"
)

// ttlCache keeps what a handler read from the database for a short while.
// On a morning of outage, thousands of families reload the page at once:
// one of them pays for the reads, the others wait for it and share the
// result. Keys are fixed names and known académie slugs, so it stays small.
type ttlCache struct {
	ttl     time.Duration // <= 0: never reuse
	mu      sync.Mutex    // held while building, so that a rush builds once
	entries map[string]cacheEntry
}

type cacheEntry struct {
	value     any
	built     time.Time
	expiresAt time.Time
}

func newTTLCache(ttl time.Duration) *ttlCache {
	return &ttlCache{ttl: ttl, entries: map[string]cacheEntry{}}
}

// get returns the value under key when it was built less than ttl before
// now, else builds, keeps and returns a new one. A failed build is not
// kept. A clock that went backwards invalidates the entry.
func (c *ttlCache) get(now time.Time, key string, build func() (any, error)) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && now.Before(e.expiresAt) && !now.Before(e.built) {
		return e.value, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	if c.ttl > 0 {
		c.entries[key] = cacheEntry{value: v, built: now, expiresAt: now.Add(c.ttl)}
	}
	return v, nil
}
