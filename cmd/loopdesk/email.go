package main

import (
	"log/slog"

	"github.com/loopdesk/loopdesk/channels/email"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// newEmail wires the email channel to the service.
func newEmail(c EmailChannelConfig, svc *ticketcore.Service, log *slog.Logger) (*email.Channel, error) {
	cfg := email.Config{Address: c.Address, Name: c.Name, Group: c.Group, AckWindow: c.AckWindow,
		IMAP: emailIMAP(c.IMAP), SMTP: emailSMTP(c.SMTP), Logger: log}
	for _, m := range c.Mailboxes {
		cfg.More = append(cfg.More, email.Mailbox{Address: m.Address, Name: m.Name, Group: m.Group,
			IMAP: emailIMAP(m.IMAP), SMTP: emailSMTP(m.SMTP)})
	}
	return email.New(cfg, email.Deps{Handler: svc, State: svc.State(), Reports: svc})
}

func emailIMAP(c EmailIMAPConfig) email.IMAPConfig {
	return email.IMAPConfig{Addr: c.Addr, Username: c.Username, Password: c.Password,
		Mailbox: c.Mailbox, TLS: c.TLS, Processed: c.Processed, Poll: c.Poll}
}

func emailSMTP(c EmailSMTPConfig) email.SMTPConfig {
	return email.SMTPConfig{Addr: c.Addr, Username: c.Username, Password: c.Password, TLS: c.TLS}
}
