package agentapi

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// The handlers of a ticket's flow between people and other tickets:
// merge, links, stages and incident broadcasts.

func (a *API) merge(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var body struct {
		Into string `json:"into"`
	}
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	if _, ok := ticketcore.ParseTicketID(body.Into); !ok {
		return invalid("into must be the id of the ticket to merge into, like T-000123; got %q", body.Into)
	}
	if body.Into == id {
		return invalid("a ticket cannot be merged into itself")
	}
	parent, err := a.tickets.Merge(r.Context(), id, body.Into, p.Name)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, parent)
	return nil
}

func (a *API) unmerge(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	child, err := a.tickets.Unmerge(r.Context(), id, p.Name)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, child)
	return nil
}

func (a *API) link(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var body struct {
		Ticket string `json:"ticket"`
		Type   string `json:"type"`
	}
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	switch _, ok := ticketcore.ParseTicketID(body.Ticket); {
	case !ok:
		return invalid("ticket must be the id of the ticket to link, like T-000123; got %q", body.Ticket)
	case body.Ticket == id:
		return invalid("a ticket cannot be linked to itself")
	case !slices.Contains(ticketcore.LinkTypes(), body.Type):
		return invalid("type %q is not one of %s", body.Type, strings.Join(ticketcore.LinkTypes(), ", "))
	}
	t, err := a.tickets.Link(r.Context(), id, body.Ticket, body.Type, p.Name)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, t)
	return nil
}

func (a *API) unlink(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	other, e := ticketParam(r, "other")
	if e != nil {
		return e
	}
	t, err := a.tickets.Unlink(r.Context(), id, other, p.Name)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, t)
	return nil
}

func (a *API) completeStage(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var body struct {
		Fields map[string]string `json:"fields"`
	}
	if e := a.decodeOptional(w, r, &body); e != nil {
		return e
	}
	for name := range body.Fields {
		if strings.TrimSpace(name) == "" {
			return invalid("field names must not be empty")
		}
	}
	t, err := a.tickets.CompleteStage(r.Context(), id, p.Name, body.Fields)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, t)
	return nil
}

type broadcastAnswer struct {
	Tickets int `json:"tickets"`
}

func (a *API) broadcast(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var body struct {
		Text  string `json:"text"`
		Solve bool   `json:"solve"`
	}
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	if strings.TrimSpace(body.Text) == "" {
		return httpjson.Errorf(http.StatusBadRequest, "missing_text", "text is required")
	}
	n, err := a.tickets.Broadcast(r.Context(), id, p.Name, body.Text, body.Solve)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusOK, broadcastAnswer{Tickets: n})
	return nil
}

// decodeOptional is DecodeStrict for a body that may be left out: an empty
// body leaves v as it is.
func (a *API) decodeOptional(w http.ResponseWriter, r *http.Request, v any) *httpjson.Error {
	if r.ContentLength == 0 {
		return nil
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		return nil
	}
	r.Body = readCloser{br, r.Body}
	return httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, v)
}

type readCloser struct {
	io.Reader
	io.Closer
}
