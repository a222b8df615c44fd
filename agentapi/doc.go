// Package agentapi is the REST API through which agents and their tools work
// tickets: list (newest first or in queue order), read with the timeline,
// change, reply and note under /api/v1/tickets as CONTRACT.md fixes it; merge
// and links, stage completion, incident broadcasts and attachments; contacts,
// agent availability, page acknowledgement and a routing-rules dry run.
// docs/api.md describes every endpoint. Every call carries a bearer token
// whose role (admin, agent, viewer) decides what it may do.
//
// It reaches the ticket core only through the Tickets interface. It imports
// ticketcore (types and errors), channels (the attachment type), nlu (the
// priority vocabulary), auth and internal/httpjson; never a store or a
// channel implementation.
package agentapi
