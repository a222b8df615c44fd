package wecomtest

import (
	"net/http"
	"time"
)

// accessToken is one issued access_token.
type accessToken struct {
	secret  string
	expires time.Time
	expired bool // forced by ExpireTokens
	revoked bool // forced by RevokeTokens
}

type tokenState struct {
	issued  map[string]*accessToken // by token
	current map[string]string       // secret → latest token
	calls   map[string]int          // gettoken calls by corpsecret
}

func newTokenState() tokenState {
	return tokenState{
		issued:  make(map[string]*accessToken),
		current: make(map[string]string),
		calls:   make(map[string]int),
	}
}

// GetTokenCalls is how many gettoken calls carried corpsecret=secret,
// whatever they answered.
func (s *Server) GetTokenCalls(secret string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens.calls[secret]
}

// ExpireTokens makes every token issued so far expired: its next use
// answers 42001, and the next gettoken issues a new token.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens.issued {
		t.expired = true
	}
}

// RevokeTokens makes every token issued so far invalid, as when a secret is
// reset in the admin console: its next use answers 40014, and the next
// gettoken issues a new token.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens.issued {
		t.revoked = true
	}
}

// handleGetToken is GET /cgi-bin/gettoken?corpid=&corpsecret= (doc 91039).
// Within a token's validity a repeated call returns the same token with the
// seconds it has left, as the documentation says repeated calls return the
// same result; once it has expired or been revoked a new one is issued.
func (s *Server) handleGetToken(w http.ResponseWriter, r *http.Request) {
	corpID := r.URL.Query().Get("corpid")
	secret := r.URL.Query().Get("corpsecret")

	s.mu.Lock()
	defer s.mu.Unlock()
	if secret != "" {
		s.tokens.calls[secret]++
	}
	switch {
	case corpID == "":
		writeError(w, ErrCodeMissingCorpID, "corpid missing")
		return
	case secret == "":
		writeError(w, ErrCodeMissingSecret, "corpsecret missing")
		return
	case corpID != s.cfg.CorpID:
		writeError(w, ErrCodeInvalidCorpID, "invalid corpid")
		return
	case secret != s.cfg.AppSecret && secret != s.cfg.KFSecret:
		writeError(w, ErrCodeInvalidSecret, "invalid credential")
		return
	}

	now := s.now()
	if tok, ok := s.tokens.current[secret]; ok {
		t := s.tokens.issued[tok]
		if left := t.expires.Sub(now); !t.expired && !t.revoked && left > 0 {
			writeTokenAnswer(w, tok, left)
			return
		}
	}
	tok := randomID(64)
	s.tokens.issued[tok] = &accessToken{secret: secret, expires: now.Add(s.cfg.TokenTTL)}
	s.tokens.current[secret] = tok
	writeTokenAnswer(w, tok, s.cfg.TokenTTL)
}

func writeTokenAnswer(w http.ResponseWriter, token string, left time.Duration) {
	writeJSON(w, struct {
		apiError
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}{apiError{0, "ok"}, token, int64(left / time.Second)})
}

// authorize checks the access_token query parameter of r against the
// secrets the endpoint accepts, answering the WeCom error when it fails.
// It reports whether the handler may go on. Callers must not hold s.mu.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, secrets ...string) bool {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		writeError(w, ErrCodeMissingToken, "access_token missing")
		return false
	}
	s.mu.Lock()
	t, ok := s.tokens.issued[tok]
	var expired, wrongSecret bool
	if ok {
		expired = t.expired || !s.now().Before(t.expires)
		wrongSecret = true
		for _, sec := range secrets {
			if t.secret == sec {
				wrongSecret = false
			}
		}
		ok = !t.revoked && !wrongSecret
	}
	s.mu.Unlock()

	switch {
	case !ok:
		writeError(w, ErrCodeInvalidToken, "invalid access_token")
		return false
	case expired:
		writeError(w, ErrCodeTokenExpired, "access_token expired")
		return false
	}
	return true
}
