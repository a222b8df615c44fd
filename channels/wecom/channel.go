package wecom

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// Config configures the channel. CorpID, Token and AESKey are required;
// KFSecret turns 微信客服 on, Secret and AgentID the agents' app.
type Config struct {
	// CorpID is the company's id (企业ID); callbacks are sealed for it.
	CorpID string
	// Token and AESKey are the callback Token and EncodingAESKey, the
	// same for the app and the kf callback URLs.
	Token  string
	AESKey string
	// AgentID and Secret are the self-built app's (应用 AgentId, Secret).
	AgentID int
	Secret  string
	// KFSecret is the 微信客服 secret (微信客服 → API → Secret).
	KFSecret string
	// APIBase is scheme://host of the API. Defaults to DefaultAPIBase.
	APIBase string
	// HTTPClient makes the API calls. Defaults to one with a 10 s timeout.
	HTTPClient *http.Client
	// Welcome answers a customer who opens the chat (enter_session); empty
	// sends nothing.
	Welcome string
	// ConsoleURL, when set, is where the cards' "open" button and the
	// textcards link to: ConsoleURL + "/tickets/" + id.
	ConsoleURL string
	// MaxMedia is the largest image, voice, video or file downloaded from
	// a customer message; larger ones stay a reference. Defaults to 20 MiB.
	MaxMedia int64
	// Location shows times to agents. Defaults to time.Local.
	Location *time.Location
	// Logger defaults to slog.Default(); Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

// Deps is what the channel needs from the rest of loopdesk.
type Deps struct {
	// Handler stores customers' messages (with their sync cursor). Required.
	Handler interface {
		channels.Handler
		channels.BatchHandler
	}
	// State keeps tokens, cursors, send windows and seen callbacks. Required.
	State channels.State
	// Reports takes msg_send_fail events. Required.
	Reports channels.DeliveryReports
	// Desk carries out agents' commands; nil answers that they are off.
	Desk channels.Desk
}

// Channel is the WeCom channel: it sends replies to 微信客服 customers
// (Send), serves the two callback URLs, and (Notifier) tells agents.
type Channel struct {
	cfg  Config
	deps Deps
	log  *slog.Logger

	crypt crypter
	kf    *client // nil when 微信客服 is not configured
	app   *client // nil when the app is not configured

	syncs   *syncer
	limiter *memberLimiter
	work    sync.WaitGroup // agents' commands in hand
	// waitBase paces retries: a failed sync waits waitBase, doubling; a
	// stalled one waitBase/5 more each time. Tests shorten it.
	waitBase time.Duration

	mu      sync.Mutex
	ctx     context.Context // Run's, for work a callback starts; nil before Run
	stopped bool            // Run is done: no work may start
	// accounts are the kf accounts known to be in the State's list.
	accounts map[string]bool
}

// New checks cfg and returns the channel. Attach it to the ticket core for
// outbound messages, mount KFHandler and AppHandler, and Run it.
func New(cfg Config, deps Deps) (*Channel, error) {
	if deps.Handler == nil || deps.State == nil || deps.Reports == nil {
		return nil, errors.New("wecom: a handler, a state and delivery reports are required")
	}
	crypt, err := newCrypter(cfg.Token, cfg.AESKey, cfg.CorpID)
	if err != nil {
		return nil, err
	}
	if cfg.KFSecret == "" && cfg.Secret == "" {
		return nil, errors.New("wecom: set kf_secret (微信客服), secret and agent_id (the agents' app), or both")
	}
	if cfg.Secret != "" && cfg.AgentID <= 0 {
		return nil, errors.New("wecom: the app's secret needs its agent_id")
	}
	cfg.applyDefaults()
	if err := checkAPIBase(cfg.APIBase); err != nil {
		return nil, err
	}
	c := &Channel{cfg: cfg, deps: deps, crypt: crypt,
		log:     cfg.Logger.With("channel", channels.WeCom),
		limiter: newMemberLimiter(cfg.Now), waitBase: time.Second, accounts: map[string]bool{}}
	owner := processID()
	if cfg.KFSecret != "" {
		c.kf = c.newClient("kf", cfg.KFSecret, owner)
	}
	if cfg.Secret != "" {
		c.app = c.newClient(fmt.Sprintf("app/%d", cfg.AgentID), cfg.Secret, owner)
	}
	c.syncs = newSyncer(c.syncAccount, func(failures int) time.Duration { return retryWait(c.waitBase, failures) }, c.log)
	return c, nil
}

func (cfg *Config) applyDefaults() {
	cfg.APIBase = strings.TrimRight(strings.TrimSpace(cfg.APIBase), "/")
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.HTTPClient.Timeout <= 0 { // the library's default client has none: never wait forever
		client := *cfg.HTTPClient
		client.Timeout = 10 * time.Second
		cfg.HTTPClient = &client
	}
	if cfg.MaxMedia <= 0 {
		cfg.MaxMedia = 20 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.ConsoleURL = strings.TrimRight(cfg.ConsoleURL, "/")
}

// checkAPIBase accepts scheme://host[:port] and nothing more: the paths
// and the access token are added to it, and a malformed base would put the
// secret into error messages.
func checkAPIBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("wecom: api_base must be scheme://host[:port], e.g. %s", DefaultAPIBase)
	}
	return nil
}

// newClient returns an API client with its own token: the app's and kf's
// are distinct, so are their State keys.
func (c *Channel) newClient(kind, secret, owner string) *client {
	ts := &tokenSource{key: "wecom/token/" + c.cfg.CorpID + "/" + kind, corpID: c.cfg.CorpID,
		secret: secret, base: c.cfg.APIBase, http: c.cfg.HTTPClient, state: c.deps.State,
		now: c.cfg.Now, owner: owner}
	return &client{base: c.cfg.APIBase, http: c.cfg.HTTPClient, tokens: ts}
}

var _ channels.Channel = (*Channel)(nil)

// Name is channels.WeCom.
func (c *Channel) Name() string { return channels.WeCom }

// KFHandler serves the 微信客服 callback URL (/hooks/wecom/kf).
func (c *Channel) KFHandler() http.Handler {
	return callback{crypt: c.crypt, log: c.log, now: c.cfg.Now, handle: c.kfCallback}
}

// AppHandler serves the self-built app's callback URL (/hooks/wecom).
func (c *Channel) AppHandler() http.Handler {
	return callback{crypt: c.crypt, log: c.log, now: c.cfg.Now, handle: c.appCallback}
}

// Run does the work callbacks start (syncing kf messages, answering
// agents) until ctx is done, then waits for the work in hand. It first
// syncs every kf account it has a cursor for, catching up on what arrived
// while loopdesk was down.
func (c *Channel) Run(ctx context.Context) error {
	c.mu.Lock()
	c.ctx = ctx
	c.mu.Unlock()
	c.syncs.start(ctx)
	if c.kf != nil {
		c.catchUp(ctx)
	}
	<-ctx.Done()
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	c.syncs.wait()
	c.work.Wait()
	return nil
}

// processID tells this process's refresh leases from others'.
func processID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
