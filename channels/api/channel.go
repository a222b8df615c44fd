package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// DefaultTimeout bounds one callback request of the default HTTP client.
const DefaultTimeout = 10 * time.Second

// Config configures the API channel. It is plain data; New applies the
// defaults and validates it.
type Config struct {
	// Token is the bearer token clients present on both endpoints. Either
	// Token or TokenHash is required.
	Token string
	// TokenHash is the hex SHA-256 of the token (see HashToken), for a token
	// generated at first start whose plain value is not kept. When Token is
	// set too, the two must agree.
	TokenHash string
	// CallbackURL is the http(s) URL outbound messages are posted to. Empty
	// means no callbacks: replies stay readable from the conversation
	// endpoint. Defaults to empty.
	CallbackURL string
	// CallbackSecret is the HMAC key callbacks are signed with. Defaults to
	// Token. With a CallbackURL and neither Token nor CallbackSecret, New fails.
	CallbackSecret string
	// MaxBodyBytes limits an inbound request body, attachments included.
	// Defaults to 1 MiB.
	MaxBodyBytes int64
	// HTTPClient posts callbacks. Defaults to a client with a 10 s timeout
	// that does not follow redirects.
	HTTPClient *http.Client
	// Logger receives failures the channel handles itself. Defaults to
	// discarding them.
	Logger *slog.Logger
	// Now is the clock for callback timestamps and Retry-After dates.
	// Defaults to time.Now.
	Now func() time.Time
}

// Channel is the generic HTTP/JSON channel. It serves the inbound and
// conversation endpoints and implements channels.Channel for replies. Safe for
// concurrent use.
type Channel struct {
	tokenHash   [sha256.Size]byte
	callbackURL string
	receiver    string // callbackURL without path and query, for errors
	secret      string
	maxBody     int64
	client      *http.Client
	log         *slog.Logger
	now         func() time.Time
	handler     channels.Handler
	conv        channels.Conversations
}

var _ channels.Channel = (*Channel)(nil)

// HashToken returns the hex SHA-256 of token, the form Config.TokenHash takes.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// New returns the API channel. h stores inbound messages; conv answers the
// conversation endpoint.
func New(cfg Config, h channels.Handler, conv channels.Conversations) (*Channel, error) {
	if h == nil {
		return nil, errors.New("api channel: a message handler is required")
	}
	if conv == nil {
		return nil, errors.New("api channel: a conversation reader is required")
	}
	c := &Channel{
		maxBody: cfg.MaxBodyBytes,
		client:  cfg.HTTPClient,
		log:     cfg.Logger,
		now:     cfg.Now,
		handler: h,
		conv:    conv,
	}
	hash, err := bearerHash(cfg.Token, cfg.TokenHash)
	if err != nil {
		return nil, err
	}
	c.tokenHash = hash
	if err := c.setCallback(cfg); err != nil {
		return nil, err
	}
	if c.maxBody <= 0 {
		c.maxBody = httpjson.DefaultMaxBody
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: DefaultTimeout, CheckRedirect: noRedirects}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("channel", channels.API)
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// bearerHash returns the SHA-256 the presented bearer token must hash to.
func bearerHash(token, hexHash string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	if token == "" && hexHash == "" {
		return sum, errors.New("api channel: a token is required (set Token or TokenHash)")
	}
	if token != "" {
		if strings.ContainsFunc(token, isSpaceOrControl) {
			return sum, errors.New("api channel: the token must not contain spaces or control characters")
		}
		sum = sha256.Sum256([]byte(token))
	}
	if hexHash == "" {
		return sum, nil
	}
	raw, err := hex.DecodeString(strings.TrimSpace(hexHash))
	if err != nil || len(raw) != sha256.Size {
		return sum, errors.New("api channel: TokenHash must be the hex SHA-256 of the token (64 hex digits)")
	}
	if token != "" && [sha256.Size]byte(raw) != sum {
		return sum, errors.New("api channel: Token and TokenHash are both set and do not agree")
	}
	return [sha256.Size]byte(raw), nil
}

func (c *Channel) setCallback(cfg Config) error {
	if cfg.CallbackURL == "" {
		return nil
	}
	u, err := url.Parse(cfg.CallbackURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("api channel: CallbackURL must be an absolute http or https URL")
	}
	c.secret = cfg.CallbackSecret
	if c.secret == "" {
		c.secret = cfg.Token
	}
	if c.secret == "" {
		return errors.New("api channel: CallbackURL is set but there is no key to sign callbacks with; " +
			"set CallbackSecret (the plain token is not known when only TokenHash is given)")
	}
	c.callbackURL = cfg.CallbackURL
	c.receiver = u.Scheme + "://" + u.Host
	return nil
}

// noRedirects keeps a callback from silently turning into a GET on a 301/302:
// the receiver's 3xx is classified like any other answer.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Register adds the inbound and conversation endpoints to mux.
func (c *Channel) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/channels/api/messages", c.handleInbound)
	mux.HandleFunc("GET /api/v1/conversations/{thread}/messages", c.handleConversation)
}

// authorized reports whether r carries the channel's bearer token. Comparing
// hashes keeps the comparison constant-time whatever the presented length.
func (c *Channel) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return false
	}
	sum := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(sum[:], c.tokenHash[:]) == 1
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", "Bearer")
	httpjson.WriteError(w, httpjson.Errorf(http.StatusUnauthorized, "unauthorized",
		"a valid bearer token is required (Authorization: Bearer <channels.api.token>)"))
}

// writeUnavailable answers a failure on loopdesk's side that a retry may cure.
func writeUnavailable(w http.ResponseWriter, message string) {
	w.Header().Set("Retry-After", "1")
	httpjson.WriteError(w, httpjson.Errorf(http.StatusServiceUnavailable, "unavailable", "%s", message))
}

// Name is the channel name, "api".
func (c *Channel) Name() string { return channels.API }

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}
