package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
)

// kfCallbackEvent is the decrypted 微信客服 callback: no content, only the
// account that has news and a token for fetching it (valid 10 minutes).
type kfCallbackEvent = kf.CallbackMessage

// State keys of 微信客服.
const (
	kfAccountsKey = "wecom/kf/accounts" // JSON list of the open_kfids seen
	kfCursorKey   = "wecom/kf/cursor/"  // + open_kfid: the sync_msg cursor
)

// codeBadMsgToken: the callback token is unknown or past its 10 minutes;
// sync_msg works without one (at a stricter rate limit).
const codeBadMsgToken = 95007

// kfCallback takes the kf callback: it stores nothing and asks for a sync
// of the account, answered at once.
func (c *Channel) kfCallback(r *http.Request, plain []byte) error {
	if c.kf == nil {
		return badCallback{"微信客服 is not configured (channels.wecom.kf_secret)"}
	}
	var ev kfCallbackEvent
	if err := decode(plain, &ev); err != nil {
		return badCallback{"the kf callback is not XML: " + err.Error()}
	}
	if ev.Event != "kf_msg_or_event" || ev.OpenKfID == "" {
		c.log.Debug("ignored a kf callback", "event", ev.Event)
		return nil
	}
	if err := c.rememberAccount(r.Context(), ev.OpenKfID); err != nil {
		return err
	}
	c.syncs.request(ev.OpenKfID, ev.Token)
	return nil
}

// rememberAccount keeps the list of kf accounts to catch up on at start;
// one already listed costs no write.
func (c *Channel) rememberAccount(ctx context.Context, openKfID string) error {
	c.mu.Lock()
	known := c.accounts[openKfID]
	c.mu.Unlock()
	if known {
		return nil
	}
	err := c.deps.State.Update(ctx, kfAccountsKey, func(old []byte) ([]byte, error) {
		var ids []string
		_ = json.Unmarshal(old, &ids)
		if slices.Contains(ids, openKfID) {
			return old, nil
		}
		return json.Marshal(append(ids, openKfID))
	})
	if err == nil {
		c.mu.Lock()
		c.accounts[openKfID] = true
		c.mu.Unlock()
	}
	return err
}

// catchUp syncs every account seen before, without a callback token.
func (c *Channel) catchUp(ctx context.Context) {
	raw, err := c.deps.State.Get(ctx, kfAccountsKey)
	if err != nil {
		c.log.Error("read the kf accounts to catch up on", "err", err)
		return
	}
	var ids []string
	_ = json.Unmarshal(raw, &ids)
	for _, id := range ids {
		c.syncs.request(id, "")
	}
}

// syncRequest is kf/sync_msg's body (docs path 94670). The library's
// SyncMsgOptions sends an empty cursor and token where they should be
// left out, and its SyncMsg loses the errcode, so the call is ours.
type syncRequest struct {
	Cursor   string `json:"cursor,omitempty"`
	Token    string `json:"token,omitempty"`
	Limit    int    `json:"limit"`
	OpenKfID string `json:"open_kfid"`
}

type syncAnswer struct {
	NextCursor string            `json:"next_cursor"`
	HasMore    int               `json:"has_more"`
	MsgList    []json.RawMessage `json:"msg_list"`
}

// Sync sizes. A page asks for syncLimit messages (sync_msg allows 1,000),
// few enough that their media fit in memory; should a page's media still
// pass pageBytes, its messages are stored in parts, each but the last
// under the cursor the page started from.
const (
	syncLimit = 100
	pageBytes = 32 << 20
	// maxStalls is how many answers in a row may say has_more without
	// moving the cursor or bringing a message before the sync gives up
	// (and the syncer tries again later).
	maxStalls = 5
)

// syncAccount fetches everything new on one kf account, a page at a time,
// each page's messages stored with the cursor that follows them.
func (c *Channel) syncAccount(ctx context.Context, openKfID, token string) error {
	key := kfCursorKey + openKfID
	raw, err := c.deps.State.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	cursor := string(raw)
	for stalls := 0; ; {
		page, err := c.fetchPage(ctx, openKfID, cursor, &token)
		if err != nil {
			return err
		}
		next := page.NextCursor
		if next == "" {
			next = cursor // an empty cursor would start again from three days ago
		}
		if next == cursor && len(page.MsgList) == 0 {
			if page.HasMore == 0 {
				return nil
			}
			if stalls++; stalls > maxStalls {
				return fmt.Errorf("sync_msg keeps answering has_more without moving on")
			}
			if !wait.Sleep(ctx, time.Duration(stalls)*c.waitBase/5) {
				return ctx.Err()
			}
			continue
		}
		stalls = 0
		if err := c.takePage(ctx, page.MsgList, cursor, channels.Checkpoint{Key: key, Value: []byte(next)}); err != nil {
			return err
		}
		cursor = next
		if page.HasMore == 0 {
			return nil
		}
	}
}

// fetchPage calls sync_msg; a callback token WeCom no longer takes is
// dropped (for this sync and the ones after) and the call made without.
func (c *Channel) fetchPage(ctx context.Context, openKfID, cursor string, token *string) (syncAnswer, error) {
	for {
		var page syncAnswer
		req := syncRequest{Cursor: cursor, Token: *token, Limit: syncLimit, OpenKfID: openKfID}
		err := c.kf.post(ctx, "/cgi-bin/kf/sync_msg", req, &page)
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == codeBadMsgToken && *token != "" {
			*token = ""
			continue
		}
		return page, err
	}
}

// pagePart is customer messages read and not yet stored.
type pagePart struct {
	msgs      []channels.Message
	customers []syncmsg.Message
	bytes     int
}

// takePage reads a page, acts on its events and stores its customer
// messages together with the cursor that follows them (from, the one the
// page was asked with, for parts before the last). Events act before the
// store commits: a crash replays the page and acts again, rather than
// never. An error (a store or a transient download failure) leaves the
// cursor where it was, so the page is read again.
func (c *Channel) takePage(ctx context.Context, list []json.RawMessage, from string, at channels.Checkpoint) error {
	var part pagePart
	for _, raw := range list {
		m, err := parseKFMessage(raw)
		if err != nil {
			c.log.Error("a kf message without a msgid cannot be kept; skipped", "err", err)
			continue
		}
		switch m.Origin {
		case originCustomer:
			msg, err := c.customerMessage(ctx, m)
			if err != nil {
				return err
			}
			part.msgs, part.customers = append(part.msgs, msg), append(part.customers, m.Message)
			for _, a := range msg.Attachments {
				part.bytes += len(a.Data)
			}
			if part.bytes > pageBytes {
				if err := c.storePart(ctx, part, channels.Checkpoint{Key: at.Key, Value: []byte(from)}); err != nil {
					return err
				}
				part = pagePart{}
			}
		case originEvent:
			if err := c.kfEvent(ctx, m); err != nil {
				return err
			}
		default: // an agent typing in the WeCom client; WeChat shows it already
			c.log.Debug("skipped a kf message", "origin", m.Origin, "msgtype", m.MsgType)
		}
	}
	return c.storePart(ctx, part, at)
}

// storePart opens the customers' reply windows, then stores the messages
// with the cursor.
func (c *Channel) storePart(ctx context.Context, part pagePart, at channels.Checkpoint) error {
	if err := c.openWindows(ctx, part.customers); err != nil {
		return err
	}
	if _, err := c.deps.Handler.HandleBatch(ctx, part.msgs, at); err != nil {
		return fmt.Errorf("store kf messages: %w", err)
	}
	return nil
}
