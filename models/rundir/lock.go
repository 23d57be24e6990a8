package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockFile is the lock of a run directory. The process holding an
// exclusive flock on it owns the directory; the file holds the owner's pid
// and host, for the message of a process that is refused. flock is
// released by the kernel when its process dies, kill -9 included, so a
// dead owner never blocks a run directory.
const LockFile = ".lock"

// Lock is a held lock of a run directory.
type Lock struct {
	dir     string
	f       *os.File
	created []string // the directories AcquireLock made, deepest first
}

// LockedError is the error of AcquireLock for a run directory that another
// process (or another Lock of this one) owns.
type LockedError struct {
	Dir  string
	PID  int    // the owner's; 0 when it could not be read
	Host string // the owner's host
}

func (e *LockedError) Error() string {
	who := "another gtrain process"
	if e.PID > 0 {
		who = fmt.Sprintf("gtrain pid %d", e.PID)
		if host, _ := os.Hostname(); e.Host != "" && e.Host != host {
			who += " on " + e.Host
		}
	}
	return fmt.Sprintf("%s is in use by %s", e.Dir, who)
}

// NotDirError is the error of AcquireLock for a path that exists and is
// not a directory.
type NotDirError struct{ Path string }

func (e *NotDirError) Error() string { return e.Path + " is a file, not a directory" }

// AcquireLock makes dir (and its parents) if needed and takes its lock
// without waiting: another owner is a *LockedError naming it. The lock is
// the process's until Release or its exit.
func AcquireLock(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockFile)
	// Bounded: each retry means another process released or removed the
	// directory in between, which cannot go on for long.
	for attempt := 0; attempt < 100; attempt++ {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			return nil, &NotDirError{dir}
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
		created, err := mkdirAll(dir)
		if err != nil {
			return nil, err
		}
		// O_RDWR: NFS emulates flock with fcntl locks, which need a
		// writable descriptor for an exclusive lock.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if errors.Is(err, os.ErrNotExist) {
			continue // the directory was removed by a Release in between
		}
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, lockedError(dir, path)
			}
			if errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOLCK) {
				return nil, fmt.Errorf("locking %s: %w (the file system does not support flock)", path, err)
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		// The owner before may have removed the file between the open and
		// the flock (Release does): a lock on a removed file guards
		// nothing.
		if !sameFile(f, path) {
			f.Close()
			continue
		}
		host, _ := os.Hostname()
		if err := f.Truncate(0); err == nil {
			_, err = f.WriteAt([]byte(fmt.Sprintf("%d %s\n", os.Getpid(), host)), 0)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		return &Lock{dir: dir, f: f, created: created}, nil
	}
	return nil, fmt.Errorf("locking %s: it keeps being removed by other processes", path)
}

// Release gives up the lock. It removes the lock file first, while the
// lock is still held (a process that opened it meanwhile notices and
// opens a new one), and the directories that AcquireLock made and the run
// left empty, so that a run that could not start leaves no run directory.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(filepath.Join(l.dir, LockFile))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	for _, d := range l.created {
		if os.Remove(d) != nil { // as it should, unless empty
			break
		}
	}
	err = errors.Join(err, l.f.Close()) // closing releases the flock
	l.f = nil
	return err
}

// lockedError reads the owner from the lock file. An owner that has just
// taken the lock may not have written it yet: a few short waits cover that.
func lockedError(dir, path string) error {
	e := &LockedError{Dir: dir}
	for i := 0; i < 20; i++ {
		b, err := os.ReadFile(path)
		if err == nil {
			fields := strings.Fields(string(b))
			if len(fields) >= 1 {
				if _, err := fmt.Sscan(fields[0], &e.PID); err == nil && e.PID > 0 {
					if len(fields) >= 2 {
						e.Host = fields[1]
					}
					return e
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.PID = 0
	return e
}

func sameFile(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// mkdirAll is os.MkdirAll that returns the directories it made, deepest
// first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	return missing, os.MkdirAll(dir, 0o755)
}
