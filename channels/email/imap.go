package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"

	"github.com/loopdesk/loopdesk/channels"
)

// Batches. At most fetchBatch mails, and batchBytes of them, are fetched
// and stored together, so that memory stays bounded whatever arrives; a
// mail over maxMail is read as its header only, with a note saying so.
const (
	fetchBatch = 20
	batchBytes = 32 << 20
	maxMail    = 64 << 20
)

// position is how far the mailbox has been read: the mailbox's
// UIDVALIDITY and the last UID stored. Kept in the State with the mail.
type position struct {
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
}

func (c *Channel) positionKey(mb *Mailbox) string {
	return "email/imap/" + mb.IMAP.Username + "@" + mb.IMAP.Addr + "/" + mb.IMAP.Mailbox
}

// session logs in, reads what is new, and waits for more (IDLE, or
// polling) until the connection fails or ctx is done.
func (c *Channel) session(ctx context.Context, mb *Mailbox) error {
	news := make(chan struct{}, 1)
	cl, err := c.dial(mb, news)
	if err != nil {
		return err
	}
	defer cl.Close()
	stop := context.AfterFunc(ctx, func() { cl.Close() })
	defer stop()
	if cl.Caps().Has(imap.CapID) { // 163 and 126 refuse SELECT to a client that did not say who it is
		if _, err := cl.ID(&imap.IDData{Name: "loopdesk", Vendor: "loopdesk"}).Wait(); err != nil {
			return fmt.Errorf("imap ID: %w", err)
		}
	}
	if err := cl.Login(mb.IMAP.Username, mb.IMAP.Password).Wait(); err != nil {
		return fmt.Errorf("imap login: %w", err)
	}
	if err := c.createProcessedFolder(mb, cl); err != nil {
		return err
	}
	sel, err := cl.Select(mb.IMAP.Mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("imap select %s: %w", mb.IMAP.Mailbox, err)
	}
	for {
		if err := c.readNew(ctx, mb, cl, sel.UIDValidity); err != nil {
			return err
		}
		if err := c.waitForNews(ctx, mb, cl, news); err != nil {
			return err
		}
	}
}

// dial connects as IMAP.TLS says. New mail arrives as unilateral data;
// the handler only signals (no command may run inside it).
func (c *Channel) dial(mb *Mailbox, news chan<- struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig:   mb.IMAP.TLSConfig,
		WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader},
		Dialer:      &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case news <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	var cl *imapclient.Client
	var err error
	switch mb.IMAP.TLS {
	case "none":
		cl, err = imapclient.DialInsecure(mb.IMAP.Addr, opts)
	case "starttls":
		cl, err = imapclient.DialStartTLS(mb.IMAP.Addr, opts)
	default:
		cl, err = imapclient.DialTLS(mb.IMAP.Addr, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("imap connect %s: %w", mb.IMAP.Addr, err)
	}
	return cl, nil
}

// waitForNews waits in IDLE (or, without it, sleeps) until the server
// says the mailbox changed or Poll passes.
func (c *Channel) waitForNews(ctx context.Context, mb *Mailbox, cl *imapclient.Client, news <-chan struct{}) error {
	timer := time.NewTimer(mb.IMAP.Poll)
	defer timer.Stop()
	if !cl.Caps().Has(imap.CapIdle) {
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		return ctx.Err()
	}
	idle, err := startIdle(ctx, cl)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-news:
	case <-timer.C:
	case <-cl.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("imap idle: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("imap idle: %w", err)
	}
	return ctx.Err()
}

// startIdle starts IDLE. The library waits for the server's "+" without
// noticing a connection that broke meanwhile, so the wait also ends when
// the client closes (its goroutine is then left to the closed client).
func startIdle(ctx context.Context, cl *imapclient.Client) (*imapclient.IdleCommand, error) {
	type started struct {
		cmd *imapclient.IdleCommand
		err error
	}
	ch := make(chan started, 1)
	go func() {
		cmd, err := cl.Idle()
		ch <- started{cmd, err}
	}()
	select {
	case s := <-ch:
		if s.err != nil {
			return nil, fmt.Errorf("imap idle: %w", s.err)
		}
		return s.cmd, nil
	case <-cl.Closed():
		return nil, errors.New("imap idle: the connection closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readNew stores every mail after the stored position, a batch at a time,
// each batch with the position after it. A changed UIDVALIDITY (the
// mailbox was rebuilt) reads the mailbox again from the start: mail seen
// before is recognised by its Message-ID.
func (c *Channel) readNew(ctx context.Context, mb *Mailbox, cl *imapclient.Client, uidValidity uint32) error {
	pos, err := c.position(ctx, mb)
	if err != nil {
		return err
	}
	if pos.UIDValidity != uidValidity {
		if pos.UIDValidity != 0 {
			c.log.Warn("the mailbox's UIDVALIDITY changed; reading it again", "was", pos.UIDValidity, "now", uidValidity)
		}
		pos = position{UIDValidity: uidValidity}
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(pos.LastUID+1), 0) // LastUID+1:*
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{set}}
	if pos.LastUID == 0 && mb.IMAP.Processed == "seen" {
		// A mailbox read for the first time (or again, after a new
		// UIDVALIDITY): only mail nobody has read, not years of history.
		criteria.NotFlag = []imap.Flag{imap.FlagSeen}
	}
	found, err := cl.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return fmt.Errorf("imap search: %w", err)
	}
	// "n:*" always matches the newest mail, even below n.
	uids := slices.DeleteFunc(found.AllUIDs(), func(u imap.UID) bool { return uint32(u) <= pos.LastUID })
	slices.Sort(uids)
	if len(uids) == 0 {
		return nil
	}
	sizes, err := fetchSizes(cl, uids)
	if err != nil {
		return err
	}
	for _, batch := range batches(uids, sizes) {
		if err := c.takeBatch(ctx, mb, cl, pos.UIDValidity, batch, sizes); err != nil {
			return err
		}
	}
	return nil
}

// fetchSizes asks the size of each mail before any is fetched.
func fetchSizes(cl *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	bufs, err := cl.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("imap fetch sizes: %w", err)
	}
	sizes := make(map[imap.UID]int64, len(bufs))
	for _, b := range bufs {
		sizes[b.UID] = b.RFC822Size
	}
	return sizes, nil
}

// batches cuts uids (ascending) into batches of at most fetchBatch mails
// and batchBytes (a mail over maxMail counts as its header).
func batches(uids []imap.UID, sizes map[imap.UID]int64) [][]imap.UID {
	var out [][]imap.UID
	var cur []imap.UID
	var bytes int64
	for _, u := range uids {
		size := sizes[u]
		if size > maxMail {
			size = 64 << 10 // only its header is fetched
		}
		if len(cur) > 0 && (len(cur) == fetchBatch || bytes+size > batchBytes) {
			out, cur, bytes = append(out, cur), nil, 0
		}
		cur, bytes = append(cur, u), bytes+size
	}
	return append(out, cur)
}

func (c *Channel) position(ctx context.Context, mb *Mailbox) (position, error) {
	var pos position
	raw, err := c.deps.State.Get(ctx, c.positionKey(mb))
	if err != nil {
		return pos, fmt.Errorf("read the mailbox position: %w", err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &pos); err != nil {
			return position{}, fmt.Errorf("read the mailbox position: %w", err)
		}
	}
	return pos, nil
}

// tooLarge is a mail over maxMail as loopdesk keeps it: its header, and a
// body that says what was left out.
func tooLarge(header []byte, size int64) []byte {
	if header == nil {
		return nil
	}
	note := fmt.Sprintf("（这封邮件有 %d MiB，超过 %d MiB 的上限，只读取了邮件头。）\r\n", size>>20, maxMail>>20)
	h := mimeFields.ReplaceAll(bytes.TrimRight(header, "\r\n"), []byte("X-Original-$1:"))
	return append(append(h, "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"...), note...)
}

// mimeFields are the header fields that describe the body left out.
var mimeFields = regexp.MustCompile(`(?im)^(content-type|content-transfer-encoding)[ \t]*:`)

// takeBatch fetches, reads and stores one batch of mail with the position
// after it, then marks the mail processed on the server (only a
// convenience: the position says what was read).
func (c *Channel) takeBatch(ctx context.Context, mb *Mailbox, cl *imapclient.Client, uidValidity uint32, uids []imap.UID, sizes map[imap.UID]int64) error {
	set := imap.UIDSetNum(uids...)
	whole := &imap.FetchItemBodySection{Peek: true}
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	var small, large imap.UIDSet
	for _, u := range uids {
		if sizes[u] > maxMail {
			large.AddNum(u)
		} else {
			small.AddNum(u)
		}
	}
	var bufs []*imapclient.FetchMessageBuffer
	for _, f := range []struct {
		set     imap.UIDSet
		section *imap.FetchItemBodySection
	}{{small, whole}, {large, header}} {
		if len(f.set) == 0 {
			continue
		}
		got, err := cl.Fetch(f.set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{f.section}}).Collect()
		if err != nil {
			return fmt.Errorf("imap fetch: %w", err)
		}
		bufs = append(bufs, got...)
	}
	slices.SortFunc(bufs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	var msgs []channels.Message
	for _, b := range bufs {
		raw := b.FindBodySection(whole)
		if raw == nil && sizes[b.UID] > maxMail {
			raw = tooLarge(b.FindBodySection(header), sizes[b.UID])
		}
		if raw == nil { // the server did not give the body: try the batch again later
			return fmt.Errorf("imap fetch: no body for UID %d", b.UID)
		}
		msg, ok, err := c.inbound(ctx, mb, raw, uint32(b.UID))
		if err != nil {
			return err
		}
		if ok {
			msgs = append(msgs, msg)
		}
	}
	next, _ := json.Marshal(position{UIDValidity: uidValidity, LastUID: uint32(slices.Max(uids))})
	if _, err := c.deps.Handler.HandleBatch(ctx, msgs, channels.Checkpoint{Key: c.positionKey(mb), Value: next}); err != nil {
		return fmt.Errorf("store mail: %w", err)
	}
	return c.markProcessed(mb, cl, set)
}

// createProcessedFolder makes sure the folder processed mail moves to
// exists (a MOVE to a missing one fails, and the mail would stay). One that
// exists already, or a server that refuses the CREATE, is no reason to
// stop reading: the MOVE then says what is wrong.
func (c *Channel) createProcessedFolder(mb *Mailbox, cl *imapclient.Client) error {
	folder, ok := strings.CutPrefix(mb.IMAP.Processed, "move:")
	if !ok {
		return nil
	}
	err := cl.Create(folder, nil).Wait()
	var refused *imap.Error
	switch {
	case err == nil:
		c.log.Info("created the folder for processed mail", "folder", folder)
	case errors.As(err, &refused):
		if refused.Code != imap.ResponseCodeAlreadyExists {
			c.log.Warn("create the folder for processed mail", "folder", folder, "err", err)
		}
	default:
		return fmt.Errorf("imap create %s: %w", folder, err)
	}
	return nil
}

// markProcessed flags or moves mail loopdesk stored.
//
// Without the MOVE extension the library would copy, flag \Deleted and
// EXPUNGE, erasing every mail a person flagged deleted too: such a server
// gets \Seen instead.
//
// A server that refuses is logged and reading goes on (the position says
// what was read); a connection that broke ends the session, which
// reconnects: the client would not notice otherwise before its next IDLE.
func (c *Channel) markProcessed(mb *Mailbox, cl *imapclient.Client, set imap.UIDSet) error {
	var err error
	if folder, ok := strings.CutPrefix(mb.IMAP.Processed, "move:"); ok && cl.Caps().Has(imap.CapMove) {
		_, err = cl.Move(set, folder).Wait()
	} else {
		err = cl.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen}, Silent: true}, nil).Close()
	}
	var refused *imap.Error
	if err != nil && !errors.As(err, &refused) {
		return fmt.Errorf("imap: mark mail processed: %w", err)
	}
	if err != nil {
		c.log.Warn("the server refused to mark mail processed", "err", err)
	}
	return nil
}
