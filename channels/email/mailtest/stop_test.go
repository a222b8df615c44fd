package mailtest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestCleanupLeavesNothing checks that when a test ends, no process of
// either server is left and the directories are gone.
func TestCleanupLeavesNothing(t *testing.T) {
	t.Parallel()
	var s *Servers
	t.Run("servers", func(t *testing.T) {
		s = Start(t, User{Address: "support@shop.example.com", Password: "pw"})
		s.Deliver(t, []byte("Subject: hi\r\n\r\nhello\r\n"), "support@shop.example.com", "support@shop.example.com")
		s.WaitMail(t, "support@shop.example.com", 1)
	})
	if s == nil {
		t.Skip("servers did not start")
	}
	for _, srv := range []*server{s.dovecot, s.postfix} {
		alive, err := groupAlive(srv.cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if alive {
			t.Errorf("%s: processes left after the test ended", srv.name)
		}
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists (%v)", s.Dir, err)
	}
}

// TestTakenPortIsRetryable checks that a Postfix that cannot bind its port
// (which it reports only to syslog) is told apart from other failures, as
// Start's retry depends on.
func TestTakenPortIsRetryable(t *testing.T) {
	t.Parallel()
	bins, why := findBinaries()
	if why != "" {
		unavailable(t, why)
	}
	ports, err := freePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", loopback(ports[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	cert, key, err := selfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	p := plan{dir: dir, users: []User{{"support@shop.example.com", "pw"}}, cert: cert, key: key,
		smtp: ports[0], submission: ports[1], smtps: ports[2], lmtp: ports[1], auth: ports[2]}
	srv, err := startPostfix(bins, p)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	err = srv.waitReady(startTimeout, greeting{addr: loopback(ports[0]), prefix: "220 "})
	if !errors.Is(err, errPortTaken) {
		t.Errorf("waitReady with the SMTP port taken: %v, want errPortTaken\n%s", err, srv.logs())
	}
}
