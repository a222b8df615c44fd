//go:build !linux

package mailtest

import "syscall"

func groupAlive(pgid int) (bool, error) { return false, nil }

func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// platformProblem says why the servers cannot run on this system, or "".
// The configuration and the process handling are written for Debian's
// packages on Linux.
func platformProblem() string { return "mailtest runs Dovecot and Postfix on Linux only" }
