package agentapi

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// rulesTest is a routing dry run: a ticket and contact in their JSON
// shapes (any subset of the fields), the customer's text and the time
// (RFC 3339) at which to evaluate; time-of-day rules and business hours
// see it.
type rulesTest struct {
	Ticket  ticketcore.Ticket  `json:"ticket"`
	Contact ticketcore.Contact `json:"contact"`
	Text    string             `json:"text"`
	At      string             `json:"at"`
}

type rulesAnswer struct {
	Explanation string `json:"explanation"`
}

// testRules says which routing rules a ticket would match and what they
// would do, without writing anything.
func (a *API) testRules(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	var body rulesTest
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	t, c := body.Ticket, body.Contact
	switch {
	case t.Priority != "" && !nlu.ValidPriority(t.Priority):
		return invalid("ticket.priority %q is not one of %s", t.Priority, strings.Join(nlu.Priorities(), ", "))
	case t.Status != "" && !slices.Contains(ticketcore.Statuses(), t.Status):
		return invalid("ticket.status %q is not one of %s", t.Status, strings.Join(ticketcore.Statuses(), ", "))
	}
	now := a.cfg.Now()
	if body.At != "" {
		at, err := time.Parse(time.RFC3339, body.At)
		if err != nil {
			return invalid("at must be an RFC 3339 time like 2026-11-27T17:55:00+08:00; got %q", body.At)
		}
		now = at
	}
	// Rules see what a stored ticket and contact hold: lists and maps, never null.
	t.Fields, t.Tags = orEmptyMap(t.Fields), orEmpty(t.Tags)
	c.Tags, c.Attrs = orEmpty(c.Tags), orEmptyMap(c.Attrs)
	out, err := a.tickets.ExplainRules(t, c, body.Text, now)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusOK, rulesAnswer{Explanation: out})
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
