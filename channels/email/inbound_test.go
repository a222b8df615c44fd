package email

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/loopdesk/loopdesk/channels"
)

// An id the store could not take (too long, control characters) is kept
// as its hash: one mail must not stop the mailbox.
func TestSafeID(t *testing.T) {
	for _, id := range []string{"ok@customer.example", strings.Repeat("x", maxID)} {
		if safeID(id) != id {
			t.Errorf("safeID changed a good id %q", id[:20])
		}
	}
	for _, id := range []string{"x\x00y@b", "a\r\nb@c", strings.Repeat("x", maxID+1)} {
		got := safeID(id)
		if !strings.HasPrefix(got, "sha256:") || len(got) != 71 || safeID(id) != got {
			t.Errorf("safeID(%q) = %q, want a stable sha256: id", id[:5], got)
		}
	}
}

// A subject's [#T-000123] joins the ticket's thread only for its own
// customer; our Message-IDs in the headers join it for anyone (they
// answer mail we sent).
func TestSubjectTokenOnlyForTheTicketsCustomer(t *testing.T) {
	ch, err := New(Config{Address: support, SMTP: SMTPConfig{Addr: "127.0.0.1:25", TLS: "none"}}, newMemCore().deps())
	if err != nil {
		t.Fatal(err)
	}
	out := channels.Outbound{ID: "msg-1", TicketID: "T-000123", Thread: "root@customer.example"}
	if err := ch.rememberThread(t.Context(), out, "wang@customer.example"); err != nil {
		t.Fatal(err)
	}
	mb := ch.boxes[0]
	stranger := Mail{From: "eve@evil.example", MessageID: "e1@evil.example", ThreadTicket: "T-000123", Subject: "[#T-000123] hi"}
	if th, _ := ch.threadOf(t.Context(), mb, stranger); th == "root@customer.example" {
		t.Error("a stranger's subject token joined the ticket's thread")
	}
	own := Mail{From: "wang@customer.example", MessageID: "w2@customer.example", ThreadTicket: "T-000123"}
	if th, _ := ch.threadOf(t.Context(), mb, own); th != "root@customer.example" {
		t.Errorf("the customer's own subject token went to thread %q", th)
	}
	reply := Mail{From: "boss@customer.example", MessageID: "b1@customer.example", ThreadTicket: "T-000123",
		InReplyTo: []string{"t-000123.m-msg-0000000001-abc@" + mb.Domain}}
	if th, _ := ch.threadOf(t.Context(), mb, reply); th != "root@customer.example" {
		t.Errorf("a reply to our mail went to thread %q", th)
	}
}

// Batches stay within fetchBatch mails and batchBytes; a mail over
// maxMail counts as its header and reads as a note with its header.
func TestBatchesAndTooLargeMail(t *testing.T) {
	uids := []imap.UID{1, 2, 3, 4, 5}
	sizes := map[imap.UID]int64{1: 10 << 20, 2: 20 << 20, 3: 1 << 30, 4: 5 << 20, 5: 1}
	got := batches(uids, sizes)
	want := [][]imap.UID{{1, 2, 3}, {4, 5}} // 3 is fetched as its header only
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("batches = %v, want %v", got, want)
	}
	header := []byte("From: 王先生 <wang@customer.example>\r\nSubject: big\r\nMessage-ID: <big@customer.example>\r\n" +
		"Content-Type: multipart/mixed;\r\n boundary=\"b\"\r\n\r\n")
	m, err := Read(tooLarge(header, 1<<30), ReadOptions{})
	if err != nil || m.From != "wang@customer.example" || !strings.Contains(m.Text, "只读取了邮件头") || m.MessageID != "big@customer.example" {
		t.Errorf("a too large mail reads as %+v, %v", m, err)
	}
}
