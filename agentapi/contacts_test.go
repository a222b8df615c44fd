package agentapi_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestListContacts(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	h.fake.next = "C-000001"
	rec := h.do("GET", "/api/v1/contacts?q=138&limit=10&cursor=C-000042", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	ans := decode[struct {
		Contacts   []ticketcore.Contact `json:"contacts"`
		NextCursor *string              `json:"next_cursor"`
	}](t, rec)
	if len(ans.Contacts) != 1 || ans.Contacts[0].Tier != "vip" || ans.NextCursor == nil || *ans.NextCursor != "C-000001" {
		t.Fatalf("answer %+v", ans)
	}
	q := h.fake.callsTo("Contacts")[0].Args[0].(ticketcore.ContactQuery)
	if q != (ticketcore.ContactQuery{Text: "138", Limit: 10, Cursor: "C-000042"}) {
		t.Fatalf("query %+v", q)
	}
	for _, query := range []string{"cursor=T-000001", "limit=-1"} {
		want(t, h.do("GET", "/api/v1/contacts?"+query, vicToken, nil), http.StatusBadRequest, "invalid_request")
	}
}

func TestGetContact(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("GET", "/api/v1/contacts/C-000001", vicToken, nil)
	want(t, rec, http.StatusOK, "")
	if c := decode[ticketcore.Contact](t, rec); c.Name != "王芳" || c.Region != "北京" || len(c.Identities) != 1 {
		t.Fatalf("contact %+v", c)
	}
	want(t, h.do("GET", "/api/v1/contacts/C-000777", vicToken, nil), http.StatusNotFound, "not_found")
}

func TestPatchContact(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("PATCH", "/api/v1/contacts/C-000001", aliceToken,
		`{"tier":"svip","tags":["复购"],"phones":["+86 138-0013-8000"],"attrs":{"会员等级":"钻石","旧备注":null}}`)
	want(t, rec, http.StatusOK, "")
	if c := decode[ticketcore.Contact](t, rec); c.Tier != "svip" {
		t.Fatalf("contact %+v", c)
	}
	p := h.fake.callsTo("ChangeContact")[0].Args[1].(ticketcore.ContactPatch)
	if *p.Tier != "svip" || !reflect.DeepEqual(*p.Tags, []string{"复购"}) || *p.Attrs["会员等级"] != "钻石" ||
		p.Attrs["旧备注"] != nil || p.Name != nil {
		t.Fatalf("patch %+v", p)
	}
}

func TestPatchContactRefusals(t *testing.T) {
	for _, body := range []string{
		`{"teir":"vip"}`,       // strict: a misspelt key
		`{"tier":1}`,           // wrong type
		`{"phones":["12345"]}`, // not a mobile number
		`{"emails":["wf#qq"]}`, // not an address
		`{"attrs":{" ":"x"}}`,  // unnamed attribute
		`{"tier":"vip"} {}`,    // two values
	} {
		t.Run(body, func(t *testing.T) {
			h := newHarness(t, agentapi.Config{})
			rec := h.do("PATCH", "/api/v1/contacts/C-000001", aliceToken, body)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			noWrites(t, h.fake)
		})
	}
}

func TestLinkIdentity(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	rec := h.do("POST", "/api/v1/contacts/C-000001/identities", aliceToken, `{"channel":"miniprogram","id":"oX2a9_openid"}`)
	want(t, rec, http.StatusOK, "")
	if c := decode[ticketcore.Contact](t, rec); len(c.Identities) != 2 {
		t.Fatalf("contact %+v", c)
	}
	if args := h.fake.callsTo("LinkIdentity")[0].Args; !reflect.DeepEqual(args,
		[]any{"C-000001", ticketcore.Identity{Channel: "miniprogram", ID: "oX2a9_openid"}}) {
		t.Fatalf("call %v", args)
	}
	for _, body := range []string{`{"channel":"email"}`, `{"id":"x"}`, `{"channel":"email","id":" "}`} {
		want(t, h.do("POST", "/api/v1/contacts/C-000001/identities", aliceToken, body), http.StatusBadRequest, "invalid_request")
	}
	if n := len(h.fake.callsTo("LinkIdentity")); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}
