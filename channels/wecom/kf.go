package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/silenceper/wechat/v2/work/kf"
	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
)

// kfEvent is the decrypted 微信客服 callback: no content, only the account
// that has news and a token for fetching it (valid 10 minutes).
type kfEvent = kf.CallbackMessage

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
	var ev kfEvent
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

// rememberAccount keeps the list of kf accounts to catch up on at start.
func (c *Channel) rememberAccount(ctx context.Context, openKfID string) error {
	return c.deps.State.Update(ctx, kfAccountsKey, func(old []byte) ([]byte, error) {
		var ids []string
		_ = json.Unmarshal(old, &ids)
		if slices.Contains(ids, openKfID) {
			return old, nil
		}
		return json.Marshal(append(ids, openKfID))
	})
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
// SyncMsgOptions has no omitempty on open_kfid's neighbours we need, and
// its SyncMsg loses the errcode, so the call is ours.
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

// syncAccount fetches everything new on one kf account, a page at a time,
// each page's messages stored with the cursor that follows them.
func (c *Channel) syncAccount(ctx context.Context, openKfID, token string) error {
	key := kfCursorKey + openKfID
	cursor, err := c.deps.State.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read cursor: %w", err)
	}
	for {
		var page syncAnswer
		req := syncRequest{Cursor: string(cursor), Token: token, Limit: 1000, OpenKfID: openKfID}
		err := c.kf.post(ctx, "/cgi-bin/kf/sync_msg", req, &page)
		var ae *apiError
		if errors.As(err, &ae) && ae.Code == codeBadMsgToken && token != "" {
			token = ""
			continue
		}
		if err != nil {
			return err
		}
		if err := c.takePage(ctx, openKfID, page, key); err != nil {
			return err
		}
		cursor = []byte(page.NextCursor)
		if page.HasMore == 0 {
			return nil
		}
	}
}

// takePage reads a page, acts on its events and stores its customer
// messages together with the next cursor. Events act before the store
// commits: a crash replays the page and acts again, rather than never.
func (c *Channel) takePage(ctx context.Context, openKfID string, page syncAnswer, key string) error {
	var msgs []channels.Message
	var customers []syncmsg.Message
	for _, raw := range page.MsgList {
		m, err := parseKFMessage(raw)
		if err != nil {
			c.log.Warn("skipped an unreadable kf message", "err", err)
			continue
		}
		switch m.Origin {
		case originCustomer:
			msg, ok := c.customerMessage(ctx, m, raw)
			if ok {
				msgs, customers = append(msgs, msg), append(customers, m.Message)
			}
		case originEvent:
			if err := c.kfEvent(ctx, m, raw); err != nil {
				return err
			}
		default: // an agent typing in the WeCom client; WeChat shows it already
			c.log.Debug("skipped a kf message", "origin", m.Origin, "msgtype", m.MsgType)
		}
	}
	if err := c.openWindows(ctx, customers); err != nil {
		return err
	}
	_, err := c.deps.Handler.HandleBatch(ctx, msgs, channels.Checkpoint{Key: key, Value: []byte(page.NextCursor)})
	if err != nil {
		return fmt.Errorf("store kf messages: %w", err)
	}
	return nil
}
