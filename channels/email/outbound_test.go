package email

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/channeltest"
)

// replyOut is an agent's reply on T-000001 to the customer's mail q1.
func replyOut(id, kind string) channels.Outbound {
	return channels.Outbound{ID: id, Channel: channels.Email, Thread: "q0@customer.example",
		To:       channels.Party{ID: customer, Name: "王小姐", Email: customer},
		Text:     "王小姐您好：\n包裹已于今天发出，单号 SF1042。\n<客服>",
		TicketID: "T-000001", Kind: kind, Attempt: 1,
		Meta: map[string]string{"message_id": "q1@customer.example", "subject": "回复: 订单 1042 还没到",
			"references": "q0@customer.example q1@customer.example"}}
}

func TestSendOverSMTP(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"none", "starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := startServers(t)
			cfg := testConfig(t, s)
			cfg.IMAP.Addr = "" // sending only
			cfg.SMTP.TLS = mode
			switch mode {
			case "starttls":
				cfg.SMTP.Addr, cfg.SMTP.TLSConfig = s.SubmissionAddr, s.TLSConfig()
				cfg.SMTP.Username, cfg.SMTP.Password = support, supportPass
			case "tls":
				cfg.SMTP.Addr, cfg.SMTP.TLSConfig = s.SMTPSAddr, s.TLSConfig()
				cfg.SMTP.Username, cfg.SMTP.Password = support, supportPass
			}
			ch, err := New(cfg, newMemCore().deps())
			if err != nil {
				t.Fatal(err)
			}
			out := replyOut("o1", "reply")
			began := time.Now()
			if err := ch.Send(t.Context(), out); err != nil {
				t.Fatalf("Send: %v", err)
			}
			sent := time.Since(began)
			r := readReply(t, s.WaitMail(t, customer, 1)[0])
			t.Logf("Send took %v, arrived after %v", sent.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
			r.check(t, out)
			if r.h.Get("Auto-Submitted") != "" {
				t.Errorf("a reply is Auto-Submitted: %s", r.h.Get("Auto-Submitted"))
			}

			if mode == "none" {
				return
			}
			cfg.SMTP.Password = "wrong"
			bad, err := New(cfg, newMemCore().deps())
			if err != nil {
				t.Fatal(err)
			}
			err = bad.Send(t.Context(), replyOut("o2", "reply"))
			t.Logf("wrong password: %v", err)
			if err == nil || !channels.IsPermanent(err) || !strings.Contains(err.Error(), "535") {
				t.Errorf("Send with a wrong password: %v (permanent %v), want a permanent 535 error", err, channels.IsPermanent(err))
			}
		})
	}
}

// reply is a mail as it arrived in a mailbox, its multipart/alternative
// parts decoded.
type reply struct {
	raw         []byte
	h           mail.Header
	alternative map[string]string // media type → text, of the multipart/alternative's parts
}

func readReply(t *testing.T, raw []byte) reply {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("arrived mail: %v\n%s", err, raw)
	}
	r := reply{raw: raw, h: m.Header, alternative: map[string]string{}}
	var walk func(ctype, cte string, body io.Reader, parent string)
	walk = func(ctype, cte string, body io.Reader, parent string) {
		mt, params, err := mime.ParseMediaType(ctype)
		if err != nil {
			t.Fatalf("Content-Type %q: %v\n%s", ctype, err, raw)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatalf("%s: %v\n%s", mt, err, raw)
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, mt)
			}
		}
		if strings.EqualFold(cte, "base64") {
			body = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s part: %v", mt, err)
		}
		if parent == "multipart/alternative" {
			if params["charset"] != "utf-8" {
				t.Errorf("%s part in charset %q, want utf-8", mt, params["charset"])
			}
			r.alternative[mt] = strings.ReplaceAll(string(b), "\r\n", "\n")
		}
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, "")
	return r
}

// check compares the mail with what Send was to make of out.
func (r reply) check(t *testing.T, out channels.Outbound) {
	t.Helper()
	subject, err := new(mime.WordDecoder).DecodeHeader(r.h.Get("Subject"))
	if err != nil {
		t.Errorf("Subject %q: %v", r.h.Get("Subject"), err)
	}
	from, err := mail.ParseAddress(r.h.Get("From"))
	if err != nil || from.Address != support || from.Name != "Shop Support" {
		t.Errorf("From %q (%v), want Shop Support <%s>", r.h.Get("From"), err, support)
	}
	to, err := mail.ParseAddress(r.h.Get("To"))
	if err != nil || to.Address != out.To.Email || to.Name != out.To.Name {
		t.Errorf("To %q (%v), want %s <%s>", r.h.Get("To"), err, out.To.Name, out.To.Email)
	}
	fields := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, f := range []struct{ name, got, want string }{
		{"Subject", subject, "Re: [#T-000001] 订单 1042 还没到"},
		{"Message-ID", r.h.Get("Message-Id"), "<t-000001.m-" + out.ID + "@shop.example.com>"},
		{"In-Reply-To", r.h.Get("In-Reply-To"), "<q1@customer.example>"},
		{"References", fields(r.h.Get("References")), "<q0@customer.example> <q1@customer.example>"},
		{"X-Loopdesk-Outbox-Id", r.h.Get("X-Loopdesk-Outbox-Id"), out.ID},
		{"Return-Path", r.h.Get("Return-Path"), "<" + support + ">"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if got := r.alternative["text/plain"]; got != out.Text {
		t.Errorf("text/plain part %q, want %q", got, out.Text)
	}
	if got := r.alternative["text/html"]; !strings.Contains(got, "王小姐您好：<br>") || !strings.Contains(got, "&lt;客服&gt;") {
		t.Errorf("text/html part %q, want the text with <br> line breaks and escaped", got)
	}
	if t.Failed() {
		t.Logf("the mail:\n%s", r.raw)
	}
}

func TestAcknowledgementsLimited(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	cfg := testConfig(t, s)
	cfg.IMAP.Addr = ""
	cfg.AckWindow = time.Hour
	clk := channeltest.NewClock(time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC))
	cfg.Now = clk.Now
	ch, err := New(cfg, newMemCore().deps())
	if err != nil {
		t.Fatal(err)
	}
	send := func(out channels.Outbound) {
		t.Helper()
		if err := ch.Send(t.Context(), out); err != nil {
			t.Fatalf("Send %s: %v", out.ID, err)
		}
	}
	send(replyOut("o1", "ack"))
	clk.Add(30 * time.Minute)
	send(replyOut("o2", "ack")) // within the hour: not sent
	send(replyOut("o1", "ack")) // a retry of the first: sent, and the hour runs from now
	other := replyOut("o3", "ack")
	other.To = channels.Party{ID: customer2, Email: customer2}
	send(other) // another sender has their own window
	clk.Add(31 * time.Minute)
	send(replyOut("o4", "ack")) // an hour after o1, but not after its retry: not sent
	clk.Add(30 * time.Minute)
	send(replyOut("o5", "ack"))   // the hour is over
	send(replyOut("o6", "reply")) // replies are never limited
	send(replyOut("o7", "reply"))
	send(replyOut("o8", "ask")) // the bot asking for an order number: automatic, not limited

	var got []string
	for _, raw := range s.WaitMail(t, customer, 6) {
		r := readReply(t, raw)
		id := r.h.Get("X-Loopdesk-Outbox-Id")
		got = append(got, id)
		want := "auto-replied"
		if id == "o6" || id == "o7" {
			want = ""
		}
		if auto := r.h.Get("Auto-Submitted"); auto != want {
			t.Errorf("%s: Auto-Submitted %q, want %q", id, auto, want)
		}
	}
	slices.Sort(got)
	if want := []string{"o1", "o1", "o5", "o6", "o7", "o8"}; !slices.Equal(got, want) {
		t.Errorf("%s received %q, want %q", customer, got, want)
	}
	if n := len(s.WaitMail(t, customer2, 1)); n != 1 {
		t.Errorf("%s received %d mails, want its acknowledgement", customer2, n)
	}
}

// TestNoPasswordInTheClear: the SMTP password goes only over TLS, or to
// this machine (a local relay).
func TestNoPasswordInTheClear(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, tls string
		ok        bool
	}{
		{"smtp.example.com:25", "none", false},
		{"192.0.2.1:587", "none", false},
		{"smtp.example.com:587", "starttls", true},
		{"smtp.example.com:465", "tls", true},
		{"localhost:25", "none", true},
		{"127.0.0.1:25", "none", true},
		{"[::1]:25", "none", true},
	} {
		_, err := New(Config{Address: support, SMTP: SMTPConfig{Addr: tc.addr, TLS: tc.tls, Username: support, Password: "p"}},
			newMemCore().deps())
		if (err == nil) != tc.ok {
			t.Errorf("SMTP %s over %s with a password: %v, want ok %v", tc.addr, tc.tls, err, tc.ok)
		}
	}
}
