package email

import (
	"bytes"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/loopdesk/loopdesk/channels/channeltest"
	"github.com/loopdesk/loopdesk/channels/email/mailtest"
)

func TestPositionAcrossRestarts(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	deliver(t, s, customerMail("p1@customer.example", "第一封", "", "一"))
	deliver(t, s, customerMail("p2@customer.example", "第二封", "", "二"))
	s.WaitMail(t, support, 2)

	core := newMemCore()
	cfg := testConfig(t, s)
	ch, stop := run(t, cfg, core)
	eventually(t, promptly, "the first two mails are not stored", stored(core, 2))
	stop()
	key := ch.positionKey(ch.boxes[0])
	first := core.position(t, key)
	if first.UIDValidity == 0 || first.LastUID != 2 {
		t.Fatalf("position after two mails: %+v, want a UIDVALIDITY and UID 2", first)
	}

	// Delivered while the channel is down: read on restart, nothing twice.
	deliver(t, s, customerMail("p3@customer.example", "第三封", "", "三"))
	s.WaitMail(t, support, 3)
	_, stop = run(t, cfg, core)
	took := eventually(t, promptly, "the mail delivered while down is not stored", stored(core, 3))
	stop()
	t.Logf("restart read the mail delivered while down in %v", took.Round(time.Millisecond))
	var ids []string
	for _, m := range core.messages() {
		ids = append(ids, m.ExternalID)
	}
	slices.Sort(ids) // Postfix may deliver p1 and p2 in either order
	if want := []string{customer + " p1@customer.example", customer + " p2@customer.example", customer + " p3@customer.example"}; !slices.Equal(ids, want) {
		t.Errorf("stored %q, want %q", ids, want)
	}
	if _, dups := core.counts(); dups != 0 {
		t.Errorf("%d mails read twice across the restart", dups)
	}

	// A changed UIDVALIDITY reads the mailbox again from the start, but
	// only mail nobody has read: the three read before stay read, the new
	// one is stored, nothing twice.
	core.setPosition(t, key, position{UIDValidity: first.UIDValidity + 1, LastUID: 3})
	deliver(t, s, customerMail("p4@customer.example", "第四封", "", "四"))
	s.WaitMail(t, support, 4)
	_, stop = run(t, cfg, core)
	eventually(t, promptly, "the new mail is not stored after the UIDVALIDITY change", stored(core, 4))
	stop()
	if n, dups := core.counts(); n != 4 || dups != 0 {
		t.Errorf("after the UIDVALIDITY change: %d stored, %d duplicates; want 4 and 0", n, dups)
	}
	if p := core.position(t, key); p != (position{UIDValidity: first.UIDValidity, LastUID: 4}) {
		t.Errorf("position %+v, want the mailbox's UIDVALIDITY %d and UID 4", p, first.UIDValidity)
	}
}

func TestIdleWakesTheChannel(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	proxy := startProxy(t, s.IMAPAddr)
	cfg := testConfig(t, s)
	cfg.IMAP.Addr = proxy.Addr
	cfg.IMAP.Poll = time.Hour // only IDLE can bring the mail in time
	core := newMemCore()
	run(t, cfg, core)
	eventually(t, promptly, "the channel does not IDLE", func() bool { return proxy.count(" IDLE\r\n") >= 1 })

	began := time.Now()
	deliver(t, s, customerMail("idle@customer.example", "在吗", "", "在吗？"))
	eventually(t, promptly, "the mail delivered during IDLE is not stored", stored(core, 1))
	t.Logf("delivered during IDLE, stored %v later", time.Since(began).Round(time.Millisecond))
	if n := proxy.connections(); n != 1 {
		t.Errorf("%d connections, want the one that idled", n)
	}
}

// boxMail is one mail in a mailbox, seen over IMAP.
type boxMail struct {
	messageID string
	flags     []imap.Flag
}

// mailboxOf lists support's mailbox over IMAP without changing it.
func mailboxOf(s *mailtest.Servers, mailbox string) ([]boxMail, error) {
	cl, err := imapclient.DialInsecure(s.IMAPAddr, nil)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	if err := cl.Login(support, supportPass).Wait(); err != nil {
		return nil, err
	}
	sel, err := cl.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := cl.Fetch(all, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		return nil, err
	}
	var out []boxMail
	for _, m := range msgs {
		out = append(out, boxMail{strings.Trim(m.Envelope.MessageID, "<>"), m.Flags})
	}
	return out, nil
}

func TestProcessedSeen(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	deliver(t, s, customerMail("seen@customer.example", "标记", "", "请标记为已读"))
	s.WaitMail(t, support, 1)
	box, err := mailboxOf(s, "INBOX")
	if err != nil || len(box) != 1 || slices.Contains(box[0].flags, imap.FlagSeen) {
		t.Fatalf("before the channel: %+v, %v; want one unseen mail", box, err)
	}
	core := newMemCore()
	run(t, testConfig(t, s), core)
	eventually(t, promptly, "the mail is not stored", stored(core, 1))
	eventually(t, promptly, "the mail is not flagged \\Seen", func() bool {
		box, err := mailboxOf(s, "INBOX")
		return err == nil && len(box) == 1 && slices.Contains(box[0].flags, imap.FlagSeen)
	})
}

func TestProcessedMove(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	const folder = "已处理" // modified UTF-7 on the wire
	deliver(t, s, customerMail("move1@customer.example", "移动", "", "一"))
	deliver(t, s, customerMail("move2@customer.example", "移动", "", "二"))
	s.WaitMail(t, support, 2)
	if _, err := mailboxOf(s, folder); err == nil {
		t.Fatalf("%s exists before the channel ran", folder)
	}
	cfg := testConfig(t, s)
	cfg.IMAP.Processed = "move:" + folder
	core := newMemCore()
	moved := func(n int) func() bool {
		return func() bool {
			inbox, err1 := mailboxOf(s, "INBOX")
			done, err2 := mailboxOf(s, folder)
			return err1 == nil && err2 == nil && len(inbox) == 0 && len(done) == n
		}
	}
	_, stop := run(t, cfg, core)
	eventually(t, promptly, "the mails are not stored", stored(core, 2))
	eventually(t, promptly, "the mails are not moved to "+folder, moved(2))
	stop()

	// Next session: the folder exists already, which is no error.
	_, stop = run(t, cfg, core)
	deliver(t, s, customerMail("move3@customer.example", "移动", "", "三"))
	eventually(t, promptly, "the third mail is not stored", stored(core, 3))
	eventually(t, promptly, "the third mail is not moved", moved(3))
	stop()
	if _, dups := core.counts(); dups != 0 {
		t.Errorf("%d duplicates", dups)
	}
}

// logBuffer collects a channel's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines(containing string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for l := range strings.Lines(b.buf.String()) {
		if strings.Contains(l, containing) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func TestReconnectAfterCut(t *testing.T) {
	t.Parallel()
	s := startServers(t)
	proxy := startProxy(t, s.IMAPAddr)
	cfg := testConfig(t, s)
	cfg.IMAP.Addr = proxy.Addr
	cfg.IMAP.Poll = time.Hour
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), logs), nil))
	clk := channeltest.NewClock(time.Now())
	cfg.Now = clk.Now
	core := newMemCore()
	run(t, cfg, core)

	eventually(t, promptly, "the channel does not IDLE", func() bool { return proxy.count(" IDLE\r\n") >= 1 })
	for i := range 3 {
		id := []string{"c1", "c2", "c3"}[i] + "@customer.example"
		if i > 0 {
			// Each session worked for a while before it was cut: each
			// reconnects after the shortest wait.
			clk.Add(5 * time.Minute)
			proxy.cut()
		}
		began := time.Now()
		deliver(t, s, customerMail(id, "断线", "", "断线后"))
		eventually(t, promptly, id+" is not stored", stored(core, i+1))
		t.Logf("%s stored %v after delivery (connections: %d)", id, time.Since(began).Round(time.Millisecond), proxy.connections())
	}
	if n, dups := core.counts(); n != 3 || dups != 0 {
		t.Errorf("%d stored, %d duplicates; want 3 and 0", n, dups)
	}
	if n := proxy.connections(); n != 3 {
		t.Errorf("%d connections, want 3 (one, and one after each cut)", n)
	}
	for _, l := range logs.lines("reconnecting") {
		if !strings.Contains(l, "in=1s") {
			t.Errorf("reconnected after more than the shortest wait: %s", l)
		}
	}
}
