package agentapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// Tickets is what the API does to tickets; *ticketcore.Service implements it.
type Tickets interface {
	Ticket(ctx context.Context, id string) (ticketcore.Ticket, error)
	Tickets(ctx context.Context, q ticketcore.TicketQuery) ([]ticketcore.Ticket, string, error)
	Change(ctx context.Context, id, by string, p ticketcore.Patch) (ticketcore.Ticket, error)
	Reply(ctx context.Context, id, by, text string) (ticketcore.Entry, error)
	Note(ctx context.Context, id, by, text string) (ticketcore.Entry, error)
}

// Config tunes the API.
type Config struct {
	// MaxBodyBytes limits request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
	// Logger receives one line per failed request that is not the client's
	// fault. Defaults to slog.Default().
	Logger *slog.Logger
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &API{cfg: cfg, tickets: tickets, tokens: tokens, log: cfg.Logger.With("component", "agentapi")}
}

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/tickets", a.require(auth.RoleViewer, a.list))
	mux.Handle("GET /api/v1/tickets/{id}", a.require(auth.RoleViewer, a.get))
	mux.Handle("PATCH /api/v1/tickets/{id}", a.require(auth.RoleAgent, a.change))
	mux.Handle("POST /api/v1/tickets/{id}/replies", a.require(auth.RoleAgent, a.reply))
	mux.Handle("POST /api/v1/tickets/{id}/notes", a.require(auth.RoleAgent, a.note))
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
			httpjson.WriteError(w, httpjson.Errorf(http.StatusForbidden, "forbidden",
				"the %s role may not do this; it needs %s", p.Role, role))
			return
		}
		if e := h(w, r, p); e != nil {
			httpjson.WriteError(w, e)
		}
	})
}

// fail maps a ticketcore error to its answer.
func (a *API) fail(r *http.Request, err error) *httpjson.Error {
	switch {
	case errors.Is(err, ticketcore.ErrNotFound):
		return httpjson.Errorf(http.StatusNotFound, "not_found", "%s", err)
	case errors.Is(err, ticketcore.ErrConflict):
		return httpjson.Errorf(http.StatusConflict, "conflict", "%s", err)
	case errors.Is(err, ticketcore.ErrInvalid):
		return httpjson.Errorf(http.StatusBadRequest, "invalid_request", "%s", err)
	case r.Context().Err() != nil:
		return httpjson.Errorf(http.StatusServiceUnavailable, "canceled", "the request was canceled")
	}
	a.log.Error("agent api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return httpjson.Errorf(http.StatusInternalServerError, "internal", "the request failed; see the server log")
}
