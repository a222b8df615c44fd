package notify

import (
	"context"
	"fmt"

	"github.com/loopdesk/loopdesk/channels"
)

// ChannelPrefix starts the channel name of every notifier in the outbox.
const ChannelPrefix = "notify."

// OutboundKind is channels.Outbound.Kind of every notice.
const OutboundKind = "notification"

// Keys of channels.Outbound.Meta that carry a Notice's fields the Outbound
// has no field for. The ticket core fills them (see Outbound); Channel reads
// them back.
const (
	MetaKind     = "kind"     // Notice.Kind
	MetaAddress  = "address"  // Notice.To.Address
	MetaSubject  = "subject"  // Notice.Subject
	MetaPriority = "priority" // Notice.Priority
	MetaGroup    = "group"    // Notice.Group
	MetaUrgent   = "urgent"   // Notice.Urgent: "true" or absent
)

// ChannelName is the outbox channel name of the notifier named notifier.
func ChannelName(notifier string) string { return ChannelPrefix + notifier }

// Outbound returns the outbox message that delivers n on the notifier named
// notifier: the inverse of FromOutbound. Notices belong to no customer
// conversation, so Thread is empty.
func Outbound(notifier string, n Notice) channels.Outbound {
	meta := map[string]string{MetaKind: n.Kind}
	setIf(meta, MetaAddress, n.To.Address)
	setIf(meta, MetaSubject, n.Subject)
	setIf(meta, MetaPriority, n.Priority)
	setIf(meta, MetaGroup, n.Group)
	if n.Urgent {
		meta[MetaUrgent] = "true"
	}
	return channels.Outbound{
		ID:        n.ID,
		Channel:   ChannelName(notifier),
		To:        channels.Party{ID: n.To.Agent},
		Text:      n.Text,
		TicketID:  n.TicketID,
		Kind:      OutboundKind,
		Meta:      meta,
		Attempt:   n.Attempt,
		CreatedAt: n.CreatedAt,
	}
}

// setIf keeps empty values out of Meta; a missing key reads back as "".
func setIf(meta map[string]string, key, value string) {
	if value != "" {
		meta[key] = value
	}
}

// FromOutbound rebuilds the Notice an outbox message carries.
func FromOutbound(out channels.Outbound) Notice {
	return Notice{
		ID:        out.ID,
		Kind:      out.Meta[MetaKind],
		TicketID:  out.TicketID,
		Subject:   out.Meta[MetaSubject],
		Text:      out.Text,
		Priority:  out.Meta[MetaPriority],
		Group:     out.Meta[MetaGroup],
		To:        Recipient{Agent: out.To.ID, Address: out.Meta[MetaAddress]},
		Urgent:    out.Meta[MetaUrgent] == "true",
		Attempt:   out.Attempt,
		CreatedAt: out.CreatedAt,
	}
}

// Channel adapts n to the outbox: the dispatcher sends notices like any
// outbound message, and n's errors reach it unchanged.
func Channel(n Notifier) channels.Channel { return &channel{n: n, name: ChannelName(n.Name())} }

type channel struct {
	n    Notifier
	name string
}

// Name is "notify." followed by the notifier's name.
func (c *channel) Name() string { return c.name }

// Send rebuilds the Notice out carries and notifies it. An out meant for
// another channel is a permanent error.
func (c *channel) Send(ctx context.Context, out channels.Outbound) error {
	if out.Channel != "" && out.Channel != c.name {
		return channels.Permanent(fmt.Errorf("notify %s: outbound %s is for channel %q", c.n.Name(), out.ID, out.Channel))
	}
	return c.n.Notify(ctx, FromOutbound(out))
}
