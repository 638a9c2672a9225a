package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPeakMemory100k measures the peak resident memory (VmHWM) of the real
// binary announcing an outage to 100,000 subscribers at 1,000 messages/s,
// over the first 20 s of the fan-out. It takes about a minute, so it only
// runs when asked:
//
//	SENTINELLE_MEMORY=1 go test -run TestPeakMemory100k -v ./cmd/sentinelle
func TestPeakMemory100k(t *testing.T) {
	if os.Getenv("SENTINELLE_MEMORY") == "" {
		t.Skip("set SENTINELLE_MEMORY=1 to measure the peak memory with 100,000 subscribers")
	}
	const subscribers, rate, window = 100_000, 1000, 20 * time.Second
	dir := t.TempDir()
	f := newFanOut(t, dir, subscribers, rate)
	tg, ent, dbPath := f.tg, f.ent, f.dbPath
	w := &world{t: t, dir: dir, bin: f.bin, env: f.env}
	w.start()
	defer func() {
		_ = w.proc.cmd.Process.Signal(syscall.SIGTERM)
		_ = w.proc.cmd.Wait()
	}()
	failOnceSeenUp(t, dbPath, ent)
	waitUntil(t, "the fan-out to start", 60*time.Second, func() bool { return len(tg.Sent()) > 0 })
	began, before := time.Now(), len(tg.Sent())
	time.Sleep(window)
	sent := len(tg.Sent()) - before
	hwm, rss := procMemory(t, w.proc.cmd.Process.Pid)
	t.Logf("%d subscribers: %d messages in %v (%.0f/s); peak RSS (VmHWM) %.1f MB, RSS now %.1f MB; %d × 429",
		subscribers, sent, window, float64(sent)/time.Since(began).Seconds(), hwm, rss, tg.Count429())
	if sent == 0 {
		t.Fatal("nothing sent during the window: the measure means nothing")
	}
}

// buildBinary builds the service into path.
func buildBinary(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
}

// procMemory reads VmHWM and VmRSS of a process, in MB.
func procMemory(t *testing.T, pid int) (hwm, rss float64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		for key, dst := range map[string]*float64{"VmHWM:": &hwm, "VmRSS:": &rss} {
			if v, ok := strings.CutPrefix(line, key); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				*dst = kb / 1024
			}
		}
	}
	return hwm, rss
}
