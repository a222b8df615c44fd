package mailtest

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/smtp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deliver submits raw (an RFC 5322 message; bare LF line ends are sent as
// CRLF) to SMTPAddr with envelope sender from ("" for a null sender, as
// bounces and auto-replies use) and the given recipients. It returns once
// Postfix has queued the message; use WaitMail to see it arrive.
func (s *Servers) Deliver(t testing.TB, raw []byte, from string, to ...string) {
	t.Helper()
	if err := s.deliver(raw, from, to); err != nil {
		t.Fatalf("mailtest: deliver from %q to %q: %v\n%s", from, to, err, s.Logs())
	}
}

func (s *Servers) deliver(raw []byte, from string, to []string) error {
	if len(to) == 0 {
		return errors.New("no recipients")
	}
	c, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := mailFrom(c, raw, from, to); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// mailFrom sends MAIL FROM with the parameters a careful client would use:
// BODY=8BITMIME for 8-bit content, SMTPUTF8 only for a non-ASCII envelope
// address. (net/smtp's Client.Mail asks for SMTPUTF8 whenever the server
// offers it, and Postfix then marks the mail UTF-8, returning bounces as
// message/global instead of the usual message/delivery-status.)
func mailFrom(c *smtp.Client, raw []byte, from string, to []string) error {
	if strings.ContainsAny(from, "\r\n") {
		return errors.New("line break in sender address")
	}
	if err := c.Hello("mailtest.client"); err != nil {
		return err
	}
	cmd := "MAIL FROM:<" + from + ">"
	if ok, _ := c.Extension("8BITMIME"); ok && !isASCII(string(raw)) {
		cmd += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SMTPUTF8"); ok && !isASCII(from+strings.Join(to, "")) {
		cmd += " SMTPUTF8"
	}
	id, err := c.Text.Cmd("%s", cmd)
	if err != nil {
		return err
	}
	c.Text.StartResponse(id)
	defer c.Text.EndResponse(id)
	_, _, err = c.Text.ReadResponse(250)
	return err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Mailbox returns the raw messages now in address's INBOX, oldest delivery
// first, as stored: CRLF line ends, and above the sender's own headers the
// Return-Path, Delivered-To and Received headers Dovecot and Postfix add. It
// reads the Maildir (new/ and cur/) directly, so it neither marks anything
// seen nor depends on IMAP. address must be one of the users.
func (s *Servers) Mailbox(t testing.TB, address string) [][]byte {
	t.Helper()
	msgs, err := s.mailbox(address)
	if err != nil {
		t.Fatalf("mailtest: mailbox of %s: %v", address, err)
	}
	return msgs
}

// WaitMail waits until address's INBOX holds at least n messages and
// returns them all, as Mailbox does. It fails t after s.Timeout.
func (s *Servers) WaitMail(t testing.TB, address string, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(s.Timeout)
	for {
		msgs, err := s.mailbox(address)
		if err != nil {
			t.Fatalf("mailtest: mailbox of %s: %v", address, err)
		}
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: %s has %d messages after %v, want at least %d\n%s",
				address, len(msgs), s.Timeout, n, s.Logs())
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not a wait for anything
	}
}

// mailbox reads address's INBOX. Dovecot moves a message from new/ to cur/
// (renaming it) when an IMAP client first sees it, so a file can vanish
// between listing and reading; the read then starts over.
func (s *Servers) mailbox(address string) ([][]byte, error) {
	local, domain, ok := splitAddress(address)
	if !ok || !s.users[local+"@"+domain] {
		return nil, fmt.Errorf("%q is not one of the users given to Start", address)
	}
	maildir := filepath.Join(s.mailDir, domain, local, "Maildir")
	var lastErr error
	for range 50 {
		msgs, err := readMaildir(maildir)
		if !errors.Is(err, fs.ErrNotExist) {
			return msgs, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func readMaildir(maildir string) ([][]byte, error) {
	type file struct {
		path       string
		secs, usec int64
		name       string
	}
	var files []file
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(maildir, sub))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			secs, usec := maildirTime(e.Name())
			files = append(files, file{filepath.Join(maildir, sub, e.Name()), secs, usec, e.Name()})
		}
	}
	slices.SortFunc(files, func(a, b file) int {
		return cmp.Or(cmp.Compare(a.secs, b.secs), cmp.Compare(a.usec, b.usec), cmp.Compare(a.name, b.name))
	})
	msgs := make([][]byte, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, data)
	}
	return msgs, nil
}

// maildirTime reads the delivery time from a Maildir file name as Dovecot
// writes it, "<seconds>.M<microseconds>P<pid>.<host>,S=…:2,<flags>".
// Names in another form sort by name after those of the same second.
func maildirTime(name string) (secs, usec int64) {
	head, rest, _ := strings.Cut(name, ".")
	secs, err := strconv.ParseInt(head, 10, 64)
	if err != nil {
		return 0, 0
	}
	if m, ok := strings.CutPrefix(rest, "M"); ok {
		end := strings.IndexFunc(m, func(r rune) bool { return r < '0' || r > '9' })
		if end > 0 {
			usec, _ = strconv.ParseInt(m[:end], 10, 64)
		}
	}
	return secs, usec
}
