// Package ticketcore is the heart of loopdesk: the Ticket and its timeline,
// the lifecycle, the Service that turns inbound messages into tickets and
// delivers the replies they cause, the operations agents perform, and the
// Store contract that keeps all of it durable.
//
// It imports the channels and nlu contracts, never a channel adapter, an
// extractor implementation or a store implementation; cmd wires those in.
//
// How a message travels here: a channel calls Service.HandleMessage, which
// stores the message and queues it in the inbox in one transaction before
// the channel acknowledges it. The inbox worker reads the message (outside
// any transaction), then in one transaction appends it to the thread's
// active ticket, reopens the ticket the thread had when it was solved
// within Config.ReopenWindow, or creates a ticket (a follow-up of the one
// the thread had, if any) with its acknowledgement reply in the outbox. The dispatcher claims outbox items, sends them through their
// channel, and records the delivery on the ticket's timeline.
package ticketcore
