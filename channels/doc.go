// Package channels is the contract between channel adapters and the ticket
// core: the inbound Message a channel hands to a Handler, the Outbound message
// the dispatcher hands back to a Channel, and the errors that tell the two
// sides what to retry.
//
// It imports only the standard library. Adapters live in subpackages named
// after the channel (api, wecom, email, slack) and never import each other.
package channels
