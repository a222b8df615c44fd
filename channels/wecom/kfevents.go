package wecom

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
)

// failTypes are msg_send_fail's fail_type values (docs path 94670).
var failTypes = map[uint32]string{
	0: "unknown reason", 1: "the kf account was deleted", 2: "the app was closed",
	4: "the session expired: more than 48 hours since the customer wrote",
	5: "the session was closed", 6: "more than 5 messages since the customer wrote",
	7: "no Channels account bound", 8: "the company is not verified",
	9:  "no Channels account bound and the company is not verified",
	10: "the customer refuses messages",
}

// kfEvent acts on a system event of sync_msg: a welcome for a customer who
// opens the chat, a failure for a reply WeChat did not deliver after all.
// An error (the store failing) stops the sync, so the page is read again.
func (c *Channel) kfEvent(ctx context.Context, m kfMessage) error {
	raw := m.raw
	var ev syncmsg.EventMessage
	if err := json.Unmarshal(raw, &ev); err != nil {
		c.log.Warn("skipped an unreadable kf event", "err", err)
		return nil
	}
	switch ev.Event.EventType {
	case "enter_session":
		var e syncmsg.EnterSessionEvent
		if err := json.Unmarshal(raw, &e); err == nil && e.Event.WelcomeCode != "" && c.cfg.Welcome != "" {
			c.welcome(ctx, e.Event.WelcomeCode)
		}
	case "msg_send_fail":
		var e syncmsg.MsgSendFailEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil
		}
		return c.sendFailed(ctx, e.Event.FailMsgID, e.Event.FailType)
	default:
		c.log.Debug("kf event", "event_type", ev.Event.EventType)
	}
	return nil
}

// welcome answers enter_session (send_msg_on_event, docs path 95122). The
// code is good once, for 20 seconds: a page read again after a crash
// finds it used, which is logged and dropped.
func (c *Channel) welcome(ctx context.Context, code string) {
	sum := sha1.Sum([]byte(code))
	body := map[string]any{"code": code, "msgid": "w" + hex.EncodeToString(sum[:])[:31],
		"msgtype": "text", "text": map[string]string{"content": c.cfg.Welcome}}
	if err := c.kf.post(ctx, "/cgi-bin/kf/send_msg_on_event", body, nil); err != nil {
		c.log.Warn("welcome not sent", "err", err)
	}
}

// sendFailed marks the reply WeChat reports undelivered.
func (c *Channel) sendFailed(ctx context.Context, msgID string, failType uint32) error {
	reason, ok := failTypes[failType]
	if !ok {
		reason = fmt.Sprintf("fail_type %d", failType)
	}
	err := c.deps.Reports.DeliveryFailed(ctx, outboxID(msgID), "WeChat did not deliver the message: "+reason)
	if errors.Is(err, channels.ErrUnknownMessage) {
		c.log.Debug("msg_send_fail for a message loopdesk did not send", "err", err)
		return nil
	}
	return err
}
