package main

import (
	"log/slog"

	"github.com/loopdesk/loopdesk/channels/email"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// newEmail wires the email channel to the service.
func newEmail(c EmailChannelConfig, svc *ticketcore.Service, log *slog.Logger) (*email.Channel, error) {
	return email.New(email.Config{Address: c.Address, Name: c.Name, AckWindow: c.AckWindow,
		IMAP: email.IMAPConfig{Addr: c.IMAP.Addr, Username: c.IMAP.Username, Password: c.IMAP.Password,
			Mailbox: c.IMAP.Mailbox, TLS: c.IMAP.TLS, Processed: c.IMAP.Processed, Poll: c.IMAP.Poll},
		SMTP:   email.SMTPConfig{Addr: c.SMTP.Addr, Username: c.SMTP.Username, Password: c.SMTP.Password, TLS: c.SMTP.TLS},
		Logger: log},
		email.Deps{Handler: svc, State: svc.State(), Reports: svc})
}
