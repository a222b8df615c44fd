package email

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"mime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/email/mailtest"
)

// The channel's tests run it against real Dovecot and Postfix
// (mailtest): support@ is our mailbox, the customers' mailboxes receive
// our replies. They wait by polling conditions, never by sleeping.

const (
	support      = "support@shop.example.com"
	supportPass  = "support-secret"
	customer     = "wang@customer.example"
	customerPass = "wang-secret"
	customer2    = "li@customer.example"
	// promptly is how long a mail may take from delivery to the store.
	promptly = 15 * time.Second
)

func startServers(t *testing.T) *mailtest.Servers {
	t.Helper()
	began := time.Now()
	s := mailtest.Start(t,
		mailtest.User{Address: support, Password: supportPass},
		mailtest.User{Address: customer, Password: customerPass},
		mailtest.User{Address: customer2, Password: "li-secret"},
	)
	t.Logf("servers started in %v", time.Since(began).Round(time.Millisecond))
	return s
}

// testConfig reads support's INBOX over plaintext IMAP and sends through
// the unauthenticated SMTP port.
func testConfig(t *testing.T, s *mailtest.Servers) Config {
	return Config{Address: support, Name: "Shop Support",
		IMAP:   IMAPConfig{Addr: s.IMAPAddr, Username: support, Password: supportPass, TLS: "none"},
		SMTP:   SMTPConfig{Addr: s.SMTPAddr, TLS: "none"},
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	}
}

// run starts a channel on core; stop (also run at cleanup) cancels it and
// checks that Run returns promptly.
func run(t *testing.T, cfg Config, core *memCore) (ch *Channel, stop func()) {
	t.Helper()
	ch, err := New(cfg, core.deps())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ch.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return 10s after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return ch, stop
}

// customerMail is a plain UTF-8 mail from customer to support; extra is
// more header lines, each ending in CRLF.
func customerMail(id, subject, extra, body string) []byte {
	return []byte("From: " + mime.BEncoding.Encode("UTF-8", "王小姐") + " <" + customer + ">\r\n" +
		"To: " + support + "\r\n" +
		"Subject: " + mime.BEncoding.Encode("UTF-8", subject) + "\r\n" +
		"Message-ID: <" + id + ">\r\n" +
		"Date: Mon, 06 May 2024 10:00:00 +0800\r\n" + extra +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" + body + "\r\n")
}

func deliver(t *testing.T, s *mailtest.Servers, raw []byte) {
	t.Helper()
	s.Deliver(t, raw, customer, support)
}

func stored(core *memCore, n int) func() bool {
	return func() bool { got, _ := core.counts(); return got >= n }
}

func TestReadOverIMAP(t *testing.T) {
	t.Parallel()
	pdf := []byte("%PDF-1.4\n")
	for b := range 256 {
		pdf = append(pdf, byte(b))
	}
	wrap := func(b []byte) string {
		s := base64.StdEncoding.EncodeToString(b)
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76] + "\r\n")
			s = s[76:]
		}
		return out.String() + s + "\r\n"
	}
	raw := []byte("From: " + mime.BEncoding.Encode("UTF-8", "王小姐") + " <" + customer + ">\r\n" +
		"To: " + support + "\r\n" +
		"Subject: " + mime.BEncoding.Encode("UTF-8", "订单 1042 还没到") + "\r\n" +
		"Message-ID: <q2@customer.example>\r\n" +
		"In-Reply-To: <q1@customer.example>\r\n" +
		"References: <q0@customer.example> <q1@customer.example>\r\n" +
		"Date: Mon, 06 May 2024 10:00:00 +0800\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
		"\r\n" +
		"--b1\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"\r\n" + wrap([]byte("我的包裹在哪里？订单号 1042，发票在附件里。\r\n\r\n> 您好，您的订单已收到。\r\n")) +
		"--b1\r\n" +
		"Content-Type: application/pdf; name=\"invoice.pdf\"\r\n" +
		"Content-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8-1042.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n" +
		"\r\n" + wrap(pdf) +
		"--b1--\r\n")

	for _, mode := range []string{"none", "starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			s := startServers(t)
			deliver(t, s, raw)
			s.WaitMail(t, support, 1)

			cfg := testConfig(t, s)
			cfg.IMAP.TLS = mode
			if mode != "none" {
				cfg.IMAP.TLSConfig = s.TLSConfig()
			}
			if mode == "tls" {
				cfg.IMAP.Addr = s.IMAPSAddr
			}
			core := newMemCore()
			run(t, cfg, core)
			took := eventually(t, promptly, "the mail is not stored", stored(core, 1))
			t.Logf("stored %v after the channel started", took.Round(time.Millisecond))

			msgs := core.messages()
			if len(msgs) != 1 {
				t.Fatalf("stored %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			want := channels.Message{
				Channel:    channels.Email,
				ExternalID: customer + " q2@customer.example",
				Thread:     "q0@customer.example", // the first of References started the conversation
				From:       channels.Party{ID: customer, Name: "王小姐", Email: customer},
				Text:       "Subject: 订单 1042 还没到\n\n我的包裹在哪里？订单号 1042，发票在附件里。",
				SentAt:     time.Date(2024, 5, 6, 10, 0, 0, 0, time.FixedZone("", 8*3600)),
				Meta: map[string]string{
					"message_id": "q2@customer.example", "from": customer,
					"subject":    "订单 1042 还没到",
					"references": "q0@customer.example q1@customer.example q2@customer.example",
				},
			}
			if m.Channel != want.Channel || m.ExternalID != want.ExternalID || m.Thread != want.Thread ||
				m.From != want.From || m.Text != want.Text || !m.SentAt.Equal(want.SentAt) {
				t.Errorf("stored\n%+v\nwant\n%+v", m, want)
			}
			for k, v := range want.Meta {
				if m.Meta[k] != v {
					t.Errorf("Meta[%s] = %q, want %q", k, m.Meta[k], v)
				}
			}
			if len(m.Attachments) != 1 {
				t.Fatalf("attachments %+v, want the PDF", m.Attachments)
			}
			a := m.Attachments[0]
			if a.Filename != "发票-1042.pdf" || a.ContentType != "application/pdf" ||
				a.Size != int64(len(pdf)) || !bytes.Equal(a.Data, pdf) {
				t.Errorf("attachment %q %s size %d, data equal %v; want 发票-1042.pdf application/pdf %d and the bytes sent",
					a.Filename, a.ContentType, a.Size, bytes.Equal(a.Data, pdf), len(pdf))
			}
		})
	}
}

// TestConversation runs one conversation through the servers: the
// customer's first mail, our reply, and their answer to it from a client
// that sends In-Reply-To but no References.
func TestConversation(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	core := newMemCore()
	ch, _ := run(t, testConfig(t, s), core)

	deliver(t, s, customerMail("first@customer.example", "订单 1042 还没到", "", "我的包裹在哪里？"))
	eventually(t, promptly, "the first mail is not stored", stored(core, 1))
	first := core.messages()[0]
	if first.Thread != "first@customer.example" {
		t.Errorf("a new conversation's thread is %q, want its Message-ID", first.Thread)
	}

	out := channels.Outbound{ID: "o1", Channel: channels.Email, Thread: first.Thread, To: first.From,
		Text: "包裹已发出。", TicketID: "T-000001", Kind: "reply", Meta: first.Meta, Attempt: 1}
	if err := ch.Send(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	ours := readReply(t, s.WaitMail(t, customer, 1)[0])
	if got := ours.h.Get("References"); got != "<first@customer.example>" {
		t.Errorf("our reply's References = %q, want <first@customer.example>", got)
	}

	deliver(t, s, customerMail("second@customer.example", "Re: [#T-000001] 订单 1042 还没到",
		"In-Reply-To: "+ours.h.Get("Message-Id")+"\r\n",
		"收到了，谢谢！\r\n\r\nOn Mon, May 6, 2024 at 11:00 AM Shop Support <"+support+"> wrote:\r\n> 包裹已发出。"))
	eventually(t, promptly, "the answer is not stored", stored(core, 2))
	second := core.messages()[1]
	if second.Thread != first.Thread || second.Text != "收到了，谢谢！" {
		t.Errorf("the answer: thread %q text %q; want thread %q and only the new text", second.Thread, second.Text, first.Thread)
	}
	// RFC 5322 §3.6.4: without References, the parent's In-Reply-To
	// stands for them, so our next reply still names the whole thread.
	if got, want := second.Meta["references"], "t-000001.m-o1@shop.example.com second@customer.example"; got != want {
		t.Errorf("the answer's references %q, want %q", got, want)
	}
}

func TestNoLoops(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	// Our own mail come back, an auto-reply, then a customer's mail.
	s.Deliver(t, []byte("From: Shop Support <"+support+">\r\nTo: "+support+"\r\nSubject: Re: [#T-000001] x\r\n"+
		"Message-ID: <t-000001.m-o9@shop.example.com>\r\n\r\n回环\r\n"), support, support)
	s.WaitMail(t, support, 1)
	deliver(t, s, customerMail("auto@customer.example", "自动回复: 订单", "Auto-Submitted: auto-replied\r\n", "我在休假。"))
	s.WaitMail(t, support, 2)
	deliver(t, s, customerMail("real@customer.example", "订单", "", "真人来信"))
	s.WaitMail(t, support, 3)

	core := newMemCore()
	cfg := testConfig(t, s)
	ch, _ := run(t, cfg, core)
	eventually(t, promptly, "the mailbox is not read to its end", func() bool {
		return core.position(t, ch.positionKey(ch.boxes[0])).LastUID == 3
	})
	if msgs := core.messages(); len(msgs) != 1 || msgs[0].Meta["message_id"] != "real@customer.example" {
		t.Errorf("stored %+v, want only the customer's own mail", msgs)
	}

	// Our reply to an address that does not exist comes back as a
	// bounce, which marks that reply failed and is no message.
	out := replyOut("o7", "reply")
	out.To = channels.Party{ID: "nobody@elsewhere.example", Email: "nobody@elsewhere.example"}
	if err := ch.Send(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	eventually(t, promptly, "the bounce does not mark o7 failed", func() bool { _, ok := core.failure("o7"); return ok })
	reason, _ := core.failure("o7")
	t.Logf("o7 failed: %s", reason)
	if n, _ := core.counts(); n != 1 {
		t.Errorf("the bounce was stored as a message")
	}
}
