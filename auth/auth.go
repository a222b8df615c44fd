// Package auth holds who may call loopdesk's agent API: bearer tokens, of
// which loopdesk keeps only SHA-256 hashes, each naming a person or system
// and one role (admin, agent, viewer).
//
// It imports only the standard library.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Roles, from most to least powerful. An admin may do what an agent may; an
// agent what a viewer may.
const (
	RoleAdmin  = "admin"
	RoleAgent  = "agent"
	RoleViewer = "viewer"
)

var roles = []string{RoleAdmin, RoleAgent, RoleViewer}

// Principal is who a token belongs to.
type Principal struct {
	// Name appears on the ticket timeline as the actor ("by").
	Name string
	Role string
}

// AtLeast reports whether p's role includes role.
func (p Principal) AtLeast(role string) bool {
	have, want := slices.Index(roles, p.Role), slices.Index(roles, role)
	return have >= 0 && want >= 0 && have <= want
}

// Token is one configured token: the hex SHA-256 of its secret value.
type Token struct {
	Name   string `yaml:"name"`
	Role   string `yaml:"role"`
	SHA256 string `yaml:"token_sha256"`
}

// Tokens resolves presented tokens to principals.
type Tokens struct {
	byHash map[string]Principal
}

// NewTokens checks list and indexes it. Names must be unique and roles known.
func NewTokens(list []Token) (*Tokens, error) {
	t := &Tokens{byHash: map[string]Principal{}}
	names := map[string]bool{}
	for i, tok := range list {
		h := strings.ToLower(strings.TrimSpace(tok.SHA256))
		switch {
		case tok.Name == "":
			return nil, fmt.Errorf("token %d: a name is required", i+1)
		case names[tok.Name]:
			return nil, fmt.Errorf("token %q: the name is used twice", tok.Name)
		case !slices.Contains(roles, tok.Role):
			return nil, fmt.Errorf("token %q: role %q is not one of %s", tok.Name, tok.Role, strings.Join(roles, ", "))
		case !isSHA256(h):
			return nil, fmt.Errorf("token %q: token_sha256 must be 64 hex digits (see `loopdesk token`)", tok.Name)
		}
		if _, dup := t.byHash[h]; dup {
			return nil, fmt.Errorf("token %q: the same token is configured twice", tok.Name)
		}
		names[tok.Name] = true
		t.byHash[h] = Principal{Name: tok.Name, Role: tok.Role}
	}
	return t, nil
}

func isSHA256(h string) bool {
	b, err := hex.DecodeString(h)
	return err == nil && len(b) == sha256.Size
}

// Authenticate returns the principal of a presented token. Only hashes are
// compared, so the lookup reveals nothing about stored secrets.
func (t *Tokens) Authenticate(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	p, ok := t.byHash[Hash(token)]
	return p, ok
}

// Hash is the hex SHA-256 under which a token is kept.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Generate returns a new random token (256 bits) starting with prefix.
func Generate(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Bearer returns the token of an "Authorization: Bearer …" header.
func Bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
