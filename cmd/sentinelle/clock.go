package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// fakeClock is the clock of a rehearsal or a test (SENTINELLE_FAKE_CLOCK_FILE):
// the file holds an instant, and the service's time is that instant plus
// the real time elapsed since the file was last written. Writing the file
// again moves the clock, forward only, while the service runs; a restarted
// service goes on where the clock was.
//
// Only dates follow it: what the database records, the messages and the
// status page. Telegram's limits, timeouts and the check schedule run on
// the real clock.
type fakeClock struct {
	path   string
	offset atomic.Int64 // fake minus real, in nanoseconds
	mtime  time.Time    // of the file last read; only watch touches it
}

// openFakeClock reads the clock file once.
func openFakeClock(path string) (*fakeClock, error) {
	offset, mtime, err := readClockFile(path)
	if err != nil {
		return nil, err
	}
	c := &fakeClock{path: path, mtime: mtime}
	c.offset.Store(int64(offset))
	return c, nil
}

// Now is the service's time. It carries no monotonic reading, so that two
// instants read either side of a move of the clock differ by the move.
func (c *fakeClock) Now() time.Time {
	return time.Now().Round(0).Add(time.Duration(c.offset.Load()))
}

// watch rereads the file whenever its modification time changes, until
// ctx is done. A move backwards is refused: the service's records would
// overlap.
func (c *fakeClock) watch(ctx context.Context, log *slog.Logger, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := os.Stat(c.path)
		if err != nil || st.ModTime().Equal(c.mtime) {
			continue
		}
		offset, mtime, err := readClockFile(c.path)
		if err != nil {
			log.Warn("fake clock file unreadable; the clock goes on", "path", c.path, "error", err)
			c.mtime = st.ModTime()
			continue
		}
		c.mtime = mtime
		old := time.Duration(c.offset.Load())
		if offset < old {
			log.Warn("fake clock: a move backwards is refused", "path", c.path, "by", (old - offset).String())
			continue
		}
		c.offset.Store(int64(offset))
		log.Info("fake clock moved", "now", c.Now().Format(time.RFC3339), "by", (offset - old).Round(time.Millisecond).String())
	}
}

// readClockFile returns the fake time minus the real one, from the instant
// in the file (RFC 3339) and the file's modification time.
func readClockFile(path string) (time.Duration, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, err
	}
	b := make([]byte, 128)
	n, _ := f.Read(b)
	text := strings.TrimSpace(string(b[:n]))
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("%q is not an RFC 3339 instant such as 2021-04-06T07:30:00+02:00", text)
	}
	return at.Sub(st.ModTime()), st.ModTime(), nil
}
