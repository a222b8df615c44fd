package wecomtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Config describes the WeCom corp the double pretends to be.
type Config struct {
	// CorpID is the corp's ID: the corpid gettoken accepts and the receiveid
	// sealed into every callback. Defaults to "wwd0ub1e000000c0rp".
	CorpID string
	// Token is the callback token that msg_signature is computed with.
	// Defaults to "wecomdouble".
	Token string
	// EncodingAESKey is the 43-character callback key. Defaults to a random
	// key; read it back with (*Server).Config.
	EncodingAESKey string
	// AppSecret is the self-built app's corpsecret: its token is the one
	// message/* accepts. Defaults to "app-secret".
	AppSecret string
	// KFSecret is the 微信客服 corpsecret: its token is the one kf/* accepts.
	// Defaults to "kf-secret".
	KFSecret string
	// AgentID is the self-built app's agentid. Defaults to 1000002.
	AgentID int
	// TokenTTL is the expires_in of issued access tokens. Defaults to 7200s.
	TokenTTL time.Duration
	// Now is the double's clock, for tokens, send windows, rate limits and
	// CreateTime. Defaults to time.Now.
	Now func() time.Time
	// CallbackTimeout bounds each callback the double makes, as WeCom waits
	// 5 s for an answer. Defaults to 5s. The double does not retry on its
	// own: tests that want WeCom's retries send the same request again.
	CallbackTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.CorpID == "" {
		c.CorpID = "wwd0ub1e000000c0rp"
	}
	if c.Token == "" {
		c.Token = "wecomdouble"
	}
	if c.EncodingAESKey == "" {
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		c.EncodingAESKey = base64.StdEncoding.EncodeToString(key)[:43]
	}
	if c.AppSecret == "" {
		c.AppSecret = "app-secret"
	}
	if c.KFSecret == "" {
		c.KFSecret = "kf-secret"
	}
	if c.AgentID == 0 {
		c.AgentID = 1000002
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 7200 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.CallbackTimeout <= 0 {
		c.CallbackTimeout = 5 * time.Second
	}
	return c
}

// Server is a running WeCom double. All its methods are safe for concurrent
// use, including while requests are being served.
type Server struct {
	cfg    Config
	crypt  *cryptor
	mux    *http.ServeMux
	ts     *httptest.Server
	client *http.Client

	mu     sync.Mutex // guards everything below
	tokens tokenState
	kf     kfState
	app    appState
	media  map[string]Media
	kfURL  string
	appURL string
}

// New starts a double on a loopback address. Close stops it. It panics if
// cfg.EncodingAESKey is set but is not a valid 43-character key.
func New(cfg Config) *Server {
	s := newServer(cfg)
	s.ts = httptest.NewServer(s.mux)
	return s
}

// NewOn starts a double serving on l, e.g. a fixed address for a manual
// walk-through. Close stops it and closes l. It panics like New.
func NewOn(cfg Config, l net.Listener) *Server {
	s := newServer(cfg)
	s.ts = httptest.NewUnstartedServer(s.mux)
	_ = s.ts.Listener.Close()
	s.ts.Listener = l
	s.ts.Start()
	return s
}

func newServer(cfg Config) *Server {
	cfg = cfg.withDefaults()
	crypt, err := newCryptor(cfg.Token, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		panic(fmt.Sprintf("wecomtest: %v", err))
	}
	s := &Server{
		cfg:    cfg,
		crypt:  crypt,
		mux:    http.NewServeMux(),
		client: &http.Client{Timeout: cfg.CallbackTimeout},
		tokens: newTokenState(),
		kf:     newKFState(),
		app:    newAppState(),
		media:  make(map[string]Media),
	}
	s.mux.HandleFunc("GET /cgi-bin/gettoken", s.handleGetToken)
	s.mux.HandleFunc("POST /cgi-bin/kf/sync_msg", s.handleSyncMsg)
	s.mux.HandleFunc("POST /cgi-bin/kf/send_msg", s.handleSendMsg)
	s.mux.HandleFunc("POST /cgi-bin/kf/send_msg_on_event", s.handleSendMsgOnEvent)
	s.mux.HandleFunc("POST /cgi-bin/media/upload", s.handleMediaUpload)
	s.mux.HandleFunc("GET /cgi-bin/media/get", s.handleMediaGet)
	s.mux.HandleFunc("POST /cgi-bin/message/send", s.handleAppSend)
	s.mux.HandleFunc("POST /cgi-bin/message/update_template_card", s.handleUpdateCard)
	return s
}

// URL is the double's base URL, e.g. "http://127.0.0.1:41234": the
// stand-in for https://qyapi.weixin.qq.com.
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server and waits for requests in flight.
func (s *Server) Close() { s.ts.Close() }

// Config is the configuration in effect, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Handle serves extra routes beside the WeCom API, e.g. control endpoints
// for a human driving the double. Patterns follow http.ServeMux and must not
// overlap /cgi-bin/.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

func (s *Server) now() time.Time { return s.cfg.Now() }

// writeJSON answers HTTP 200 with v, as WeCom answers errors and successes
// alike.
func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(body)
}

// apiError is WeCom's error body.
type apiError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, apiError{ErrCode: code, ErrMsg: msg})
}

// decodeBody reads a JSON request body into v, answering 47001 when it is
// not JSON. It reports whether the handler may go on.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	raw, err := readAll(r)
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		writeError(w, ErrCodeDataFormat, "Warning: wrong json format. "+err.Error())
		return nil, false
	}
	return raw, true
}

func readAll(r *http.Request) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r.Body, 4<<20))
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// randomID is n characters of [0-9a-zA-Z], for tokens, msgids and codes.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// randomDigits is n decimal digits, the first non-zero.
func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	if b[0] == '0' {
		b[0] = '1'
	}
	return string(b)
}

// randomMsgID is a 19-digit MsgId that fits an int64, like the samples'
// 4561255354251345929.
func randomMsgID() string {
	const lo = 1_000_000_000_000_000_000
	n, _ := rand.Int(rand.Reader, big.NewInt(math.MaxInt64-lo))
	return strconv.FormatInt(lo+n.Int64(), 10)
}
