// Package slack is the Slack channel. This first part carries customers
// who write to the app in Slack (a direct message, or a shared channel it
// is in): the Events API transport with v0 request signing checked
// against an injected clock, events deduplicated by event_id (Slack retries
// up to three times) and acknowledged before the work, and replies posted
// with chat.postMessage, paced to one message a second per Slack channel,
// Retry-After honoured, the outbox id in the message's metadata so that a
// retried delivery is recognised in the thread and not posted twice.
//
// Agents working tickets from Slack threads (ticket cards, Claim, /ticket)
// come next; see the project's issue on Slack.
//
// It uses github.com/slack-go/slack (slackevents, the Web API client) and
// imports the channel contract, never the ticket core.
package slack
