package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/email"
	"github.com/loopdesk/loopdesk/channels/email/mailtest"
)

const (
	supportAddr = "support@shop.example.com"
	customer    = "wang@customer.example"
)

// newEmailGateway runs loopdesk with its email channel on real Dovecot and
// Postfix.
func newEmailGateway(t *testing.T) (string, *mailtest.Servers) {
	t.Helper()
	ms := mailtest.Start(t, mailtest.User{Address: supportAddr, Password: "support-pw"},
		mailtest.User{Address: customer, Password: "wang-pw"})
	srv, _ := newTestGateway(t, func(c *Config) {
		e := &c.Channels.Email
		e.Address = supportAddr
		e.IMAP.Addr, e.IMAP.Username, e.IMAP.Password, e.IMAP.TLS = ms.IMAPAddr, supportAddr, "support-pw", "none"
		e.SMTP.Addr, e.SMTP.TLS = ms.SMTPAddr, "none"
	})
	return srv.URL, ms
}

// header reads one header field of a raw message.
func header(t *testing.T, raw []byte, key string) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read mail: %v", err)
	}
	v := m.Header.Get(key)
	if key == "Subject" {
		if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil {
			v = d
		}
	}
	return v
}

func rawMail(from, subject, msgID, inReplyTo, refs, body string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: 王先生 <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n",
		from, supportAddr, mime.QEncoding.Encode("utf-8", subject), msgID, time.Now().Format(time.RFC1123Z))
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: %s\r\n", inReplyTo, refs)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

// A customer's mail opens a ticket and gets an acknowledgement threaded
// under it; their reply to it (with the quoted history) lands on the same
// ticket with only the new text; the agent's reply arrives in the
// customer's mailbox threaded; a vacation reply to our mail opens nothing
// and is not answered; a reply to an address that does not exist bounces,
// and the bounce marks it failed on its ticket.
func TestEmailEndToEnd(t *testing.T) {
	url, ms := newEmailGateway(t)
	ms.Deliver(t, rawMail(customer, "退款还没到账", "first-1@customer.example", "", "",
		"你好，订单 2026112500012345 申请退款一周了还没到账。\n王先生"), customer, supportAddr)
	var tk answer
	waitFor(t, "the ticket", func() bool {
		tk = call(t, "GET", url+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK
	})
	if tk.body["channel"] != "email" || tk.body["thread"] != "first-1@customer.example" {
		t.Fatalf("ticket: %s", tk.raw)
	}
	ack := ms.WaitMail(t, customer, 1)[0]
	ackID := strings.Trim(header(t, ack, "Message-ID"), "<>")
	if s := header(t, ack, "Subject"); s != "Re: [#T-000001] 退款还没到账" || header(t, ack, "In-Reply-To") != "<first-1@customer.example>" ||
		header(t, ack, "Auto-Submitted") != "auto-replied" || !strings.HasPrefix(ackID, "t-000001.m-") {
		t.Fatalf("acknowledgement: subject %q, in-reply-to %q, auto-submitted %q, id %q",
			s, header(t, ack, "In-Reply-To"), header(t, ack, "Auto-Submitted"), ackID)
	}

	ms.Deliver(t, rawMail(customer, "Re: [#T-000001] 退款还没到账", "second-2@customer.example", ackID,
		"<first-1@customer.example> <"+ackID+">",
		"退款单号是 RF2026111900317，麻烦再查一下。\n\n在 2026年11月26日 10:00，客服 <"+supportAddr+"> 写道：\n> 已收到您的问题"), customer, supportAddr)
	waitFor(t, "the reply on the ticket", func() bool {
		tk = call(t, "GET", url+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return countEntries(tk.body, "message") == 2
	})
	last := lastEntry(tk.body, "message")
	if last["text"] != "退款单号是 RF2026111900317，麻烦再查一下。" {
		t.Errorf("the reply on the ticket reads %q", last["text"])
	}

	if a := call(t, "POST", url+"/api/v1/tickets/T-000001/replies", testAdminToken, map[string]any{"text": "已为您重新提交退款。"}); a.status >= 300 {
		t.Fatalf("reply: %d %s", a.status, a.raw)
	}
	got := ms.WaitMail(t, customer, 2)[1]
	if header(t, got, "In-Reply-To") != "<second-2@customer.example>" || !strings.Contains(header(t, got, "References"), "<first-1@customer.example>") ||
		header(t, got, "Auto-Submitted") != "" || !bytes.Contains(got, []byte("X-Loopdesk-Outbox-Id:")) {
		t.Errorf("agent's reply headers: in-reply-to %q references %q", header(t, got, "In-Reply-To"), header(t, got, "References"))
	}

	// The customer's vacation responder answers our mail: nothing happens.
	vacation := rawMail(customer, "自动回复: Re: [#T-000001] 退款还没到账", "ooo-3@customer.example", ackID, "<"+ackID+">", "我正在休假，11月30日回来。")
	vacation = append([]byte("Auto-Submitted: auto-replied\r\n"), vacation...)
	ms.Deliver(t, vacation, "", supportAddr)
	// A mail after it shows the vacation reply was read (mail is read in order).
	ms.Deliver(t, rawMail(customer, "另一个问题", "other-4@customer.example", "", "", "发票怎么开？"), customer, supportAddr)
	waitFor(t, "the next ticket", func() bool {
		return call(t, "GET", url+"/api/v1/tickets/T-000002", testAdminToken, nil).status == http.StatusOK
	})
	tk = call(t, "GET", url+"/api/v1/tickets/T-000001", testAdminToken, nil)
	if n := countEntries(tk.body, "message"); n != 2 {
		t.Errorf("the vacation reply was put on the ticket (%d messages)", n)
	}
	if a := call(t, "GET", url+"/api/v1/tickets/T-000003", testAdminToken, nil); a.status != http.StatusNotFound {
		t.Errorf("the vacation reply opened a ticket: %s", a.raw)
	}
	// The acknowledgement, the agent's reply; none for the vacation reply,
	// none for T-000002 either: one acknowledgement per sender an hour.
	if n := len(ms.Mailbox(t, customer)); n != 2 {
		t.Errorf("the customer's mailbox holds %d mails, want 2", n)
	}
}

// A reply to an address that does not exist bounces; the bounce marks the
// reply failed on its ticket and opens nothing.
func TestEmailBounceMarksTheReplyFailed(t *testing.T) {
	url, ms := newEmailGateway(t)
	ms.Deliver(t, rawMail("nobody@gone.example", "在吗", "q-1@gone.example", "", "", "有人吗？"), "nobody@gone.example", supportAddr)
	waitFor(t, "the acknowledgement bounced and marked failed", func() bool {
		tk := call(t, "GET", url+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK && strings.Contains(tk.raw, `"delivery_failed"`)
	})
	tk := call(t, "GET", url+"/api/v1/tickets/T-000001", testAdminToken, nil)
	if e := lastEntry(tk.body, "reply"); e["delivery"] != "failed" {
		t.Errorf("the bounced acknowledgement is %v", e["delivery"])
	}
	if a := call(t, "GET", url+"/api/v1/tickets/T-000002", testAdminToken, nil); a.status != http.StatusNotFound {
		t.Errorf("the bounce opened a ticket: %s", a.raw)
	}
}

// Every sample from real clients goes through the real servers: automatic
// ones open no ticket, the others one each with what the sender wrote.
func TestEmailSamplesThroughRealServers(t *testing.T) {
	url, ms := newEmailGateway(t)
	files, _ := filepath.Glob("../../channels/email/testdata/*.eml")
	type sample struct {
		name    string
		Auto    bool   `json:"auto"`
		NewText string `json:"new_text"`
	}
	var samples []sample
	want := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s sample
		side, _ := os.ReadFile(strings.TrimSuffix(f, ".eml") + ".json")
		if err := json.Unmarshal(side, &s); err != nil {
			t.Fatal(err)
		}
		s.name = filepath.Base(f)
		samples = append(samples, s)
		if !s.Auto {
			want++
		}
		m, err := email.Read(raw, email.ReadOptions{Domain: "shop.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ms.Deliver(t, raw, m.From, supportAddr)
	}
	var texts []string
	waitFor(t, "every sample read", func() bool {
		time.Sleep(100 * time.Millisecond)
		texts = texts[:0]
		for _, tk := range allTickets(t, url) {
			for _, e := range tk["timeline"].([]any) {
				if e := e.(map[string]any); e["type"] == "message" {
					texts = append(texts, e["text"].(string))
				}
			}
		}
		return len(texts) >= want
	})
	if len(texts) != want {
		t.Errorf("%d messages on tickets from %d mails of which %d are not automatic", len(texts), len(files), want)
	}
	// Each customer's mail is on a ticket once, with what they wrote; no
	// automatic mail is.
	for _, s := range samples {
		text := strings.TrimSpace(s.NewText)
		if text == "" {
			continue // a bare forward: the ticket shows the whole mail
		}
		n := 0
		for _, got := range texts {
			if strings.Contains(got, text) {
				n++
			}
		}
		if s.Auto && n != 0 || !s.Auto && n != 1 {
			t.Errorf("%s (automatic %v) is on the tickets %d times", s.name, s.Auto, n)
		}
	}
}

func lastEntry(tk map[string]any, typ string) map[string]any {
	var last map[string]any
	for _, e := range tk["timeline"].([]any) {
		if e := e.(map[string]any); e["type"] == typ {
			last = e
		}
	}
	return last
}

// TestEmailKill9IngestsEachMailOnce: 500 mails wait in the support
// mailbox; loopdesk reads them and is killed with -9 in the middle, twice.
// After the restart every mail is on exactly one ticket, once.
func TestEmailKill9IngestsEachMailOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real loopdesk processes")
	}
	ms := mailtest.Start(t, mailtest.User{Address: supportAddr, Password: "support-pw"},
		mailtest.User{Address: customer, Password: "wang-pw"})
	const mails = 500
	for i := range mails {
		ms.Deliver(t, rawMail(customer, fmt.Sprintf("问题 %d", i), fmt.Sprintf("k9-%03d@customer.example", i), "", "",
			fmt.Sprintf("订单 %016d 第%d封", 2026112500000000+i, i)), customer, supportAddr)
	}
	ms.WaitMail(t, supportAddr, mails)
	env := []string{"LOOPDESK_CHANNELS_EMAIL_ADDRESS=" + supportAddr,
		"LOOPDESK_CHANNELS_EMAIL_IMAP_ADDR=" + ms.IMAPAddr, "LOOPDESK_CHANNELS_EMAIL_IMAP_USERNAME=" + supportAddr,
		"LOOPDESK_CHANNELS_EMAIL_IMAP_PASSWORD=support-pw", "LOOPDESK_CHANNELS_EMAIL_IMAP_TLS=none",
		"LOOPDESK_CHANNELS_EMAIL_SMTP_ADDR=" + ms.SMTPAddr, "LOOPDESK_CHANNELS_EMAIL_SMTP_TLS=none"}
	dataDir := t.TempDir()
	p := startLoopdeskEnv(t, dataDir, "", env)
	for kill, after := range []int{100, 150} {
		waitFor(t, "some mail read", func() bool {
			return received(t, p.url, "email") >= after
		})
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		t.Logf("kill -9 #%d after %d mails stored by that process", kill+1, after)
		p = startLoopdeskEnv(t, dataDir, "", env)
	}
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("graceful stop: %v\n%s", err, p.logs)
		}
	}()
	seen := map[string]int{}
	waitFor(t, "every mail on a ticket", func() bool {
		time.Sleep(200 * time.Millisecond)
		clear(seen)
		total := 0
		for _, tk := range allTickets(t, p.url) {
			for _, e := range tk["timeline"].([]any) {
				if e := e.(map[string]any); e["type"] == "message" {
					seen[e["text"].(string)]++
					total++
				}
			}
		}
		return total >= mails
	})
	if len(seen) != mails {
		t.Errorf("%d distinct mails on tickets, want %d", len(seen), mails)
	}
	for text, n := range seen {
		if n != 1 {
			t.Errorf("%q is on the tickets %d times", text, n)
		}
	}
}

// received is the loopdesk_messages_received_total of a channel in the
// process at url (counted since that process started).
func received(t *testing.T, url, channel string) int {
	m := call(t, "GET", url+"/metrics", "", nil).raw
	prefix := `loopdesk_messages_received_total{channel="` + channel + `"} `
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			var n int
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// Two mailboxes: mail to 售后 (shouhou@) goes to the after-sales group
// whatever the rules would say, and is answered from shouhou@; mail to
// support@ is routed by the rules.
func TestEmailMailboxesGiveTheirGroup(t *testing.T) {
	const shouhou = "shouhou@shop.example.com"
	ms := mailtest.Start(t, mailtest.User{Address: supportAddr, Password: "support-pw"},
		mailtest.User{Address: shouhou, Password: "shouhou-pw"}, mailtest.User{Address: customer, Password: "wang-pw"})
	srv, _ := newTestGateway(t, func(c *Config) {
		e := &c.Channels.Email
		e.Address = supportAddr
		e.IMAP.Addr, e.IMAP.Username, e.IMAP.Password, e.IMAP.TLS = ms.IMAPAddr, supportAddr, "support-pw", "none"
		e.SMTP.Addr, e.SMTP.TLS = ms.SMTPAddr, "none"
		box := EmailMailboxConfig{Address: shouhou, Name: "售后", Group: "after_sales"}
		box.IMAP = e.IMAP
		box.IMAP.Username, box.IMAP.Password = shouhou, "shouhou-pw"
		box.SMTP = e.SMTP
		e.Mailboxes = []EmailMailboxConfig{box}
	})
	question := "你们周末几点下班？" // a consultation: the rules send it to presales
	ms.Deliver(t, rawMail(customer, "咨询", "mb-1@customer.example", "", "", question), customer, shouhou)
	var tk answer
	waitFor(t, "the ticket from shouhou@", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000001", testAdminToken, nil)
		return tk.status == http.StatusOK
	})
	if tk.body["group"] != "after_sales" {
		t.Errorf("mail to shouhou@ is in group %v, want after_sales", tk.body["group"])
	}
	ack := ms.WaitMail(t, customer, 1)[0]
	if from := header(t, ack, "From"); !strings.Contains(from, shouhou) {
		t.Errorf("the acknowledgement comes from %q, want %s", from, shouhou)
	}
	ms.Deliver(t, rawMail("li@other.example", "咨询", "mb-2@other.example", "", "", question), "li@other.example", supportAddr)
	waitFor(t, "the ticket from support@", func() bool {
		tk = call(t, "GET", srv.URL+"/api/v1/tickets/T-000002", testAdminToken, nil)
		return tk.status == http.StatusOK
	})
	if tk.body["group"] != "presales" {
		t.Errorf("mail to support@ is in group %v, want the rules' presales", tk.body["group"])
	}
}
