package auth

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	admin, agent := Generate("ldk_"), Generate("ldk_")
	toks, err := NewTokens([]Token{
		{Name: "root", Role: RoleAdmin, SHA256: Hash(admin)},
		{Name: "alice", Role: RoleAgent, SHA256: strings.ToUpper(Hash(agent))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := toks.Authenticate(agent); !ok || p.Name != "alice" || !p.AtLeast(RoleViewer) || p.AtLeast(RoleAdmin) {
		t.Errorf("agent token: %+v %v", p, ok)
	}
	if p, ok := toks.Authenticate(admin); !ok || !p.AtLeast(RoleAgent) {
		t.Errorf("admin token: %+v %v", p, ok)
	}
	for _, bad := range []string{"", "nope", admin + "x"} {
		if _, ok := toks.Authenticate(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
}

func TestNewTokensRejects(t *testing.T) {
	h := Hash("x")
	for name, list := range map[string][]Token{
		"no name":    {{Role: RoleAgent, SHA256: h}},
		"bad role":   {{Name: "a", Role: "boss", SHA256: h}},
		"bad hash":   {{Name: "a", Role: RoleAgent, SHA256: "abc"}},
		"dup name":   {{Name: "a", Role: RoleAgent, SHA256: h}, {Name: "a", Role: RoleAgent, SHA256: Hash("y")}},
		"dup secret": {{Name: "a", Role: RoleAgent, SHA256: h}, {Name: "b", Role: RoleAgent, SHA256: h}},
	} {
		if _, err := NewTokens(list); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestBearer(t *testing.T) {
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "": "", "Bearer ": ""} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		if got, _ := Bearer(r); got != want {
			t.Errorf("Bearer(%q) = %q, want %q", header, got, want)
		}
	}
}
