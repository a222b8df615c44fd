package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
)

// Config configures the channel: one mailbox read over IMAP, replies sent
// over SMTP from Address.
type Config struct {
	// Address is the support address: the mailbox customers write to and
	// the From of replies. Required.
	Address string
	// Name is the display name of From. Defaults to "客服".
	Name string
	// Domain is the right-hand side of our Message-IDs, through which
	// replies find their ticket. Defaults to Address's domain.
	Domain string
	IMAP   IMAPConfig
	SMTP   SMTPConfig
	// Group is the desk group new tickets from this mailbox go to; empty:
	// the desk's rules decide.
	Group string
	// More are further mailboxes (售后@, billing@ …), each read and answered
	// on its own, each with its group. Name and Domain default as above.
	More []Mailbox
	// AckWindow: one sender gets at most one acknowledgement in it (a
	// customer writing ten mails in a row gets one). Defaults to 1h.
	AckWindow time.Duration
	// MaxAttachment: larger attachments are not kept; the ticket says so.
	// Defaults to 20 MiB.
	MaxAttachment int64
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// IMAPConfig is where mail comes in.
type IMAPConfig struct {
	// Addr is host:port; Username and Password log in.
	Addr, Username, Password string
	// Mailbox is read. Defaults to INBOX.
	Mailbox string
	// TLS is none, starttls or tls. Defaults to tls.
	TLS string
	// Processed says what happens to mail once stored: "seen" (flag it
	// \Seen, the default) or "move:Folder" (Folder is created when missing).
	Processed string
	// Poll is how often the mailbox is looked at when the server has no
	// IDLE, and the longest an IDLE waits before looking anyway. Defaults
	// to 1m.
	Poll time.Duration
	// TLSConfig overrides the TLS settings (a private CA in tests).
	TLSConfig *tls.Config
}

// SMTPConfig is where replies go out.
type SMTPConfig struct {
	// Addr is host:port; Username and Password, when set, authenticate
	// (AUTH PLAIN, only over TLS or to localhost).
	Addr, Username, Password string
	// TLS is none, starttls or tls. Defaults to starttls.
	TLS string
	// TLSConfig overrides the TLS settings.
	TLSConfig *tls.Config
	// Timeout bounds one send. Defaults to 1m.
	Timeout time.Duration
}

// Mailbox is one support address with its servers and its group.
type Mailbox struct {
	Address, Name, Domain, Group string
	IMAP                         IMAPConfig
	SMTP                         SMTPConfig
}

// Deps is what the channel needs from the rest of loopdesk.
type Deps struct {
	// Handler stores mail with the mailbox position. Required.
	Handler channels.BatchHandler
	// State keeps the position, ticket threads and acknowledgement limits. Required.
	State channels.State
	// Reports takes bounces. Required.
	Reports channels.DeliveryReports
}

// Channel is the email channel.
type Channel struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	boxes []*Mailbox // the first is Config's own; replies go out from the one the customer wrote to
}

// New checks cfg and returns the channel.
func New(cfg Config, deps Deps) (*Channel, error) {
	if deps.Handler == nil || deps.State == nil || deps.Reports == nil {
		return nil, errors.New("email: a handler, a state and delivery reports are required")
	}
	cfg.applyDefaults()
	c := &Channel{cfg: cfg, deps: deps, log: cfg.Logger.With("channel", channels.Email)}
	first := Mailbox{Address: cfg.Address, Name: cfg.Name, Domain: cfg.Domain, Group: cfg.Group, IMAP: cfg.IMAP, SMTP: cfg.SMTP}
	seen := map[string]bool{}
	for _, mb := range append([]Mailbox{first}, cfg.More...) {
		if err := mb.applyDefaults(); err != nil {
			return nil, err
		}
		// Two readers of one IMAP mailbox would race for its mail.
		if seen[mb.Address] || (mb.IMAP.Addr != "" && seen[c.positionKey(&mb)]) {
			return nil, fmt.Errorf("email: mailbox %s is configured twice (address or IMAP account and folder)", mb.Address)
		}
		seen[mb.Address], seen[c.positionKey(&mb)] = true, true
		c.boxes = append(c.boxes, &mb)
	}
	registerCharsets() // before any decoding, the IMAP client's included: it writes the library's table
	return c, nil
}

func (cfg *Config) applyDefaults() {
	if cfg.AckWindow <= 0 {
		cfg.AckWindow = time.Hour
	}
	if cfg.MaxAttachment <= 0 {
		cfg.MaxAttachment = 20 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// applyDefaults checks a mailbox and fills in its defaults.
func (cfg *Mailbox) applyDefaults() error {
	addr, err := mail.ParseAddress(cfg.Address)
	if err != nil {
		return fmt.Errorf("email: address %q: %w", cfg.Address, err)
	}
	cfg.Address = strings.ToLower(addr.Address)
	if cfg.Name == "" {
		cfg.Name = "客服"
	}
	if cfg.Domain == "" {
		cfg.Domain = cfg.Address[strings.LastIndexByte(cfg.Address, '@')+1:]
	}
	if cfg.IMAP.Mailbox == "" {
		cfg.IMAP.Mailbox = "INBOX"
	}
	if cfg.IMAP.TLS == "" {
		cfg.IMAP.TLS = "tls"
	}
	if cfg.SMTP.TLS == "" {
		cfg.SMTP.TLS = "starttls"
	}
	for _, m := range []string{cfg.IMAP.TLS, cfg.SMTP.TLS} {
		if m != "none" && m != "starttls" && m != "tls" {
			return fmt.Errorf("email: tls %q: use none, starttls or tls", m)
		}
	}
	if cfg.SMTP.Username != "" && cfg.SMTP.TLS == "none" && !isLocal(cfg.SMTP.Addr) {
		return fmt.Errorf("email: smtp %s: a password is sent only over TLS or to localhost; use starttls or tls", cfg.SMTP.Addr)
	}
	if cfg.IMAP.Addr != "" && cfg.IMAP.TLS == "none" && !isLocal(cfg.IMAP.Addr) {
		return fmt.Errorf("email: imap %s: a password is sent only over TLS or to localhost; use starttls or tls", cfg.IMAP.Addr)
	}
	if p := cfg.IMAP.Processed; p == "" {
		cfg.IMAP.Processed = "seen"
	} else if p != "seen" && !strings.HasPrefix(p, "move:") {
		return fmt.Errorf("email: processed %q: use seen or move:Folder", p)
	}
	if cfg.IMAP.Poll <= 0 {
		cfg.IMAP.Poll = time.Minute
	}
	if cfg.SMTP.Timeout <= 0 {
		cfg.SMTP.Timeout = time.Minute
	}
	return nil
}

// isLocal reports whether addr (host:port) is this machine.
func isLocal(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Name is channels.Email.
func (c *Channel) Name() string { return channels.Email }

var _ channels.Channel = (*Channel)(nil)

// maxBackoff is the longest wait between connections. A session that
// lasted longer worked: the next failure starts again from a second.
const maxBackoff = time.Minute

// Run reads every mailbox until ctx is done, each reconnecting with
// backoff on its own.
func (c *Channel) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, mb := range c.boxes {
		if mb.IMAP.Addr != "" {
			wg.Go(func() { c.read(ctx, mb) })
		}
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// read reads one mailbox until ctx is done, reconnecting with backoff.
func (c *Channel) read(ctx context.Context, mb *Mailbox) {
	log := c.log.With("mailbox", mb.Address)
	for failures := 0; ctx.Err() == nil; {
		began := c.cfg.Now()
		err := c.session(ctx, mb)
		if ctx.Err() != nil {
			return
		}
		if c.cfg.Now().Sub(began) > maxBackoff {
			failures = 0
		}
		failures++
		pause := min(time.Second<<min(failures-1, 6), maxBackoff)
		log.Error("mailbox session ended; reconnecting", "err", err, "in", pause)
		if !wait.Sleep(ctx, pause) {
			return
		}
	}
}

// box is the mailbox a reply goes out from: the one the customer wrote to.
func (c *Channel) box(address string) *Mailbox {
	for _, mb := range c.boxes {
		if mb.Address == address {
			return mb
		}
	}
	return c.boxes[0]
}
