package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dirPrefix names the servers' directories in the temporary directory, so
// that a later start finds what a crashed binary left.
const dirPrefix = "sentinelle-pgtest-"

// ownerFile holds the pid and start time of the binary that made a
// directory: a later process given the same pid is not its owner.
const ownerFile = "owner"

// writeOwner records this binary as dir's owner.
func writeOwner(dir string) error {
	pid := os.Getpid()
	line := fmt.Sprintf("%d %s\n", pid, startTime(pid))
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(line), 0o644); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// sweep removes from tmp the directories of binaries that are gone,
// stopping first a postgres still running in one. It is best effort: what
// it cannot remove (another user's) it leaves.
func sweep(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	for _, dir := range dirs {
		if abandoned(dir) {
			stopOrphan(filepath.Join(dir, "data"))
			_ = os.RemoveAll(dir)
		}
	}
}

// abandoned says whether dir's owner is gone. A directory whose owner file
// is missing or incomplete was being made, or its binary died right then:
// it counts as abandoned once an hour old.
func abandoned(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	var pid int
	var start string
	if err == nil && strings.HasSuffix(string(b), "\n") {
		_, err = fmt.Sscan(string(b), &pid, &start)
	}
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		fi, err := os.Stat(dir)
		return err == nil && time.Since(fi.ModTime()) > time.Hour
	}
	return !alive(pid, start)
}

// stopOrphan stops a postgres still running on data, as one does where
// there is no death signal: the pid of data/postmaster.pid, if that
// process's command line names data (not some process given the pid since).
func stopOrphan(data string) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(first)
	if err != nil || !alive(pid, "-") {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(data)) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	for i := 0; i < 100 && alive(pid, "-"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid, "-") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// alive says whether process pid runs (a zombie does not) and, unless
// start is "-", started at start.
func alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	state, started, ok := procStat(pid)
	if !ok {
		return true // no /proc: kill's answer is all there is
	}
	return state != "Z" && (start == "-" || start == started)
}

// startTime is pid's start time as /proc says it, or "-" without /proc.
func startTime(pid int) string {
	if _, started, ok := procStat(pid); ok {
		return started
	}
	return "-"
}

// procStat reads the state and start time (clock ticks since boot) of pid
// from /proc/<pid>/stat.
func procStat(pid int) (state, started string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", "", false
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')', where field 3 (state) is the first.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", "", false
	}
	return f[0], f[19], true
}
