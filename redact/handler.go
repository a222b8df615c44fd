package redact

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

// idKeys are log attribute keys whose values identify a person; they are
// masked with ID whatever they look like.
var idKeys = map[string]bool{"from": true, "to": true, "user": true, "thread": true,
	"requester": true, "external_userid": true, "openid": true, "unionid": true,
	"phone": true, "email": true, "address": true}

// handler masks personal data in every record before the next handler sees it.
type handler struct{ next slog.Handler }

// NewHandler wraps next so that the message and every string attribute are
// masked with Text, and attributes named like a person's id (from, thread,
// openid, …) with ID.
func NewHandler(next slog.Handler) slog.Handler { return handler{next} }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Text(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = attr(a)
	}
	return handler{h.next.WithAttrs(masked)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if idKeys[strings.ToLower(a.Key)] {
			return slog.String(a.Key, ID(v.String()))
		}
		return slog.String(a.Key, Text(v.String()))
	case slog.KindGroup:
		group := v.Group()
		masked := make([]any, len(group))
		for i, g := range group {
			masked[i] = attr(g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindAny:
		// Anything else (an error, a map of ticket fields, a struct) is
		// logged as its masked text: structure is worth less than privacy.
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, Text(err.Error()))
		}
		return slog.String(a.Key, Text(fmt.Sprint(v.Any())))
	}
	return slog.Attr{Key: a.Key, Value: v}
}
