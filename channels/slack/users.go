package slack

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// userTTL is how long a Slack user's email (users.info) is kept before it
// is asked again.
const userTTL = 24 * time.Hour

// agentFor is the agent a Slack user is: by their Slack user id in the
// desk (notify: {slack: U0123}), else by the email of their Slack profile
// (notify: {email: li@shop.example.com}), read with users.info and kept a
// day.
func (c *Channel) agentFor(ctx context.Context, userID string) (string, error) {
	agent, err := c.deps.Desk.AgentFor(ctx, NotifierName, userID)
	if !errors.Is(err, channels.ErrNoAgent) {
		return agent, err
	}
	email, lerr := c.userEmail(ctx, userID)
	if lerr != nil {
		c.log.Warn("read a Slack user's email", "err", lerr)
	}
	if email == "" {
		return "", err
	}
	return c.deps.Desk.AgentFor(ctx, "email", email)
}

// cachedUser is a Slack user's email as last read.
type cachedUser struct {
	Email string    `json:"email"`
	At    time.Time `json:"at"`
}

func (c *Channel) userEmail(ctx context.Context, userID string) (string, error) {
	key := "slack/user/" + userID
	var cached cachedUser
	if raw, err := c.deps.State.Get(ctx, key); err == nil && raw != nil && json.Unmarshal(raw, &cached) == nil &&
		c.cfg.Now().Sub(cached.At) < userTTL {
		return cached.Email, nil
	}
	u, err := c.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		return "", err
	}
	cached = cachedUser{Email: strings.ToLower(u.Profile.Email), At: c.cfg.Now()}
	raw, _ := json.Marshal(cached)
	return cached.Email, c.deps.State.Update(ctx, key, func([]byte) ([]byte, error) { return raw, nil })
}
