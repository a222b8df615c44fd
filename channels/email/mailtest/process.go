package mailtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// errPortTaken marks a start that failed because another process bound one
// of the chosen ports first; Start retries those.
var errPortTaken = errors.New("a chosen port was taken")

// server is one running master process (Dovecot's or Postfix's) and the
// process group it leads.
type server struct {
	name     string
	cmd      *exec.Cmd
	logFiles []string // read by logs, in order
	ports    []int    // its listeners, to tell a taken port from other failures
	exited   chan struct{}
	waitErr  error // set before exited is closed
	stopOnce sync.Once
	stopErr  error
}

// startServer runs path as the leader of a new process group, with stdout
// and stderr going to stderrFile. The kernel kills it if the test binary
// dies first, and the master's children notice their master is gone and
// exit, so a crashed test leaves nothing running.
func startServer(name, stderrFile string, logFiles []string, ports []int, path string, args ...string) (*server, error) {
	out, err := os.OpenFile(stderrFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer out.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, logFiles: append(logFiles, stderrFile), ports: ports, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// greeting is a listener to wait for: the start of its first line and a
// token that must appear in it (the instance's id, so that a stranger who
// took the port is not mistaken for our server), after a TLS handshake if
// tls is set.
type greeting struct {
	addr          string
	tls           bool
	prefix, token string
}

// waitReady waits until every listener greets, the master exits, or the
// timeout passes.
func (s *server) waitReady(timeout time.Duration, gs ...greeting) error {
	deadline := time.Now().Add(timeout)
	for _, g := range gs {
		for {
			select {
			case <-s.exited:
				err := fmt.Errorf("%s exited while starting (%v)", s.name, s.waitErr)
				if strings.Contains(s.logs(), "in use") || portsTaken(s.ports) {
					err = fmt.Errorf("%w: %w", errPortTaken, err)
				}
				return err
			default:
			}
			err := greet(g)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s: %s did not answer within %v: %w", s.name, g.addr, timeout, err)
			}
			time.Sleep(10 * time.Millisecond) // poll interval, not a wait for anything
		}
	}
	return nil
}

// greet connects to g.addr and reads its greeting.
func greet(g greeting) error {
	c, err := net.DialTimeout("tcp", g.addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	// Short: a listener that does not greet is retried, not waited for.
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if g.tls {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			return err
		}
		c = tc
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read greeting: %w", err)
	}
	if !strings.HasPrefix(line, g.prefix) || !strings.Contains(line, g.token) {
		return fmt.Errorf("greeting %q, want %q… with %q", strings.TrimSpace(line), g.prefix, g.token)
	}
	return nil
}

// stop kills the master and its whole process group at once (a test has
// nothing to save gracefully, and Dovecot's orderly shutdown alone takes a
// second), then waits until no process of the group is left running, so
// nothing writes into the temporary directory while it is removed.
func (s *server) stop() error {
	s.stopOnce.Do(func() {
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
		deadline := time.Now().Add(10 * time.Second)
		for {
			// A child that forked before the kill but started after it
			// would survive one SIGKILL, so each round kills again.
			alive, err := groupAlive(pgid)
			if err != nil {
				s.stopErr = fmt.Errorf("stop %s: %w", s.name, err)
				return
			}
			if !alive {
				return
			}
			if time.Now().After(deadline) {
				s.stopErr = fmt.Errorf("stop %s: processes of group %d still running after 10s", s.name, pgid)
				return
			}
			syscall.Kill(-pgid, syscall.SIGKILL)
			time.Sleep(5 * time.Millisecond) // poll interval
		}
	})
	return s.stopErr
}

// logs returns the server's log files, each under a heading.
func (s *server) logs() string {
	var b strings.Builder
	for _, f := range s.logFiles {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(data) == 0) {
			continue
		}
		fmt.Fprintf(&b, "==> %s <==\n", f)
		if err != nil {
			fmt.Fprintf(&b, "(%v)\n", err)
			continue
		}
		b.Write(data)
		if data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// freePorts returns n distinct loopback ports that were free a moment ago,
// chosen at random outside the kernel's ephemeral range: a port from that
// range could be taken by any outgoing connection (the tests' own, Postfix's
// to LMTP) between closing it here and the server binding it, and Postfix
// reports a failed bind only to syslog. What is left is another listener
// taking the port in that moment, which lasts, so portsTaken can see it and
// Start retries.
func freePorts(n int) ([]int, error) {
	lo, hi := ephemeralRange()
	var ranges [][2]int // [from, to)
	if lo > 10000 {
		ranges = append(ranges, [2]int{10000, lo})
	}
	if hi < 65535 {
		ranges = append(ranges, [2]int{hi + 1, 65536})
	}
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("choose a port: no free port outside the ephemeral range %d-%d", lo, hi)
		}
		addr := "127.0.0.1:0" // the kernel's choice, if there is no room outside its range
		if len(ranges) > 0 {
			r := ranges[rand.IntN(len(ranges))]
			addr = loopback(r[0] + rand.IntN(r[1]-r[0]))
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// ephemeralRange returns the range the kernel picks local ports from.
func ephemeralRange() (lo, hi int) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if f := strings.Fields(string(data)); err == nil && len(f) == 2 {
		lo, err1 := strconv.Atoi(f[0])
		hi, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil && lo <= hi {
			return lo, hi
		}
	}
	return 32768, 60999 // Linux's default
}

// portsTaken reports whether one of ports cannot be bound now.
func portsTaken(ports []int) bool {
	for _, p := range ports {
		l, err := net.Listen("tcp", loopback(p))
		if err != nil {
			return true
		}
		l.Close()
	}
	return false
}
