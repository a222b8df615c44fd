package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/loopdesk/loopdesk/channels/wecom"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// wecomEnabled reports whether the config turns the WeCom channel on;
// wecomNotifies whether its app tells agents.
func wecomEnabled(c WeComChannelConfig) bool  { return c.CorpID != "" }
func wecomNotifies(c WeComChannelConfig) bool { return wecomEnabled(c) && c.Secret != "" }

// newWeCom wires the WeCom channel to the service.
func newWeCom(c WeComChannelConfig, svc *ticketcore.Service, loc *time.Location, log *slog.Logger) (*wecom.Channel, error) {
	return wecom.New(wecom.Config{CorpID: c.CorpID, Token: c.Token, AESKey: c.AESKey,
		AgentID: c.AgentID, Secret: c.Secret, KFSecret: c.KFSecret, APIBase: c.APIBase,
		HTTPClient: &http.Client{Timeout: c.Timeout}, Welcome: c.Welcome, ConsoleURL: c.ConsoleURL,
		Location: loc, Logger: log},
		wecom.Deps{Handler: svc, State: svc.State(), Reports: svc, Desk: svc.ChatDesk()})
}

// deskLocation is the desk's time zone, for times shown to agents.
func deskLocation(d *ticketcore.Desk) *time.Location {
	if d == nil {
		return time.Local
	}
	return d.Location()
}
