// Package agentapi is the REST API through which agents and their tools work
// tickets: list, read with the timeline, change, reply and note, under
// /api/v1/tickets as CONTRACT.md fixes it. Every call carries a bearer token
// whose role (admin, agent, viewer) decides what it may do.
//
// It imports ticketcore, auth and internal/httpjson; never a store or a
// channel implementation.
package agentapi
