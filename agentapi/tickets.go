package agentapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

type listAnswer struct {
	Tickets    []ticketcore.Ticket `json:"tickets"`
	NextCursor *string             `json:"next_cursor"`
}

func (a *API) list(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	q, e := parseQuery(r)
	if e != nil {
		return e
	}
	tickets, next, err := a.tickets.Tickets(r.Context(), q)
	if err != nil {
		return a.fail(r, err)
	}
	ans := listAnswer{Tickets: tickets}
	if ans.Tickets == nil {
		ans.Tickets = []ticketcore.Ticket{}
	}
	if next != "" {
		ans.NextCursor = &next
	}
	httpjson.Write(w, http.StatusOK, ans)
	return nil
}

// parseQuery reads the list filters; each may repeat or hold a
// comma-separated list (status=open,pending).
func parseQuery(r *http.Request) (ticketcore.TicketQuery, *httpjson.Error) {
	v := r.URL.Query()
	list := func(key string) []string {
		var out []string
		for _, s := range v[key] {
			for part := range strings.SplitSeq(s, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
		return out
	}
	q := ticketcore.TicketQuery{Status: list("status"), Priority: list("priority"),
		Intent: list("intent"), Channel: list("channel"), Assignee: list("assignee"),
		Group: list("group"), Contact: list("contact"), Text: strings.TrimSpace(v.Get("q")),
		Cursor: v.Get("cursor"), Sort: ticketcore.SortNewest}
	switch s := v.Get("sort"); s {
	case "", ticketcore.SortNewest:
	case ticketcore.SortQueue:
		q.Sort = ticketcore.SortQueue
	default:
		return q, invalid("sort %q is not one of %s, %s", s, ticketcore.SortNewest, ticketcore.SortQueue)
	}
	for _, c := range q.Contact {
		if _, ok := ticketcore.ParseContactID(c); !ok {
			return q, invalid("contact %q is not a contact id like C-000001", c)
		}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, invalid("limit must be a positive number")
		}
		q.Limit = n
	}
	if _, ok := ticketcore.ParseTicketID(q.Cursor); q.Cursor != "" && !ok {
		return q, invalid("cursor %q is not a ticket id", q.Cursor)
	}
	return q, nil
}

// ticketID reads the {id} path value; anything that is not a ticket id is
// a ticket that does not exist.
func ticketID(r *http.Request) (string, *httpjson.Error) { return ticketParam(r, "id") }

// ticketParam reads the ticket id in path value name.
func ticketParam(r *http.Request, name string) (string, *httpjson.Error) {
	id := r.PathValue(name)
	if _, ok := ticketcore.ParseTicketID(id); !ok {
		return "", httpjson.Errorf(http.StatusNotFound, "not_found", "there is no ticket %q", id)
	}
	return id, nil
}

func (a *API) get(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	t, err := a.tickets.Ticket(r.Context(), id)
	if err != nil {
		return a.fail(r, err)
	}
	if t.Timeline == nil {
		t.Timeline = []ticketcore.Entry{}
	}
	httpjson.Write(w, http.StatusOK, t)
	return nil
}

func (a *API) change(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var patch ticketcore.Patch
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &patch); e != nil {
		return e
	}
	t, err := a.tickets.Change(r.Context(), id, p.Name, patch)
	if err != nil {
		return a.fail(r, err)
	}
	a.show(w, r, t)
	return nil
}

// show answers a ticket that a write returned, read again with its
// timeline so the answer shows what the write recorded. The write has
// happened: if the second read fails, the ticket as the write returned it
// is still the truthful answer.
func (a *API) show(w http.ResponseWriter, r *http.Request, t ticketcore.Ticket) {
	if full, err := a.tickets.Ticket(r.Context(), t.ID); err == nil {
		t = full
	} else {
		a.log.Warn("read ticket after write", "ticket", t.ID, "err", err)
	}
	if t.Timeline == nil {
		t.Timeline = []ticketcore.Entry{}
	}
	httpjson.Write(w, http.StatusOK, t)
}

type textBody struct {
	Text string `json:"text"`
}

func (a *API) reply(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	return a.write(w, r, p, a.tickets.Reply)
}

func (a *API) note(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	return a.write(w, r, p, a.tickets.Note)
}

func (a *API) write(w http.ResponseWriter, r *http.Request, p auth.Principal,
	op func(ctx context.Context, id, by, text string) (ticketcore.Entry, error)) *httpjson.Error {
	id, e := ticketID(r)
	if e != nil {
		return e
	}
	var body textBody
	if e := httpjson.Decode(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	if strings.TrimSpace(body.Text) == "" {
		return httpjson.Errorf(http.StatusBadRequest, "missing_text", "text is required")
	}
	entry, err := op(r.Context(), id, p.Name, body.Text)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusCreated, entry)
	return nil
}
