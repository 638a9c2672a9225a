package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// process is a running postgres and the directory it lives in.
type process struct {
	dir    string        // removed by stop: owner.pid, data/, postgres.log, the socket
	port   int           // on 127.0.0.1
	pid    int           // postgres itself (setpriv execs it in place)
	exited chan struct{} // closed when postgres has exited
}

// debianInitdb is where Debian installs initdb, one directory per major
// version, outside PATH.
const debianInitdb = "/usr/lib/postgresql/*/bin/initdb"

// findBinDir is the directory of initdb and postgres: initdb's in PATH
// (where a link leads), else the newest of those matching glob
// (<dir>/<version>/bin/initdb), else ErrNotInstalled. A directory counts
// only with postgres beside initdb.
func findBinDir(glob string) (string, error) {
	var found []string
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err := filepath.EvalSymlinks(p); err == nil {
			found = append(found, p)
		}
	}
	versioned, _ := filepath.Glob(glob)
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	slices.SortFunc(versioned, func(a, b string) int { return version(b) - version(a) })
	for _, p := range append(found, versioned...) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "postgres")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", ErrNotInstalled
}

// startProcess runs initdb in a new directory and starts postgres on a free
// port of 127.0.0.1, returning once it accepts connections.
func startProcess(bin string) (*process, error) {
	sweep(os.TempDir())
	as, err := currentRunner()
	if err != nil {
		return nil, err
	}
	dir, err := makeDir(as)
	if err != nil {
		return nil, err
	}
	if err := initdb(bin, dir, as); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	// Another program may take the free port between our probe and
	// postgres's bind: try again on another.
	for attempt := 1; ; attempt++ {
		p, err := launch(bin, dir, as)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 3 {
			return nil, errors.Join(err, os.RemoveAll(dir))
		}
	}
}

// runner says how to run PostgreSQL's programs: as the current user, or,
// when that is root, as "postgres" through setpriv.
type runner struct {
	setpriv  string // empty: run directly
	uid, gid int    // owner of the directory when setpriv is used
}

func currentRunner() (runner, error) {
	if os.Geteuid() != 0 {
		return runner{uid: -1, gid: -1}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return runner{}, fmt.Errorf("pgtest: running as root, and PostgreSQL refuses root: need the system user %q to run it: %w", "postgres", err)
	}
	sp, err := exec.LookPath("setpriv")
	if err != nil {
		return runner{}, fmt.Errorf("pgtest: running as root, need setpriv (util-linux) to run PostgreSQL as %q: %w", "postgres", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return runner{setpriv: sp, uid: uid, gid: gid}, nil
}

// command runs name with args as the runner's user. The child gets SIGQUIT
// when the thread that started it dies: PostgreSQL's immediate shutdown.
func (r runner) command(name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if r.setpriv == "" {
		cmd = exec.Command(name, args...)
		cmd.SysProcAttr = deathSignal(syscall.SIGQUIT)
	} else {
		// setpriv changes the user then execs name: the death signal must
		// be set after the change, which clears it, so setpriv sets it.
		cmd = exec.Command(r.setpriv, append([]string{"--reuid=postgres", "--regid=postgres", "--clear-groups",
			"--pdeathsig=QUIT", "--", name}, args...)...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// makeDir creates the server's directory, records its owner (this binary),
// and gives it to the runner's user.
func makeDir(as runner) (string, error) {
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return "", fmt.Errorf("pgtest: %w", err)
	}
	if err := writeOwner(dir); err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	if err := os.Chown(dir, as.uid, as.gid); err != nil {
		return "", errors.Join(fmt.Errorf("pgtest: %w", err), os.RemoveAll(dir))
	}
	return dir, nil
}

// initdb makes the cluster in dir/data: superuser "postgres", UTF-8, the C
// locale (the same on every machine), no fsync, and a pg_hba.conf that
// trusts 127.0.0.1 and nothing else.
func initdb(bin, dir string, as runner) error {
	data := filepath.Join(dir, "data")
	out, err := as.command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	// Overwriting keeps the file's owner (postgres when run as root).
	hba := "# pgtest: tests connect over TCP from 127.0.0.1 only, without a password.\nhost all all 127.0.0.1/32 trust\n"
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	return nil
}

// errPortTaken is launch's answer when postgres could not bind its port.
var errPortTaken = errors.New("pgtest: port taken")

// launch starts postgres on a free port and waits until it accepts
// connections.
func launch(bin, dir string, as runner) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer logFile.Close()
	cmd := as.command(filepath.Join(bin, "postgres"), "-D", filepath.Join(dir, "data"),
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port), "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p := &process{dir: dir, port: port, exited: make(chan struct{})}
	if err := startKeepingThread(cmd, p.exited); err != nil {
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	p.pid = cmd.Process.Pid
	if err := p.waitReady(60 * time.Second); err != nil {
		log, _ := os.ReadFile(logPath)
		if strings.Contains(string(log), "could not bind") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return nil, errors.Join(fmt.Errorf("%w\npostgres.log:\n%s", err, log), p.signalAndWait(syscall.SIGQUIT))
	}
	return p, nil
}

// startKeepingThread starts cmd from a goroutine locked to its OS thread,
// which then waits for cmd and closes exited. Linux sends the death signal
// when the thread that started the child ends, not the process: the Go
// runtime may end a locked thread, so this one lives as long as the child.
func startKeepingThread(cmd *exec.Cmd, exited chan struct{}) error {
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait() // why postgres ended is in its log
		}
		close(exited)
	}()
	return <-started
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady returns once postgres accepts a connection, or an error when it
// exits or takes longer than limit.
func (p *process) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, dsn(p.port, "postgres"))
		if err == nil {
			err = conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return errors.New("pgtest: postgres exited while starting")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres not ready after %s: %w", limit, err)
		}
	}
}

// stop shuts postgres down (SIGINT: fast shutdown) and removes its
// directory.
func (p *process) stop() error {
	return errors.Join(p.signalAndWait(syscall.SIGINT), os.RemoveAll(p.dir))
}

// signalAndWait sends sig and waits for postgres to exit, killing it after
// 10 seconds.
func (p *process) signalAndWait(sig syscall.Signal) error {
	if err := syscall.Kill(p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("pgtest: stop postgres: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(p.pid, syscall.SIGKILL)
	<-p.exited
	return errors.New("pgtest: postgres did not stop within 10 s and was killed")
}
