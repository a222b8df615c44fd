package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/channels/api"
	"github.com/loopdesk/loopdesk/channels/slack"
	"github.com/loopdesk/loopdesk/channels/wecom"
	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/redact"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/boltstore"
	"github.com/loopdesk/loopdesk/ticketcore/fsblobs"
)

// serve runs the gateway until ctx ends, then stops taking requests,
// finishes the work in hand and returns nil.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", "", "YAML config file (default: the embedded default)")
	addr := fs.String("addr", "", "listen address, overrides server.addr")
	dataDir := fs.String("data", "", "data directory, overrides data.dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	if *dataDir != "" {
		cfg.Data.Dir = *dataDir
	}
	log, err := newLogger(cfg.Log, stderr)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		// The live heap is small (tens of MB) and the garbage comes from
		// requests: collecting less often buys CPU for acknowledging them.
		debug.SetGCPercent(400)
	}
	g, err := build(cfg, log)
	if err != nil {
		return err
	}
	defer g.close()
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	printBanner(stdout, cfg, ln.Addr().String(), g.secrets)
	log.Info("serving", "addr", ln.Addr().String(), "data", g.dataPath, "version", version())
	return g.run(ctx, ln, cfg.Server.ShutdownTimeout)
}

// gateway is everything serve wired together.
type gateway struct {
	store    *boltstore.Store
	service  *ticketcore.Service
	handler  http.Handler
	log      *slog.Logger
	dataPath string
	secrets  firstStart
	// runners work beside the service until the work context ends (a
	// channel's pollers and background work).
	runners []func(context.Context) error
}

// build opens the store and wires the service, the channels and the HTTP
// routes, by hand and in order.
func build(cfg Config, log *slog.Logger) (*gateway, error) {
	g := &gateway{log: log, dataPath: filepath.Join(cfg.Data.Dir, "loopdesk.db")}
	store, err := boltstore.Open(boltstore.Config{Path: g.dataPath, Logger: log})
	if err != nil {
		return nil, err
	}
	g.store = store
	if err := g.wire(cfg); err != nil {
		store.Close()
		return nil, err
	}
	return g, nil
}

func (g *gateway) wire(cfg Config) error {
	creds, err := loadCredentials(context.Background(), g.store, cfg)
	if err != nil {
		return err
	}
	g.secrets = creds.firstStart
	templates, err := ticketcore.ParseTemplates(configFS(cfg.Tickets.TemplatesDir, "templates"))
	if err != nil {
		return err
	}
	desk, err := loadDesk(cfg.Tickets.Desk)
	if err != nil {
		return err
	}
	blobs, err := fsblobs.Open(filepath.Join(cfg.Data.Dir, "blobs"))
	if err != nil {
		return err
	}
	notifiers, err := newNotifiers(cfg.Notifiers)
	if err != nil {
		return err
	}
	names := notifierNames(notifiers)
	if wecomNotifies(cfg.Channels.WeCom) {
		names = append(names, wecom.NotifierName)
	}
	if sc := cfg.Channels.Slack; sc.BotToken != "" && len(sc.Groups) > 0 {
		names = append(names, slack.NotifierName)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	extractor, err := newExtractor(cfg.NLU, reg)
	if err != nil {
		return err
	}
	svc, err := ticketcore.New(ticketcore.Config{Templates: templates, Desk: desk, Blobs: blobs,
		Notifiers: names, Logger: g.log, Registerer: reg,
		Attachments: ticketcore.AttachmentLimits(cfg.Tickets.Attachments),
		Workers:     cfg.Tickets.Workers, BatchSize: cfg.Tickets.BatchSize, BurstRate: cfg.Tickets.BurstRate, IntakeYield: cfg.Tickets.IntakeYield, ReopenWindow: cfg.Tickets.ReopenWindow,
		ExtractTimeout: cfg.NLU.Timeout, Delivery: ticketcore.DeliveryConfig(cfg.Delivery),
		Summaries: summaries(cfg.NLU, extractor)}, g.store, extractor.ext)
	if err != nil {
		return err
	}
	g.service = svc
	for _, n := range notifiers {
		svc.Attach(notify.Channel(n))
	}
	apiChannel, err := api.New(api.Config{TokenHash: creds.apiTokenHash, CallbackURL: cfg.Channels.API.CallbackURL,
		CallbackSecret: creds.callbackSecret, MaxBodyBytes: cfg.Server.MaxBodyBytes,
		Logger: g.log}, svc, svc)
	if err != nil {
		return err
	}
	svc.Attach(apiChannel)

	mux := http.NewServeMux()
	if wecomEnabled(cfg.Channels.WeCom) {
		wc, err := newWeCom(cfg.Channels.WeCom, svc, deskLocation(desk), g.log)
		if err != nil {
			return fmt.Errorf("config: channels.wecom: %w", err)
		}
		svc.Attach(wc)
		if wecomNotifies(cfg.Channels.WeCom) {
			svc.Attach(notify.Channel(wc.Notifier()))
		}
		mux.Handle("/hooks/wecom", wc.AppHandler())
		mux.Handle("/hooks/wecom/kf", wc.KFHandler())
		g.runners = append(g.runners, wc.Run)
	}
	if sc := cfg.Channels.Slack; sc.SigningSecret != "" || sc.BotToken != "" || sc.AppToken != "" {
		ch, err := slack.New(slack.Config{SigningSecret: sc.SigningSecret, BotToken: sc.BotToken, AppToken: sc.AppToken, APIBase: sc.APIBase,
			DirectMessages: sc.DirectMessages, CustomerChannels: sc.CustomerChannels, Groups: sc.Groups,
			NoteMarkers: sc.NoteMarkers, Logger: g.log},
			slack.Deps{Handler: svc, State: svc.State(), Desk: svc.ChatDesk()})
		if err != nil {
			return fmt.Errorf("config: channels.slack: %w", err)
		}
		svc.Attach(ch)
		if len(sc.Groups) > 0 {
			svc.Attach(notify.Channel(ch.Notifier()))
		}
		ch.Register(mux)
		g.runners = append(g.runners, ch.Run)
	}
	if cfg.Channels.Email.Address != "" {
		ec, err := newEmail(cfg.Channels.Email, svc, g.log)
		if err != nil {
			return fmt.Errorf("config: channels.email: %w", err)
		}
		svc.Attach(ec)
		g.runners = append(g.runners, ec.Run)
	}
	mux.HandleFunc("GET /healthz", g.health)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	apiChannel.Register(mux)
	agentapi.New(agentapi.Config{MaxBodyBytes: cfg.Server.MaxBodyBytes, Logger: g.log}, svc, creds.tokens).Register(mux)
	g.handler = jsonRouteErrors(mux)
	return nil
}

// configFS is the directory of configuration files: a company's own when
// dir is set, else the embedded one.
func configFS(dir, embedded string) (fs.FS, string) {
	if dir != "" {
		return os.DirFS(dir), "."
	}
	return configs.FS, embedded
}

// run serves HTTP and works the queues until ctx ends; then HTTP stops
// first (in-flight requests finish), then the service finishes the work in
// hand. Whatever is left after shutdownTimeout stays queued in the store
// for the next start.
func (g *gateway) run(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	srv := &http.Server{Handler: g.handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)}
	workCtx, stopWork := context.WithCancel(context.Background())
	defer stopWork()
	workDone := make(chan struct{})
	go func() {
		defer close(workDone)
		g.work(workCtx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	g.log.Info("shutting down")
	deadline := time.Now().Add(shutdownTimeout)
	shutCtx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if serr := srv.Shutdown(shutCtx); serr != nil {
		g.log.Warn("in-flight requests did not finish in time; closing them", "err", serr)
		srv.Close()
	}
	stopWork()
	select {
	case <-workDone:
	case <-time.After(time.Until(deadline)):
		g.log.Warn("work in hand did not finish in time; it stays queued for the next start")
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// work runs the service and the runners until ctx ends and they finish.
func (g *gateway) work(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range append([]func(context.Context) error{g.service.Run}, g.runners...) {
		wg.Go(func() {
			if err := run(ctx); err != nil {
				g.log.Error("a part of loopdesk stopped working", "err", err)
			}
		})
	}
	wg.Wait()
}

func (g *gateway) close() {
	if err := g.store.Close(); err != nil {
		g.log.Error("close store", "err", err)
	}
}

func newLogger(cfg LogConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, fmt.Errorf("config: log.level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.Format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(redact.NewHandler(h)), nil
}
