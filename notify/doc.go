// Package notify is the contract between the ticket core and the notifiers
// that tell agents about tickets: a Notice (a new ticket, an assignment, an
// SLA warning, an urgent page), the Notifier interface that delivers it, and
// Channel, which lets notices travel through loopdesk's durable outbox like
// any outbound message, with the same retries and the same error convention
// (channels.Permanent, channels.RetryAfter).
//
// Implementations live in subpackages named after how they reach people:
// webhook (SMS gateways, on-call tools) now; WeCom app messages, Slack and
// email later.
//
// The ticket core enqueues a notice with Outbound, in the same transaction
// as the ticket change that causes it; the dispatcher hands it to the
// Channel registered under ChannelName(notifier), which rebuilds the Notice
// with FromOutbound and calls Notify.
//
// It imports only the channels contract and the standard library; it never
// imports an implementation or the ticket core.
package notify
