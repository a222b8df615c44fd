package agentapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// Tickets is what the API does to tickets, contacts and agents;
// *ticketcore.Service implements it. Errors wrap ticketcore's sentinels
// (ErrNotFound, ErrConflict, ErrInvalid, ErrIncomplete), which decide the
// answer's status; a refused call has changed nothing. Methods are called
// concurrently, each with the request's context.
type Tickets interface {
	Ticket(ctx context.Context, id string) (ticketcore.Ticket, error)
	Tickets(ctx context.Context, q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error)
	Change(ctx context.Context, id, by string, p ticketcore.Patch) (ticketcore.Ticket, error)
	Reply(ctx context.Context, id, by, text string) (ticketcore.Entry, error)
	Note(ctx context.Context, id, by, text string) (ticketcore.Entry, error)

	// CompleteStage completes the ticket's current stage after merging fields in.
	CompleteStage(ctx context.Context, id, by string, fields map[string]string) (ticketcore.Ticket, error)
	// Merge merges id into into and returns into, the parent.
	Merge(ctx context.Context, id, into, by string) (ticketcore.Ticket, error)
	// Unmerge undoes the merge of id and returns id, the child.
	Unmerge(ctx context.Context, id, by string) (ticketcore.Ticket, error)
	Link(ctx context.Context, id, other, linkType, by string) (ticketcore.Ticket, error)
	Unlink(ctx context.Context, id, other, by string) (ticketcore.Ticket, error)
	// Broadcast answers id and its child tickets with one reply and returns
	// how many tickets it answered.
	Broadcast(ctx context.Context, id, by, text string, solve bool) (int, error)
	AddAttachment(ctx context.Context, id, by string, a channels.Attachment, text string) (ticketcore.Entry, error)
	// Attachment returns an attachment that ticket id holds, with its content.
	Attachment(ctx context.Context, id, sha256 string) (ticketcore.AttachmentRef, []byte, error)

	Contact(ctx context.Context, id string) (ticketcore.Contact, error)
	Contacts(ctx context.Context, q ticketcore.ContactQuery) ([]ticketcore.Contact, string, error)
	ChangeContact(ctx context.Context, id string, p ticketcore.ContactPatch) (ticketcore.Contact, error)
	LinkIdentity(ctx context.Context, id string, ident ticketcore.Identity) (ticketcore.Contact, error)

	Agents(ctx context.Context) ([]ticketcore.AgentStatus, error)
	SetAvailable(ctx context.Context, agent string, available bool) error
	// SetAgentAddress sets (or with reset, returns to the desk's) an
	// agent's address on a notifier: how a WeCom or Slack user maps to them.
	SetAgentAddress(ctx context.Context, agent, notifier, address string, reset bool) error
	AckPage(ctx context.Context, pageID, by string) error
	// ExplainRules is a dry run of routing; it changes nothing.
	ExplainRules(t ticketcore.Ticket, c ticketcore.Contact, text string, now time.Time) (string, error)
}

// Config tunes the API.
type Config struct {
	// MaxBodyBytes limits request bodies, attachment uploads included.
	// Defaults to 1 MiB.
	MaxBodyBytes int64
	// Logger receives one line per failed request that is not the client's
	// fault. Defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock of the rules dry run when the request names no
	// time. Defaults to time.Now.
	Now func() time.Time
}

// API serves the agent endpoints.
type API struct {
	cfg     Config
	tickets Tickets
	tokens  *auth.Tokens
	log     *slog.Logger
}

// New returns the API over tickets, letting in the holders of tokens.
func New(cfg Config, tickets Tickets, tokens *auth.Tokens) *API {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = httpjson.DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &API{cfg: cfg, tickets: tickets, tokens: tokens, log: cfg.Logger.With("component", "agentapi")}
}

// Register adds the API's routes to mux. Reads need the viewer role,
// writes the agent role.
func (a *API) Register(mux *http.ServeMux) {
	const t = "/api/v1/tickets/{id}"
	for _, r := range []struct {
		pattern string
		role    string
		h       handlerFunc
	}{
		{"GET /api/v1/tickets", auth.RoleViewer, a.list},
		{"GET " + t, auth.RoleViewer, a.get},
		{"PATCH " + t, auth.RoleAgent, a.change},
		{"POST " + t + "/replies", auth.RoleAgent, a.reply},
		{"POST " + t + "/notes", auth.RoleAgent, a.note},
		{"POST " + t + "/merge", auth.RoleAgent, a.merge},
		{"POST " + t + "/unmerge", auth.RoleAgent, a.unmerge},
		{"POST " + t + "/links", auth.RoleAgent, a.link},
		{"DELETE " + t + "/links/{other}", auth.RoleAgent, a.unlink},
		{"POST " + t + "/stage/complete", auth.RoleAgent, a.completeStage},
		{"POST " + t + "/broadcast", auth.RoleAgent, a.broadcast},
		{"POST " + t + "/attachments", auth.RoleAgent, a.upload},
		{"GET " + t + "/attachments/{sha256}", auth.RoleViewer, a.download},
		{"GET /api/v1/contacts", auth.RoleViewer, a.listContacts},
		{"GET /api/v1/contacts/{id}", auth.RoleViewer, a.getContact},
		{"PATCH /api/v1/contacts/{id}", auth.RoleAgent, a.changeContact},
		{"POST /api/v1/contacts/{id}/identities", auth.RoleAgent, a.linkIdentity},
		{"GET /api/v1/agents", auth.RoleViewer, a.agents},
		{"PUT /api/v1/agents/{name}/availability", auth.RoleAgent, a.setAvailability},
		{"PUT /api/v1/agents/{name}/notify/{notifier}", auth.RoleAdmin, a.setAddress},
		{"DELETE /api/v1/agents/{name}/notify/{notifier}", auth.RoleAdmin, a.setAddress},
		{"POST /api/v1/pages/{id}/ack", auth.RoleAgent, a.ackPage},
		{"POST /api/v1/rules/test", auth.RoleAgent, a.testRules},
	} {
		mux.Handle(r.pattern, a.require(r.role, r.h))
	}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error

// require lets in tokens of role or a stronger one: no or an unknown token
// is 401, a known token of a weaker role 403.
func (a *API) require(role string, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, _ := auth.Bearer(r)
		p, ok := a.tokens.Authenticate(token)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loopdesk"`)
			httpjson.WriteError(w, httpjson.Errorf(http.StatusUnauthorized, "unauthorized",
				"a valid bearer token is required"))
			return
		}
		if !p.AtLeast(role) {
			httpjson.WriteError(w, forbidden("the %s role may not do this; it needs %s", p.Role, role))
			return
		}
		if e := h(w, r, p); e != nil {
			httpjson.WriteError(w, e)
		}
	})
}

func forbidden(format string, args ...any) *httpjson.Error {
	return httpjson.Errorf(http.StatusForbidden, "forbidden", format, args...)
}

func invalid(format string, args ...any) *httpjson.Error {
	return httpjson.Errorf(http.StatusBadRequest, "invalid_request", format, args...)
}

// fail maps a ticketcore error to its answer.
func (a *API) fail(r *http.Request, err error) *httpjson.Error {
	switch {
	case errors.Is(err, ticketcore.ErrNotFound):
		return httpjson.Errorf(http.StatusNotFound, "not_found", "%s", err)
	case errors.Is(err, ticketcore.ErrConflict):
		return httpjson.Errorf(http.StatusConflict, "conflict", "%s", err)
	case errors.Is(err, ticketcore.ErrInvalid):
		return invalid("%s", err)
	case errors.Is(err, ticketcore.ErrIncomplete):
		return httpjson.Errorf(http.StatusUnprocessableEntity, "incomplete", "%s", err)
	case r.Context().Err() != nil:
		return httpjson.Errorf(http.StatusServiceUnavailable, "canceled", "the request was canceled")
	}
	a.log.Error("agent api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return httpjson.Errorf(http.StatusInternalServerError, "internal", "the request failed; see the server log")
}
