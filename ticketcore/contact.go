package ticketcore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contact is one person across channels: every identity a channel knows
// them by, the phones and emails that are theirs, and what the business
// knows about them.
type Contact struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Identities []Identity `json:"identities"`
	// Phones and Emails are verified (given by a channel that vouches for
	// them, or set by an agent), normalized: 11-digit mobile, lower-case email.
	Phones []string `json:"phones"`
	Emails []string `json:"emails"`
	// Tier ("vip", …), Region and Tags feed routing and SLA rules.
	Tier   string   `json:"tier"`
	Region string   `json:"region"`
	Tags   []string `json:"tags"`
	// Attrs holds anything else a connector or an agent adds.
	Attrs     map[string]string `json:"attrs"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Identity is how one channel knows a contact: the channel name and its id
// for the person (API from.id, WeCom external_userid, openid, unionid with
// Channel "miniprogram-union", email address, Slack user).
type Identity struct {
	Channel string `json:"channel"`
	ID      string `json:"id"`
}

// ContactKey finds a contact by one identity, phone or email; exactly one
// of the three is set.
type ContactKey struct {
	Identity Identity
	Phone    string
	Email    string
}

// ContactQuery selects contacts: Text matches the name, phones, emails,
// identities, tier, region and tags; newest first, paged like tickets.
type ContactQuery struct {
	Text   string
	Limit  int
	Cursor string
}

// PageSize is the effective page size of q.
func (q ContactQuery) PageSize() int { return TicketQuery{Limit: q.Limit}.PageSize() }

// Match reports whether c passes q.
func (q ContactQuery) Match(c Contact) bool {
	if q.Text == "" {
		return true
	}
	needle := strings.ToLower(q.Text)
	hay := append([]string{c.ID, c.Name, c.Tier, c.Region}, c.Phones...)
	hay = append(append(hay, c.Emails...), c.Tags...)
	for _, id := range c.Identities {
		hay = append(hay, id.ID)
	}
	return slices.ContainsFunc(hay, func(h string) bool { return strings.Contains(strings.ToLower(h), needle) })
}

const contactIDPrefix = "C-"

// FormatContactID renders the n-th contact's id: C-000042.
func FormatContactID(n uint64) string { return fmt.Sprintf("%s%06d", contactIDPrefix, n) }

// ParseContactID returns the sequence number of a contact id in its
// canonical form, or false.
func ParseContactID(id string) (uint64, bool) {
	digits, ok := strings.CutPrefix(id, contactIDPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil && n > 0 && FormatContactID(n) == id
}
