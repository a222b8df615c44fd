package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
)

// Config tunes the Service. The zero value of every field is a working default.
type Config struct {
	// Templates render the replies the Service writes on its own. Required.
	Templates *Templates
	// Desk is how the company works: routing, SLAs, ticket types, paging.
	// Nil: tickets are filed without contacts, routing or SLA.
	Desk *Desk
	// Notifiers names the notifiers attached (as channels "notify.<name>").
	// Notices the desk sends through others are dropped, with a warning at
	// start.
	Notifiers []string
	// Blobs keeps attachment content. Required.
	Blobs Blobs
	// Attachments limits what is kept of attachments.
	Attachments AttachmentLimits
	// Logger receives one line per handled failure. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Registerer receives the Service's metrics. Defaults to none.
	Registerer prometheus.Registerer

	// Workers is how many batches of inbox messages are worked at once;
	// messages of one thread are always worked in order by the same worker.
	// Defaults to 2.
	Workers int
	// BatchSize is the most messages filed in one transaction. Defaults to 8.
	BatchSize int
	// BurstRate is the arrival rate (new messages a second) above which
	// filing yields to acknowledging them. Defaults to 4000, above what a
	// 2-core machine files end to end (BENCHMARKS.md).
	BurstRate float64
	// IntakeYield is the longest a worker rests after a batch during a
	// burst, as a multiple of the time the batch took. Negative turns
	// resting off. Defaults to 8, which on a 2-core machine keeps
	// acknowledgements fast at 10,000 messages/s.
	IntakeYield float64
	// ExtractTimeout bounds one extraction. Defaults to 10s.
	ExtractTimeout time.Duration
	// Lease is how long a claimed inbox or outbox item stays hidden from
	// other claims before it is offered again. Defaults to 2m.
	Lease time.Duration
	// PollInterval is how often idle queues are looked at when nothing woke
	// them (after a restart, retries coming due). Defaults to 500ms.
	PollInterval time.Duration

	// ReopenWindow is how long after a ticket is solved the customer's next
	// message on its conversation reopens it; later, or once it is closed,
	// the message opens a follow-up ticket (Ticket.FollowUpOf). Negative
	// turns reopening off: every such message opens a follow-up. Defaults
	// to 7 days.
	ReopenWindow time.Duration

	// Delivery tunes the dispatcher.
	Delivery DeliveryConfig

	// Summaries turns ticket summaries for agents on (off by default).
	Summaries SummaryConfig
}

// DeliveryConfig tunes how outbound messages are delivered.
type DeliveryConfig struct {
	// MaxAttempts is how many times a message is tried before it is marked
	// failed. Defaults to 10.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; each further
	// failure doubles it, up to MaxBackoff. Defaults to 1s and 10m.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Concurrency is how many sends run at once. Defaults to 64.
	Concurrency int
	// Timeout bounds one send. Defaults to 30s.
	Timeout time.Duration
	// MaxHold is the longest a message a channel holds (channels.Hold)
	// may wait for the customer; after it a hold counts as a failed
	// attempt, so a channel that keeps holding cannot keep a message
	// forever. Defaults to 7 days.
	MaxHold time.Duration
}

func (c *Config) applyDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Attachments.applyDefaults()
	setDefault(&c.Workers, 2)
	setDefault(&c.BatchSize, 8)
	if c.IntakeYield == 0 {
		c.IntakeYield = 8
	}
	if c.BurstRate <= 0 {
		c.BurstRate = 4000
	}
	setDefault(&c.ExtractTimeout, 10*time.Second)
	setDefault(&c.Lease, 2*time.Minute)
	setDefault(&c.PollInterval, 500*time.Millisecond)
	if c.ReopenWindow == 0 {
		c.ReopenWindow = 7 * 24 * time.Hour
	}
	d := &c.Delivery
	setDefault(&d.MaxAttempts, 10)
	setDefault(&d.Backoff, time.Second)
	setDefault(&d.MaxBackoff, 10*time.Minute)
	setDefault(&d.Concurrency, 64)
	setDefault(&d.Timeout, 30*time.Second)
	setDefault(&d.MaxHold, 7*24*time.Hour)
	setDefault(&c.Summaries.MinMessages, 6)
	setDefault(&c.Summaries.Timeout, 30*time.Second)
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Service receives inbound messages, works the inbox into tickets, delivers
// the outbox, and carries out what agents do to tickets. Its methods are safe
// for concurrent use.
type Service struct {
	cfg       Config
	store     Store
	extractor nlu.Extractor
	desk      *Desk
	log       *slog.Logger
	metrics   *metrics

	mu       sync.RWMutex
	channels map[string]channels.Channel

	// intake tells workers whether a burst of new messages is on.
	intake     intake
	inboxWake  chan struct{}
	outboxWake chan struct{}
	// changes are tickets whose change the watchers have yet to see.
	changes chan string
	// summaries are tickets whose summary is to be made again.
	summaries chan string
}

// New returns a Service on store that reads new messages with extractor.
// Attach the channels it delivers to before Run.
func New(cfg Config, store Store, extractor nlu.Extractor) (*Service, error) {
	cfg.applyDefaults()
	if store == nil || extractor == nil {
		return nil, errors.New("ticketcore: a store and an extractor are required")
	}
	if cfg.Templates == nil || cfg.Blobs == nil {
		return nil, errors.New("ticketcore: templates and a blob store are required")
	}
	if err := cfg.checkDesk(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, extractor: extractor, desk: cfg.Desk,
		log:        cfg.Logger.With("component", "ticketcore"),
		channels:   map[string]channels.Channel{},
		inboxWake:  make(chan struct{}, 1),
		outboxWake: make(chan struct{}, 1),
		changes:    make(chan string, watchQueue),
		summaries:  make(chan string, summaryQueue),
	}
	s.store = watchedStore{store, s}
	if cfg.Desk != nil {
		if missing := cfg.Desk.missingNotifiers(cfg.Notifiers); len(missing) > 0 {
			s.log.Warn("the desk names notifiers that are not configured; notices through them are not sent",
				"missing", missing, "configured", cfg.Notifiers)
		}
	}
	m, err := newMetrics(cfg.Registerer, store)
	if err != nil {
		return nil, fmt.Errorf("ticketcore: register metrics: %w", err)
	}
	s.metrics = m
	return s, nil
}

// Attach makes ch the channel that delivers outbound messages for ch.Name().
func (s *Service) Attach(ch channels.Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[ch.Name()] = ch
}

func (s *Service) channel(name string) (channels.Channel, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ch, ok := s.channels[name]
	return ch, ok
}

// Run works the inbox and the outbox until ctx is done, then finishes the
// work in hand and returns. Messages stored but not yet worked stay in the
// inbox for the next Run.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { s.runInbox(ctx) })
	wg.Go(func() { s.runDispatcher(ctx) })
	wg.Go(func() { s.runTimers(ctx) })
	wg.Go(func() { s.runWatchers(ctx) })
	wg.Go(func() { s.runSummaries(ctx) })
	wg.Wait()
	return nil
}

// wake nudges a worker without blocking; one pending nudge is enough.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// checkDesk checks that the desk uses only attached notifiers and
// existing reply templates.
func (c Config) checkDesk() error {
	if c.Desk == nil {
		return nil
	}
	for _, t := range c.Desk.types {
		if len(t.Ask) > 0 && !c.Templates.Has(TemplateAsk) {
			return fmt.Errorf("desk: ticket type %q asks for fields, and there is no reply template %q", t.Name, TemplateAsk)
		}
		for _, st := range t.Stages {
			if st.Progress != "" && !c.Templates.Has(st.Progress) {
				return fmt.Errorf("desk: ticket type %q: stage %q: no reply template %q", t.Name, st.Name, st.Progress)
			}
		}
	}
	return nil
}

// idle waits until woken, the poll interval passes, or ctx is done; it
// reports whether to go on. A nil wake channel only waits.
func (s *Service) idle(ctx context.Context, wakeCh <-chan struct{}) bool {
	t := time.NewTimer(s.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wakeCh:
	case <-t.C:
	}
	return true
}
