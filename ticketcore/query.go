package ticketcore

import (
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
)

// Page sizes of ticket lists.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// TicketQuery selects tickets. Each list filter matches any of its values;
// an empty list matches everything.
type TicketQuery struct {
	Status, Priority, Intent, Channel, Assignee, Group, Contact []string
	// Text matches case-insensitively in the id, subject, requester, tags and field values.
	Text string
	// Limit is the page size; 0 means DefaultPageSize, more than MaxPageSize is cut.
	Limit int
	// Cursor continues a list after the ticket with this id.
	Cursor string
	// Sort is the order: SortNewest (the default) or SortQueue.
	Sort string
}

// Orders of a ticket list.
const (
	// SortNewest lists the newest ticket first.
	SortNewest = "newest"
	// SortQueue is the order agents work in: urgent tickets pinned first,
	// then by DueAt (tickets without a running SLA last), then by priority,
	// then oldest first.
	SortQueue = "queue"
)

// QueueLess reports whether a comes before b in SortQueue order.
func QueueLess(a, b Ticket) bool {
	if ua, ub := a.Priority == nlu.PriorityUrgent, b.Priority == nlu.PriorityUrgent; ua != ub {
		return ua
	}
	switch {
	case a.DueAt.IsZero() != b.DueAt.IsZero():
		return !a.DueAt.IsZero()
	case !a.DueAt.Equal(b.DueAt):
		return a.DueAt.Before(b.DueAt)
	}
	if ra, rb := nlu.PriorityRank(a.Priority), nlu.PriorityRank(b.Priority); ra != rb {
		return ra < rb
	}
	na, _ := ParseTicketID(a.ID)
	nb, _ := ParseTicketID(b.ID)
	return na < nb
}

// PageSize is the effective page size of q.
func (q TicketQuery) PageSize() int {
	switch {
	case q.Limit <= 0:
		return DefaultPageSize
	case q.Limit > MaxPageSize:
		return MaxPageSize
	}
	return q.Limit
}

// Match reports whether t passes every filter of q. Stores that cannot
// filter natively call it on each candidate.
func (q TicketQuery) Match(t Ticket) bool {
	for _, f := range []struct {
		want []string
		have string
	}{
		{q.Status, t.Status}, {q.Priority, t.Priority}, {q.Intent, t.Intent},
		{q.Channel, t.Channel}, {q.Assignee, t.Assignee}, {q.Group, t.Group}, {q.Contact, t.ContactID},
	} {
		if len(f.want) > 0 && !slices.Contains(f.want, f.have) {
			return false
		}
	}
	return q.Text == "" || matchText(t, strings.ToLower(q.Text))
}

func matchText(t Ticket, needle string) bool {
	hay := []string{t.ID, t.Subject, t.Requester.ID, t.Requester.Name, t.Requester.Phone,
		t.Requester.Email, t.Thread}
	hay = append(hay, t.Tags...)
	for _, v := range t.Fields {
		hay = append(hay, v)
	}
	for _, h := range hay {
		if strings.Contains(strings.ToLower(h), needle) {
			return true
		}
	}
	return false
}
