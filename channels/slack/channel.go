package slack

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
)

// DefaultAPIBase is Slack's Web API host.
const DefaultAPIBase = "https://slack.com"

// Config configures the channel.
type Config struct {
	// SigningSecret checks every request Slack sends to the HTTP URLs
	// (Basic Information → Signing Secret). Without it (Socket Mode only)
	// the URLs refuse every request.
	SigningSecret string
	// BotToken (xoxb-…) posts replies. Required.
	BotToken string
	// AppToken (xapp-…, connections:write) turns Socket Mode on: Slack
	// sends everything over a websocket loopdesk opens, no public URL.
	AppToken string
	// APIBase is scheme://host serving /api/<method>. Defaults to
	// DefaultAPIBase.
	APIBase string
	// DirectMessages: people who message the app directly are customers.
	DirectMessages bool
	// CustomerChannels are channel ids (shared channels with customers)
	// whose messages are customers'; each top-level message starts a
	// conversation, its thread continues it.
	CustomerChannels []string
	// Groups maps desk groups to the Slack channel ids their tickets'
	// cards and threads go to.
	Groups map[string]string
	// NoteMarkers start an agent's thread reply that stays an internal
	// note. Defaults to DefaultNoteMarkers.
	NoteMarkers []string
	// HTTPClient makes the Web API calls. Defaults to one with a 10 s timeout.
	HTTPClient *http.Client
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultNoteMarkers are the note markers unless configured.
var DefaultNoteMarkers = []string{"//", "note:", "备注："}

// Deps is what the channel needs from the rest of loopdesk.
type Deps struct {
	// Handler stores customers' messages. Required.
	Handler channels.Handler
	// State remembers the events seen. Required.
	State channels.State
	// Desk carries out agents' /ticket commands; nil answers that they are off.
	Desk channels.Desk
}

// Channel is the Slack channel.
type Channel struct {
	cfg       Config
	deps      Deps
	log       *slog.Logger
	api       *slack.Client
	customers map[string]bool
	staff     map[string]bool // the groups' channels: where tickets' threads are
	pace      *pacer
	cardLocks stripes // per ticket: one card each
	// answerWithin: see the constant; tests shorten it.
	answerWithin time.Duration
}

// New checks cfg and returns the channel.
func New(cfg Config, deps Deps) (*Channel, error) {
	if deps.Handler == nil || deps.State == nil {
		return nil, errors.New("slack: a handler and a state are required")
	}
	if cfg.BotToken == "" || (cfg.SigningSecret == "" && cfg.AppToken == "") {
		return nil, errors.New("slack: bot_token is required, and signing_secret (HTTP URLs) or app_token (Socket Mode)")
	}
	cfg.APIBase = strings.TrimRight(strings.TrimSpace(cfg.APIBase), "/")
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if u, err := url.Parse(cfg.APIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
		return nil, errors.New("slack: api_base must be scheme://host[:port]")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.NoteMarkers) == 0 {
		cfg.NoteMarkers = DefaultNoteMarkers
	}
	c := &Channel{answerWithin: answerWithin, cfg: cfg, deps: deps, log: cfg.Logger.With("channel", channels.Slack),
		api:       slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIBase+"/api/"), slack.OptionHTTPClient(cfg.HTTPClient)),
		customers: map[string]bool{}, staff: map[string]bool{}, pace: newPacer(cfg.Now)}
	for _, id := range cfg.CustomerChannels {
		c.customers[id] = true
	}
	for _, id := range cfg.Groups {
		c.staff[id] = true
	}
	return c, nil
}

// Name is channels.Slack.
func (c *Channel) Name() string { return channels.Slack }

var _ channels.Channel = (*Channel)(nil)

// Register mounts the Events API and slash command URLs.
func (c *Channel) Register(mux *http.ServeMux) {
	mux.Handle("POST /hooks/slack/events", http.HandlerFunc(c.events))
	mux.Handle("POST /hooks/slack/commands", http.HandlerFunc(c.commands))
	mux.Handle("POST /hooks/slack/interactions", http.HandlerFunc(c.interactions))
}
