package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// seenTTL is how long a callback's id is remembered: WeCom retries a slow
// callback three times within seconds; a day covers any replay.
const seenTTL = 24 * time.Hour

// appMessage is a decrypted callback of the self-built app (docs path
// 90239 for messages, 90240 for events; template_card_event 90240#模板卡片事件推送).
type appMessage struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	MsgID        string `xml:"MsgId"`
	AgentID      string `xml:"AgentID"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	TaskID       string `xml:"TaskId"`
	ResponseCode string `xml:"ResponseCode"`
}

// seenKey is the idempotency key of a callback: the MsgId of a message;
// sender, time and event of an event.
func (m appMessage) seenKey() string {
	if m.MsgID != "" {
		return "wecom/app/seen/msg/" + m.MsgID
	}
	return fmt.Sprintf("wecom/app/seen/event/%s/%d/%s/%s/%s", m.FromUserName, m.CreateTime, m.Event, m.EventKey, m.TaskID)
}

// appCallback takes an agent's message or click. The change it asks for
// is made before WeCom gets its answer, under the callback's key, so that
// nothing acknowledged is lost and a retried callback changes nothing
// again; the answer to the agent goes out after, once per callback.
func (c *Channel) appCallback(r *http.Request, plain []byte) error {
	var m appMessage
	if err := decode(plain, &m); err != nil {
		return badCallback{"the app callback is not XML: " + err.Error()}
	}
	if m.FromUserName == "" {
		return badCallback{"the app callback names no sender"}
	}
	if m.AgentID != "" && m.AgentID != strconv.Itoa(c.cfg.AgentID) {
		c.log.Debug("ignored a callback of another app", "agent_id", m.AgentID)
		return nil
	}
	re := c.agentAct(r.Context(), m)
	first, err := c.deps.State.Once(r.Context(), m.seenKey(), seenTTL)
	if err != nil || !first {
		return err
	}
	c.later(r.Context(), func(ctx context.Context) {
		if re.cardLabel != "" {
			c.closeCards(ctx, re.ticket, re.cardLabel, m)
		}
		if re.answer != "" {
			c.tellAgent(ctx, m.FromUserName, re.answer)
		}
	})
	return nil
}

// reaction is what the channel says back after an agent's callback.
type reaction struct {
	answer    string // a text to the agent
	ticket    string // a ticket claimed, whose cards …
	cardLabel string // … have their buttons turned into this
}

// agentAct carries out what an agent sent.
func (c *Channel) agentAct(ctx context.Context, m appMessage) reaction {
	key := m.seenKey()
	switch {
	case m.MsgType == "text":
		return c.runCommand(ctx, m.FromUserName, parseCommand(m.Content), key)
	case m.MsgType == "event" && m.Event == "template_card_event":
		return c.cardClicked(ctx, m, key)
	case m.MsgType == "event" && m.Event == "click":
		return c.runCommand(ctx, m.FromUserName, parseCommand(m.EventKey), key)
	case m.MsgType == "event" && m.Event == "enter_agent":
		return reaction{answer: helpText}
	case m.MsgType == "event":
		return reaction{}
	}
	return reaction{answer: "目前只看得懂文字命令。发送“帮助”查看命令。"}
}

// later runs fn beside the callbacks while the channel runs; before Run
// (a channel only serving callbacks, as in tests) it runs fn at once, and
// after Run it drops fn: nothing may start once Run has waited.
func (c *Channel) later(parent context.Context, fn func(context.Context)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ctx == nil:
		fn(context.WithoutCancel(parent))
	case c.stopped:
		c.log.Warn("stopping: an answer to an agent is not sent")
	default:
		ctx := c.ctx
		c.work.Go(func() { fn(ctx) })
	}
}

// agentFor maps a WeCom member to a loopdesk agent; the answer explains
// when there is none.
func (c *Channel) agentFor(ctx context.Context, userID string) (string, string) {
	if c.deps.Desk == nil {
		return "", "loopdesk 没有为企业微信开启工单命令。"
	}
	agent, err := c.deps.Desk.AgentFor(ctx, channels.WeCom, userID)
	if errors.Is(err, channels.ErrNoAgent) {
		return "", fmt.Sprintf("你的企业微信账号（%s）还没有对应的 loopdesk 客服。请管理员在客服配置的 notify 中加上 wecom: %s。\n(%v)", userID, userID, err)
	}
	if err != nil {
		c.log.Error("map a WeCom member to an agent", "err", err)
		return "", "暂时无法处理，请稍后再试。"
	}
	return agent, ""
}

// tellAgent sends text to a member in the app, within their rate limit.
func (c *Channel) tellAgent(ctx context.Context, userID, text string) {
	if c.app == nil {
		return
	}
	if wait, ok := c.limiter.take(userID); !ok {
		c.log.Warn("answer to an agent dropped: over WeCom's 30 messages a minute", "wait", wait)
		return
	}
	body := appText(userID, c.cfg.AgentID, text)
	if err := c.app.post(ctx, "/cgi-bin/message/send", body, nil); err != nil {
		c.log.Error("answer an agent in the app", "err", err)
	}
}

func appText(userID string, agentID int, text string) map[string]any {
	return map[string]any{"touser": userID, "msgtype": "text", "agentid": agentID,
		"text": map[string]string{"content": strings.TrimSpace(text)}}
}
