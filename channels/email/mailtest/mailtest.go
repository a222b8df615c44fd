package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns a missing mail
// server into a test failure instead of a skip. .ci/run sets it to 1.
const RequireEnv = "LOOPDESK_REQUIRE_INTEGRATION"

// Hostname is the name both servers greet with and the domain of
// MAILER-DAEMON in the bounces Postfix sends.
const Hostname = "mailtest.invalid"

// User is one mailbox on the servers: a full address (the IMAP login and the
// SMTP AUTH identity) and its password. Addresses are compared in lower
// case; neither field may contain ':' or a line break.
type User struct{ Address, Password string }

// Servers is one running Dovecot and Postfix pair, private to the test that
// started it. All methods may be called from several goroutines.
//
// Mail for the users' domains is delivered to the users' INBOXes; an
// unknown user in those domains is refused at RCPT TO (550). Mail for any
// other domain is accepted from loopback and bounced: a delivery status
// notification (multipart/report, from MAILER-DAEMON@Hostname, empty
// Return-Path) arrives in the sender's INBOX when the sender is one of the
// users.
type Servers struct {
	// IMAPAddr is plaintext IMAP (host:port). LOGIN and AUTHENTICATE PLAIN
	// work without TLS; STARTTLS is offered.
	IMAPAddr string
	// IMAPSAddr is IMAP over implicit TLS.
	IMAPSAddr string
	// SMTPAddr accepts mail from loopback without AUTH, like an MX (and
	// relays for loopback, which for foreign domains means a bounce).
	// STARTTLS is offered, never required.
	SMTPAddr string
	// SubmissionAddr requires AUTH (PLAIN or LOGIN, checked by Dovecot)
	// before it accepts any recipient; AUTH works without TLS, STARTTLS is
	// offered.
	SubmissionAddr string
	// SMTPSAddr is submission over implicit TLS, AUTH required.
	SMTPSAddr string
	// CACert is the PEM certificate every TLS listener presents: self-signed,
	// made at Start, valid for 127.0.0.1, localhost and Hostname.
	CACert []byte
	// Dir is the temporary directory holding configuration, queues, logs
	// and Maildirs.
	Dir string
	// Timeout bounds each wait in WaitMail. Defaults to 30 seconds.
	Timeout time.Duration

	users   map[string]bool
	mailDir string
	dovecot *server
	postfix *server
}

// Start starts Dovecot and Postfix with the given users and returns once
// every listener accepts connections. Everything is stopped, and every
// process of both servers is gone, before t's temporary directories are
// removed.
//
// Start skips t when a binary is missing or the test does not run as root,
// or fails it if RequireEnv is 1. A port taken between choosing it and
// binding it makes Start try again with new ports, up to three times.
func Start(t testing.TB, users ...User) *Servers {
	t.Helper()
	bins, why := findBinaries()
	if why != "" {
		unavailable(t, why)
	}
	if len(users) == 0 {
		t.Fatal("mailtest.Start: no users")
	}
	for _, u := range users {
		if _, _, ok := splitAddress(u.Address); !ok {
			t.Fatalf("mailtest.Start: %q is not a full address", u.Address)
		}
		if !isASCII(u.Address) {
			// Delivery would need SMTPUTF8 end to end, and Dovecot 2.3's
			// LMTP does not offer it, so Postfix would bounce the mail.
			t.Fatalf("mailtest.Start: %q: only ASCII addresses can be delivered (Dovecot 2.3 LMTP has no SMTPUTF8)", u.Address)
		}
		if strings.ContainsAny(u.Address+u.Password, ":\r\n") {
			t.Fatalf("mailtest.Start: user %q: address and password may not contain ':' or line breaks", u.Address)
		}
	}
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		s, err := start(t, bins, users)
		if err == nil {
			return s
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
		t.Logf("mailtest: attempt %d: %v; trying other ports", attempt, err)
	}
	t.Fatalf("mailtest.Start: %v", lastErr)
	return nil
}

// unavailable skips t, or fails it where the servers are required.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("mailtest: %s (%s=1, so this fails instead of skipping; .ci/run installs dovecot-imapd dovecot-lmtpd postfix)", why, RequireEnv)
	}
	t.Skipf("mailtest: %s; skipping (install dovecot-imapd, dovecot-lmtpd and postfix, and run as root)", why)
}

// binaries are the paths Start runs.
type binaries struct {
	dovecot       string // the master
	postfixMaster string // Postfix's master(8), run directly so it stays our child
}

// findBinaries returns why the servers cannot run here, or "".
func findBinaries() (binaries, string) {
	var b binaries
	if why := platformProblem(); why != "" {
		return b, why
	}
	var missing []string
	look := func(name string, dirs ...string) string {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return p
			}
		}
		missing = append(missing, name)
		return ""
	}
	sbin := []string{"/usr/sbin", "/usr/local/sbin", "/sbin"}
	b.dovecot = look("dovecot", sbin...)
	// The protocol binaries come in separate packages (dovecot-imapd,
	// dovecot-lmtpd); without them Dovecot starts but cannot serve.
	libexec := []string{"/usr/lib/dovecot", "/usr/libexec/dovecot", "/usr/local/libexec/dovecot"}
	look("imap", libexec...)
	look("lmtp", libexec...)
	b.postfixMaster = look("master", "/usr/lib/postfix/sbin", "/usr/libexec/postfix", "/usr/local/libexec/postfix")
	if len(missing) > 0 {
		return b, "mail server binaries not found: " + strings.Join(missing, ", ")
	}
	if os.Geteuid() != 0 {
		return b, "Postfix's master must run as root and this test does not"
	}
	for _, name := range []string{"dovecot", "dovenull", "postfix", "nobody"} {
		if _, err := user.Lookup(name); err != nil {
			return b, fmt.Sprintf("system user %q (made by the Debian packages) is missing", name)
		}
	}
	if _, err := user.LookupGroup("postdrop"); err != nil {
		return b, `system group "postdrop" (made by the postfix package) is missing`
	}
	return b, ""
}

// start makes one attempt at starting both servers.
func start(t testing.TB, bins binaries, users []User) (s *Servers, err error) {
	began := time.Now()
	dir := t.TempDir()
	// The servers' unprivileged processes open files below dir by absolute
	// path, so dir and the per-test directory above it must be traversable.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o711); err != nil {
			return nil, fmt.Errorf("open up %s: %w", d, err)
		}
	}
	// Unix socket paths are limited to 107 bytes, and Dovecot's base_dir
	// holds sockets with long names, so it lives in a short directory of its
	// own rather than under a long test name.
	runDir, err := os.MkdirTemp(shortTempDir(), "mt")
	if err != nil {
		return nil, fmt.Errorf("make dovecot base_dir: %w", err)
	}
	if err := os.Chmod(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("open up %s: %w", runDir, err)
	}

	s = &Servers{
		Dir:     dir,
		Timeout: 30 * time.Second,
		users:   map[string]bool{},
		mailDir: filepath.Join(dir, "mail"),
	}
	t.Cleanup(func() {
		s.stop(t)
		if err := os.RemoveAll(runDir); err != nil {
			t.Errorf("mailtest: remove dovecot base_dir: %v", err)
		}
	})
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, s.Logs())
			s.stop(t)
		}
	}()

	certPEM, keyPEM, err := selfSignedCert()
	if err != nil {
		return s, err
	}
	s.CACert = certPEM

	ports, err := freePorts(7)
	if err != nil {
		return s, err
	}
	p := plan{
		id:     fmt.Sprintf("%08x", rand.Uint32()),
		dir:    dir,
		runDir: runDir,
		users:  users,
		cert:   certPEM,
		key:    keyPEM,
		imap:   ports[0], imaps: ports[1], lmtp: ports[2], auth: ports[3],
		smtp: ports[4], submission: ports[5], smtps: ports[6],
	}
	for _, u := range users {
		s.users[strings.ToLower(u.Address)] = true
	}
	s.IMAPAddr = loopback(p.imap)
	s.IMAPSAddr = loopback(p.imaps)
	s.SMTPAddr = loopback(p.smtp)
	s.SubmissionAddr = loopback(p.submission)
	s.SMTPSAddr = loopback(p.smtps)

	if s.dovecot, err = startDovecot(bins, p); err != nil {
		return s, err
	}
	// Each master binds all its listeners before it serves any, so once
	// one greets with this instance's id, every port is ours.
	if err := s.dovecot.waitReady(startTimeout,
		greeting{addr: s.IMAPAddr, prefix: "* OK", token: p.id},
		greeting{addr: s.IMAPSAddr, tls: true, prefix: "* OK", token: p.id},
		greeting{addr: loopback(p.lmtp), prefix: "220 ", token: p.id},
		greeting{addr: loopback(p.auth), prefix: "VERSION"},
	); err != nil {
		return s, err
	}
	if s.postfix, err = startPostfix(bins, p); err != nil {
		return s, err
	}
	if err := s.postfix.waitReady(startTimeout,
		greeting{addr: s.SMTPAddr, prefix: "220 ", token: p.id},
		greeting{addr: s.SubmissionAddr, prefix: "220 ", token: p.id},
		greeting{addr: s.SMTPSAddr, tls: true, prefix: "220 ", token: p.id},
	); err != nil {
		return s, err
	}
	t.Logf("mailtest: Dovecot and Postfix up in %v (IMAP %s, SMTP %s, dir %s)",
		time.Since(began).Round(time.Millisecond), s.IMAPAddr, s.SMTPAddr, dir)
	return s, nil
}

// startTimeout bounds the wait for the servers' listeners.
const startTimeout = 30 * time.Second

// plan is what both configurations are written from.
type plan struct {
	id          string // in every greeting, to know our servers from strangers
	dir, runDir string
	users       []User
	cert, key   []byte

	imap, imaps, lmtp, auth int
	smtp, submission, smtps int
}

// domains returns the users' domains, sorted and without duplicates.
func (p plan) domains() []string {
	var ds []string
	for _, u := range p.users {
		_, d, _ := splitAddress(u.Address)
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return slices.Compact(ds)
}

// stop stops both servers; it is safe to call more than once.
func (s *Servers) stop(t testing.TB) {
	for _, srv := range []*server{s.postfix, s.dovecot} {
		if srv == nil {
			continue
		}
		if err := srv.stop(); err != nil {
			t.Errorf("mailtest: %v", err)
		}
	}
}

// TLSConfig returns a client TLS configuration that trusts CACert and
// verifies the name 127.0.0.1, for the TLS and STARTTLS listeners.
func (s *Servers) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CACert)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// Logs returns both servers' logs and anything they wrote to stderr, for
// failure messages.
func (s *Servers) Logs() string {
	var b strings.Builder
	for _, srv := range []*server{s.dovecot, s.postfix} {
		if srv != nil {
			b.WriteString(srv.logs())
		}
	}
	return b.String()
}

// splitAddress splits a full address into its lower-cased local part and
// domain.
func splitAddress(addr string) (local, domain string, ok bool) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 || strings.ContainsAny(addr, " <>/") {
		return "", "", false
	}
	return addr[:i], addr[i+1:], true
}

func loopback(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// shortTempDir is the directory for paths that must stay short.
func shortTempDir() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}
