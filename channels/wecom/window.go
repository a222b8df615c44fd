package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
)

// WeChat's reply window for 微信客服 (docs path 94677): at most
// windowMessages messages within windowLength of the customer's last
// message; each new customer message opens a new window.
const (
	windowMessages = 5
	windowLength   = 48 * time.Hour
	windowKey      = "wecom/kf/window/" // + open_kfid + "/" + external_userid
)

// window is what the channel knows of one customer's window.
type window struct {
	// Last is when the customer last wrote (WeChat's send_time, in
	// seconds), Opener that message's msgid.
	Last   time.Time `json:"last"`
	Opener string    `json:"opener,omitempty"`
	// Sent are the msgids sent since: a retried send of one does not count twice.
	Sent []string `json:"sent,omitempty"`
}

var (
	errWindowFull   = errors.New("WeChat allows 5 messages per customer message; this reply is sent when the customer writes again")
	errWindowClosed = errors.New("WeChat allows replies only within 48 hours of the customer's last message; the customer must write again")
)

// openWindows starts a new window for each customer who wrote. It runs
// before the messages are stored: storing them releases held replies,
// which must find the window open.
func (c *Channel) openWindows(ctx context.Context, msgs []syncmsg.Message) error {
	for _, m := range msgs {
		at := time.Unix(int64(m.SendTime), 0)
		err := c.updateWindow(ctx, m.OpenKFID, m.ExternalUserID, func(w *window) error {
			// A later message opens a new window; so does another one in
			// the same second. The same message read again (a page
			// replayed after a crash) does not.
			if at.After(w.Last) || at.Equal(w.Last) && m.MsgID != w.Opener {
				*w = window{Last: at, Opener: m.MsgID}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("open reply window: %w", err)
		}
	}
	return nil
}

// reserve counts ids against the customer's window before they are sent.
// A window unknown to loopdesk (its state lost) lets WeChat decide.
func (c *Channel) reserve(ctx context.Context, openKfID, user string, ids []string) error {
	return c.updateWindow(ctx, openKfID, user, func(w *window) error {
		if w.Last.IsZero() {
			return nil
		}
		closes := w.Last.Add(windowLength)
		if !c.cfg.Now().Before(closes) {
			return channels.Permanent(fmt.Errorf("%w (it closed %s)", errWindowClosed, closes.Format(time.RFC3339)))
		}
		fresh := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(w.Sent, id) })
		if len(w.Sent)+len(fresh) > windowMessages {
			return channels.Hold(errWindowFull, closes)
		}
		w.Sent = append(w.Sent, fresh...)
		return nil
	})
}

// release gives back the places of ids WeChat refused.
func (c *Channel) release(ctx context.Context, openKfID, user string, ids []string) {
	err := c.updateWindow(ctx, openKfID, user, func(w *window) error {
		w.Sent = slices.DeleteFunc(w.Sent, func(id string) bool { return slices.Contains(ids, id) })
		return nil
	})
	if err != nil {
		c.log.Warn("release reply window places", "err", err)
	}
}

// windowError tells what a refusal of WeChat's window means for the
// reply: held for the customer's next message while the window is open,
// failed once it closed.
func (c *Channel) windowError(ctx context.Context, openKfID, user string, err error) error {
	var w window
	if raw, gerr := c.deps.State.Get(ctx, windowStateKey(openKfID, user)); gerr == nil && raw != nil {
		_ = json.Unmarshal(raw, &w)
	}
	closes := w.Last.Add(windowLength)
	if w.Last.IsZero() { // loopdesk lost count; WeChat says too many, not too late
		closes = c.cfg.Now().Add(windowLength)
	}
	if !c.cfg.Now().Before(closes) {
		return channels.Permanent(fmt.Errorf("%w: %w", errWindowClosed, err))
	}
	return channels.Hold(fmt.Errorf("%w: %w", errWindowFull, err), closes)
}

func windowStateKey(openKfID, user string) string { return windowKey + openKfID + "/" + user }

func (c *Channel) updateWindow(ctx context.Context, openKfID, user string, fn func(*window) error) error {
	return c.deps.State.Update(ctx, windowStateKey(openKfID, user), func(old []byte) ([]byte, error) {
		var w window
		if len(old) > 0 {
			_ = json.Unmarshal(old, &w)
		}
		if err := fn(&w); err != nil {
			return nil, err
		}
		return json.Marshal(w)
	})
}
