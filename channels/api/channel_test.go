package api_test

import (
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

func TestNewValidatesConfig(t *testing.T) {
	hash := api.HashToken(testToken)
	tests := []struct {
		name    string
		cfg     api.Config
		noConv  bool
		wantErr string // substring; empty means New succeeds
	}{
		{name: "token", cfg: api.Config{Token: testToken}},
		{name: "token hash", cfg: api.Config{TokenHash: hash}},
		{name: "token hash upper case", cfg: api.Config{TokenHash: strings.ToUpper(hash)}},
		{name: "token and matching hash", cfg: api.Config{Token: testToken, TokenHash: hash}},
		{name: "callback signed with token", cfg: api.Config{Token: testToken, CallbackURL: "https://app.example.com/hook"}},
		{name: "callback with hash and secret", cfg: api.Config{TokenHash: hash, CallbackURL: "http://127.0.0.1:9/hook", CallbackSecret: "s"}},
		{name: "no token", cfg: api.Config{}, wantErr: "token is required"},
		{name: "token with space", cfg: api.Config{Token: "a b"}, wantErr: "spaces"},
		{name: "hash not hex", cfg: api.Config{TokenHash: "zz"}, wantErr: "TokenHash"},
		{name: "hash too short", cfg: api.Config{TokenHash: hash[:62]}, wantErr: "TokenHash"},
		{name: "token and other hash", cfg: api.Config{Token: "other", TokenHash: hash}, wantErr: "do not agree"},
		{name: "callback without key", cfg: api.Config{TokenHash: hash, CallbackURL: "https://app.example.com/hook"}, wantErr: "CallbackSecret"},
		{name: "callback not absolute", cfg: api.Config{Token: testToken, CallbackURL: "/hook"}, wantErr: "CallbackURL"},
		{name: "callback not http", cfg: api.Config{Token: testToken, CallbackURL: "ftp://example.com/"}, wantErr: "CallbackURL"},
		{name: "no conversations", cfg: api.Config{Token: testToken}, noConv: true, wantErr: "conversation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conv channels.Conversations = &fakeConversations{}
			if tt.noConv {
				conv = nil
			}
			c, err := api.New(tt.cfg, &fakeHandler{}, conv)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("New = %v, %v; want a channel", c, err)
				}
				if c.Name() != channels.API {
					t.Errorf("Name = %q, want %q", c.Name(), channels.API)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want one mentioning %q", err, tt.wantErr)
			}
			if tt.cfg.Token != "" && strings.Contains(err.Error(), tt.cfg.Token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestNewRequiresHandler(t *testing.T) {
	if _, err := api.New(api.Config{Token: testToken}, nil, &fakeConversations{}); err == nil {
		t.Fatal("New with a nil handler succeeded")
	}
}

func TestHashToken(t *testing.T) {
	// sha256("abc"), from FIPS 180-2.
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := api.HashToken("abc"); got != want {
		t.Fatalf("HashToken = %s, want %s", got, want)
	}
}
