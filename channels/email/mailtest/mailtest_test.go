package mailtest_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/email/mailtest"
)

const (
	support  = "support@shop.example.com"
	customer = "wang@customer.example"
)

func startTwo(t *testing.T) *mailtest.Servers {
	t.Helper()
	began := time.Now()
	s := mailtest.Start(t,
		mailtest.User{Address: support, Password: "support-secret"},
		mailtest.User{Address: customer, Password: "wang-secret"},
	)
	t.Logf("Start took %v", time.Since(began))
	return s
}

func message(from, to, subject, id, body string) []byte {
	return []byte("From: " + from + "\r\n" +
		"To: " + to + "\r\n" +
		"Subject: " + subject + "\r\n" +
		"Message-ID: " + id + "\r\n" +
		"Date: Mon, 06 May 2024 10:00:00 +0800\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" + body + "\r\n")
}

func TestDeliverReachesMaildirAndIMAP(t *testing.T) {
	t.Parallel()
	s := startTwo(t)

	s.Deliver(t, message("Wang <"+customer+">", support, "Order 1042 has not arrived",
		"<q1@customer.example>", "Where is my parcel?"), customer, support)

	msgs := s.WaitMail(t, support, 1)
	if len(msgs) != 1 {
		t.Fatalf("support has %d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatalf("parse delivered message: %v\n%s", err, msgs[0])
	}
	for header, want := range map[string]string{
		"Subject":       "Order 1042 has not arrived",
		"Message-Id":    "<q1@customer.example>",
		"From":          "Wang <" + customer + ">",
		"Return-Path":   "<" + customer + ">",
		"Delivered-To":  support,
		"Date":          "Mon, 06 May 2024 10:00:00 +0800",
		"Content-Type":  "text/plain; charset=utf-8",
		"X-Not-Present": "",
	} {
		if got := m.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if got := s.Mailbox(t, customer); len(got) != 0 {
		t.Errorf("customer has %d messages, want 0", len(got))
	}

	c := dialIMAP(t, s.IMAPAddr, nil)
	c.cmd("a1 LOGIN "+support+" support-secret", "a1 OK")
	if lines := c.cmd("a2 SELECT INBOX", "a2 OK"); !contains(lines, "* 1 EXISTS") {
		t.Errorf("SELECT INBOX said %q, want * 1 EXISTS", lines)
	}
	c.cmd("a3 LOGOUT", "a3 OK")

	// Reading over IMAP moves the message from new/ to cur/; Mailbox still
	// sees it, once, and a later delivery (null sender, as auto-replies
	// use) comes after it.
	s.Deliver(t, message("Wang <"+customer+">", support, "Auto: out of office",
		"<q2@customer.example>", "I am away."), "", support)
	msgs = s.WaitMail(t, support, 2)
	if len(msgs) != 2 || !bytes.Contains(msgs[0], []byte("<q1@customer.example>")) ||
		!bytes.Contains(msgs[1], []byte("<q2@customer.example>")) {
		t.Fatalf("support's INBOX is not q1 then q2:\n%s", bytes.Join(msgs, []byte("\n----\n")))
	}
	if !bytes.HasPrefix(msgs[1], []byte("Return-Path: <>\r\n")) {
		t.Errorf("null-sender delivery does not start with Return-Path: <>:\n%s", msgs[1])
	}
}

// TestDeliverIsVerbatim checks that a sample arrives byte for byte below the
// trace headers: 8-bit bodies, raw UTF-8 headers as some clients send them,
// a leading dot, and no Message-ID or Date added where the sender left
// them out.
func TestDeliverIsVerbatim(t *testing.T) {
	t.Parallel()
	s := startTwo(t)
	raw := []byte("From: =?gb18030?B?zfXQob3j?= <" + customer + ">\r\n" +
		"To: " + support + "\r\n" +
		"Subject: 订单没有到\r\n" +
		"Content-Type: text/plain; charset=gbk\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"\xc4\xe3\xba\xc3\r\n" + // 你好 in GBK
		".a line that starts with a dot\r\n" +
		"..and one with two\r\n")
	s.Deliver(t, raw, customer, support)
	got := s.WaitMail(t, support, 1)[0]
	if !bytes.HasSuffix(got, raw) {
		t.Fatalf("delivered message does not end with the sample:\n%q\nwant suffix\n%q", got, raw)
	}
	trace := string(got[:len(got)-len(raw)])
	for _, h := range []string{"Message-Id:", "Message-ID:", "Date:"} {
		if strings.Contains(trace, h) {
			t.Errorf("servers added %s:\n%s", h, trace)
		}
	}
}

func TestBounceForForeignDomain(t *testing.T) {
	t.Parallel()
	s := startTwo(t)

	s.Deliver(t, message(support, "someone@elsewhere.example", "Re: [#T-000001] your order",
		"<t-000001.m-1@shop.example.com>", "On its way."), support, "someone@elsewhere.example")

	msgs := s.WaitMail(t, support, 1)
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatalf("parse bounce: %v\n%s", err, msgs[0])
	}
	if rp := m.Header.Get("Return-Path"); rp != "<>" {
		t.Errorf("bounce Return-Path = %q, want <>", rp)
	}
	mediaType, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("bounce Content-Type = %q, want multipart/report; report-type=delivery-status\n%s",
			m.Header.Get("Content-Type"), msgs[0])
	}
	parts := map[string]string{}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read bounce part: %v", err)
		}
		body, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = string(body)
	}
	status := parts["message/delivery-status"]
	for _, want := range []string{"Final-Recipient: rfc822; someone@elsewhere.example", "Action: failed", "Status: 5."} {
		if !strings.Contains(status, want) {
			t.Errorf("delivery status lacks %q:\n%s", want, status)
		}
	}
	if !strings.Contains(parts["message/rfc822"], "Message-ID: <t-000001.m-1@shop.example.com>") {
		t.Errorf("bounce does not return the bounced message:\n%s", msgs[0])
	}
}

func TestUnknownLocalUserRefused(t *testing.T) {
	t.Parallel()
	s := startTwo(t)
	c, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Mail(customer); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("nobody@shop.example.com"); err == nil || !strings.HasPrefix(err.Error(), "550") {
		t.Errorf("RCPT to an unknown user: %v, want 550", err)
	}
}

func TestSubmissionNeedsAuthAndTLSWorks(t *testing.T) {
	t.Parallel()
	s := startTwo(t)
	raw := message(support, customer, "Re: [#T-000002] refund", "<t-000002.m-1@shop.example.com>", "Refunded.")

	// Without AUTH the submission port refuses the recipient.
	c, err := smtp.Dial(s.SubmissionAddr)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(support); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(customer); err == nil {
		t.Error("submission accepted a recipient without AUTH")
	}
	c.Close()

	// A wrong password is refused.
	if err := smtpSend(s.SubmissionAddr, nil, smtp.PlainAuth("", support, "wrong", "127.0.0.1"), support, customer, raw); err == nil {
		t.Error("submission accepted a wrong password")
	}
	// STARTTLS + AUTH PLAIN on submission, implicit TLS + AUTH on smtps.
	auth := smtp.PlainAuth("", support, "support-secret", "127.0.0.1")
	if err := smtpSend(s.SubmissionAddr, s.TLSConfig(), auth, support, customer, raw); err != nil {
		t.Fatalf("submission with STARTTLS: %v\n%s", err, s.Logs())
	}
	conn, err := tls.Dial("tcp", s.SMTPSAddr, s.TLSConfig())
	if err != nil {
		t.Fatalf("smtps: %v", err)
	}
	if err := smtpSendConn(conn, nil, auth, support, customer, raw); err != nil {
		t.Fatalf("smtps: %v\n%s", err, s.Logs())
	}
	s.WaitMail(t, customer, 2)

	// IMAPS, verified against CACert.
	ic := dialIMAP(t, s.IMAPSAddr, s.TLSConfig())
	ic.cmd("b1 LOGIN "+customer+" wang-secret", "b1 OK")
	if lines := ic.cmd("b2 SELECT INBOX", "b2 OK"); !contains(lines, "* 2 EXISTS") {
		t.Errorf("SELECT INBOX said %q, want * 2 EXISTS", lines)
	}
	// A wrong IMAP password is refused.
	ic2 := dialIMAP(t, s.IMAPAddr, nil)
	ic2.cmd("c1 LOGIN "+customer+" wrong", "c1 NO")
}

// TestParallelInstances starts several pairs at once: each has its own
// ports, queue and Maildirs.
func TestParallelInstances(t *testing.T) {
	t.Parallel()
	for i := range 3 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			s := startTwo(t)
			id := fmt.Sprintf("<p%d@customer.example>", i)
			s.Deliver(t, message(customer, support, "parallel", id, "hello"), customer, support)
			msgs := s.WaitMail(t, support, 1)
			if !bytes.Contains(msgs[0], []byte(id)) {
				t.Errorf("instance %d got someone else's mail:\n%s", i, msgs[0])
			}
		})
	}
}

func smtpSend(addr string, tlsConf *tls.Config, auth smtp.Auth, from, to string, raw []byte) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	return smtpSendConn(conn, tlsConf, auth, from, to, raw)
}

func smtpSendConn(conn net.Conn, tlsConf *tls.Config, auth smtp.Auth, from, to string, raw []byte) error {
	c, err := smtp.NewClient(conn, "127.0.0.1")
	if err != nil {
		return err
	}
	defer c.Close()
	if tlsConf != nil {
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if err := c.Auth(auth); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
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

// imapConn is just enough IMAP to log in and select: tagged commands, and
// the untagged lines before the tagged answer.
type imapConn struct {
	t *testing.T
	r *bufio.Reader
	w net.Conn
}

func dialIMAP(t *testing.T, addr string, tlsConf *tls.Config) *imapConn {
	t.Helper()
	var conn net.Conn
	var err error
	if tlsConf != nil {
		conn, err = tls.Dial("tcp", addr, tlsConf)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatalf("dial IMAP %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &imapConn{t: t, r: bufio.NewReader(conn), w: conn}
	if greeting := c.line(); !strings.HasPrefix(greeting, "* OK") {
		t.Fatalf("IMAP greeting %q", greeting)
	}
	return c
}

func (c *imapConn) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read IMAP: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

// cmd sends one command and returns the lines up to its tagged answer,
// which must start with want.
func (c *imapConn) cmd(command, want string) []string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.w, "%s\r\n", command); err != nil {
		c.t.Fatalf("write IMAP: %v", err)
	}
	tag, _, _ := strings.Cut(command, " ")
	var lines []string
	for {
		l := c.line()
		lines = append(lines, l)
		if strings.HasPrefix(l, tag+" ") {
			if !strings.HasPrefix(l, want) {
				c.t.Fatalf("%s: %q, want %s…", command, l, want)
			}
			return lines
		}
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
