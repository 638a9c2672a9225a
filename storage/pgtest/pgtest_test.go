package pgtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var pg Server

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		crashChild()
		return
	}
	code := m.Run()
	if err := pg.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// TestDatabasesAreFreshAndSeparate checks that each Database is empty and
// that what one test writes another does not see, and reports how long
// the server took to start and a database to be created.
func TestDatabasesAreFreshAndSeparate(t *testing.T) {
	ctx := context.Background()
	began := time.Now()
	first := Open(t, pg.Database(t))
	t.Logf("server started in %s (initdb and postgres); first database in %s", pg.StartTime, time.Since(began)-pg.StartTime)
	began = time.Now()
	const n = 5
	dsns := make([]string, n)
	for i := range dsns {
		dsns[i] = pg.Database(t)
	}
	t.Logf("a database created in %s (mean of %d)", time.Since(began)/n, n)
	if _, err := first.ExecContext(ctx, `CREATE TABLE t (x BIGINT); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	second := Open(t, dsns[0])
	var tables int
	if err := second.QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("a fresh database has %d tables, want 0", tables)
	}
	var addr, user string
	if err := second.QueryRowContext(ctx, `SELECT host(inet_server_addr()), current_user`).Scan(&addr, &user); err != nil {
		t.Fatal(err)
	}
	if addr != "127.0.0.1" || user != "postgres" {
		t.Errorf("connected to %s as %s, want 127.0.0.1 as postgres", addr, user)
	}
}

func TestSweepRemovesWhatGoneBinariesLeft(t *testing.T) {
	tmp := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]struct {
		owner  string // content of the owner file; "none": no file
		old    bool
		remove bool
	}{
		"owner gone":               {fmt.Sprintf("%d %s\n", dead.Process.Pid, "-"), false, true},
		"owner running":            {fmt.Sprintf("%d %s\n", os.Getpid(), startTime(os.Getpid())), false, false},
		"pid taken by another":     {fmt.Sprintf("%d %s\n", os.Getpid(), "1"), false, startTime(os.Getpid()) != "-"},
		"being made":               {"none", false, false},
		"half written":             {"12", false, false},
		"owner file never written": {"none", true, true},
	}
	for name, d := range dirs {
		dir := filepath.Join(tmp, dirPrefix+strings.ReplaceAll(name, " ", "_"))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if d.owner != "none" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(d.owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if d.old {
			long := time.Now().Add(-2 * time.Hour)
			if err := os.Chtimes(dir, long, long); err != nil {
				t.Fatal(err)
			}
		}
	}
	sweep(tmp)
	for name, d := range dirs {
		_, err := os.Stat(filepath.Join(tmp, dirPrefix+strings.ReplaceAll(name, " ", "_")))
		if removed := os.IsNotExist(err); removed != d.remove {
			t.Errorf("%s: removed = %v, want %v", name, removed, d.remove)
		}
	}
}

// crashChildEnv makes the test binary a child that starts a server, says
// its pid and directory, and waits to be killed.
const crashChildEnv = "PGTEST_CRASH_CHILD"

func crashChild() {
	var s Server
	if _, _, err := s.start(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(s.proc.pid, s.proc.dir)
	time.Sleep(time.Hour)
}

// TestKilledBinaryLeavesNoServer kills (SIGKILL) a test binary that runs a
// server and checks that the server stops with it, and that the next
// sweep removes its directory.
func TestKilledBinaryLeavesNoServer(t *testing.T) {
	pg.Database(t) // skips when PostgreSQL is not installed
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), crashChildEnv+"=1")
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	line, _ := bufio.NewReader(out).ReadString('\n')
	if _, err := fmt.Sscan(line, &pid, &dir); err != nil {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("child said %q: %v", line, err)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid, "-") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid, "-") {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("postgres (pid %d) still runs 10 s after its test binary was killed", pid)
	}
	sweep(filepath.Dir(dir))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the killed binary's directory %s is still there after a sweep (stat: %v)", dir, err)
	}
}

// TestSkipsOnlyWithoutPostgreSQL checks that Database skips when neither
// PATH nor the versioned directories hold initdb, with a message that
// names the Debian package, that the newest version is taken when several
// are there, and that PATH's initdb comes first.
func TestSkipsOnlyWithoutPostgreSQL(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	lib := t.TempDir()
	glob := filepath.Join(lib, "*", "bin", "initdb")
	var inner *testing.T
	t.Run("none installed", func(t *testing.T) {
		inner = t
		s := Server{glob: glob}
		defer s.Close()
		s.Database(t)
		t.Error("Database returned without PostgreSQL")
	})
	if !inner.Skipped() {
		t.Error("Database did not skip without PostgreSQL")
	}
	if _, err := findBinDir(glob); err != ErrNotInstalled || !strings.Contains(err.Error(), "postgresql-15") {
		t.Errorf("findBinDir = %v, want ErrNotInstalled, naming postgresql-15", err)
	}
	for _, v := range []string{"9", "15", "13"} {
		bin := filepath.Join(lib, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := findBinDir(glob)
	if want := filepath.Join(lib, "15", "bin"); got != want || err != nil {
		t.Errorf("findBinDir = %q, %v; want %q", got, err, want)
	}
	// initdb in PATH, a link as /usr/local/bin may hold, wins.
	path := t.TempDir()
	t.Setenv("PATH", path)
	if err := os.Symlink(filepath.Join(lib, "13", "bin", "initdb"), filepath.Join(path, "initdb")); err != nil {
		t.Fatal(err)
	}
	got, err = findBinDir(glob)
	if want := filepath.Join(lib, "13", "bin"); got != want || err != nil {
		t.Errorf("with initdb in PATH, findBinDir = %q, %v; want %q", got, err, want)
	}
}

// TestDatabasesInParallel creates databases from parallel tests, as
// storage's conformance suite will.
func TestDatabasesInParallel(t *testing.T) {
	for i := range 6 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			var one int
			if err := Open(t, pg.Database(t)).QueryRowContext(context.Background(), `SELECT 1`).Scan(&one); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestKeptIsOneDatabase: Kept hands the same database to every call of a
// name, as it was left, and another to another name.
func TestKeptIsOneDatabase(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(t, pg.Kept(t, "one")).ExecContext(ctx, `CREATE TABLE t (x BIGINT)`); err != nil {
		t.Fatal(err)
	}
	if pg.Kept(t, "one") == pg.Kept(t, "two") {
		t.Fatal("two names share a database")
	}
	var tables int
	for name, want := range map[string]int{"one": 1, "two": 0} {
		if err := Open(t, pg.Kept(t, name)).QueryRowContext(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != want {
			t.Errorf("kept %q has %d tables, want %d", name, tables, want)
		}
	}
}
