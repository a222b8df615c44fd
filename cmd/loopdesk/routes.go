package main

import (
	"context"
	"net/http"
	"time"

	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// health answers 200 while the store can be read.
func (g *gateway) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := g.store.View(ctx, func(ticketcore.ReadTx) error { return nil }); err != nil {
		httpjson.WriteError(w, httpjson.Errorf(http.StatusServiceUnavailable, "unavailable", "the store cannot be read"))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// jsonRouteErrors answers requests no route takes — 404 for an unknown
// path, 405 (with Allow) for a known path and another method — in the JSON
// error shape instead of the mux's plain text.
func jsonRouteErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		e := httpjson.Errorf(http.StatusNotFound, "not_found", "no route %s %s", r.Method, r.URL.Path)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			e = httpjson.Errorf(http.StatusMethodNotAllowed, "method_not_allowed",
				"%s %s is not allowed; use %s", r.Method, r.URL.Path, probe.header.Get("Allow"))
		}
		httpjson.WriteError(w, e)
	})
}

// statusProbe records the status the mux would answer and drops the body.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }
