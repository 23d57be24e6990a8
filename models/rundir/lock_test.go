package rundir

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gtrain/gtrain/models/runfiles"
)

func TestLockIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	a, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A second lock, even in the same process, is refused and names the
	// owner.
	_, err = AcquireLock(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Dir != dir {
		t.Fatalf("second lock: %v (%+v), want a LockedError naming pid %d", err, le, os.Getpid())
	}
	// What the run wrote is kept, and the lock file goes with the lock.
	if err := os.WriteFile(filepath.Join(dir, runfiles.ConfigFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !os.IsNotExist(err) {
		t.Errorf("lock file after Release: %v", err)
	}
	b, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("after Release: %v", err)
	}
	b.Release()
	if _, err := os.Stat(filepath.Join(dir, runfiles.ConfigFile)); err != nil {
		t.Errorf("Release removed the run's files: %v", err)
	}
}

func TestLockDirectory(t *testing.T) {
	tmp := t.TempDir()
	// A directory the lock made and the run left empty goes with it; one
	// that was there stays.
	made := filepath.Join(tmp, "a", "b")
	l, err := AcquireLock(made)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(filepath.Join(tmp, "a")); !os.IsNotExist(err) {
		t.Errorf("empty directories made by the lock: %v", err)
	}
	l, err = AcquireLock(tmp)
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("existing directory: %v", err)
	}
	// A file is not a run directory, and stays as it was.
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	_, err = AcquireLock(file)
	var nd *NotDirError
	if !errors.As(err, &nd) || err.Error() != file+" is a file, not a directory" {
		t.Fatalf("file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "x" {
		t.Errorf("file changed to %q", b)
	}
}

// TestLockDiesWithItsProcess: a process killed with SIGKILL while it owns
// a run directory releases it.
func TestLockDiesWithItsProcess(t *testing.T) {
	if dir := os.Getenv("GTRAIN_LOCK_HELPER_DIR"); dir != "" {
		// The helper process: take the lock, say so, wait to be killed.
		if _, err := AcquireLock(dir); err != nil {
			os.Stdout.WriteString("error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		select {}
	}
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockDiesWithItsProcess$")
	cmd.Env = append(os.Environ(), "GTRAIN_LOCK_HELPER_DIR="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	_, err = AcquireLock(dir)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("while the helper holds it: %v, want a LockedError naming pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill() // SIGKILL: no chance to clean up
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err != nil {
		t.Fatalf("the killed helper's lock file: %v", err)
	}
	l, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("after the owner was killed: %v", err)
	}
	l.Release()
}
