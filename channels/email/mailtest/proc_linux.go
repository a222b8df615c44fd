package mailtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// groupAlive reports whether a process of group pgid is still running. The
// killed children of a dead master are reparented to PID 1, which may take
// its time reaping them; a zombie holds no files, so it does not count.
func groupAlive(pgid int) (bool, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// "pid (comm) state ppid pgrp …"; comm may contain anything, so
		// parse from the last ')'.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 || string(f[0]) == "Z" || string(f[0]) == "X" {
			continue
		}
		if g, _ := strconv.Atoi(string(f[2])); g == pgid {
			return true, nil
		}
	}
	return false, nil
}

// sysProcAttr puts a master in a process group of its own (so stop can
// kill all of it) and has the kernel kill it if the test binary dies first;
// the master's children then notice it is gone and exit.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// platformProblem says why the servers cannot run on this system, or "".
func platformProblem() string { return "" }
