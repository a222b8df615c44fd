package wecom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// appCallback takes an agent's message or click. It answers WeCom at
// once and does the work after, so a slow store never makes WeCom retry;
// a retry that comes anyway is recognised and dropped.
func (c *Channel) appCallback(r *http.Request, plain []byte) error {
	var m appMessage
	if err := decode(plain, &m); err != nil {
		return badCallback{"the app callback is not XML: " + err.Error()}
	}
	if m.FromUserName == "" {
		return badCallback{"the app callback names no sender"}
	}
	first, err := c.deps.State.Once(r.Context(), m.seenKey(), seenTTL)
	if err != nil {
		return err
	}
	if !first {
		c.log.Debug("dropped a repeated app callback", "user", m.FromUserName, "msgtype", m.MsgType, "event", m.Event)
		return nil
	}
	ctx := c.runCtx()
	if ctx == nil {
		ctx = context.WithoutCancel(r.Context())
	}
	c.work.Go(func() { c.agentAct(ctx, m) })
	return nil
}

// agentAct carries out what an agent sent and answers them in the app.
func (c *Channel) agentAct(ctx context.Context, m appMessage) {
	var answer string
	switch {
	case m.MsgType == "text":
		answer = c.runCommand(ctx, m.FromUserName, parseCommand(m.Content))
	case m.MsgType == "event" && m.Event == "template_card_event":
		answer = c.cardClicked(ctx, m)
	case m.MsgType == "event" && m.Event == "click":
		answer = c.runCommand(ctx, m.FromUserName, parseCommand(m.EventKey))
	case m.MsgType == "event" && m.Event == "enter_agent":
		answer = helpText
	case m.MsgType == "event":
		return
	default:
		answer = "目前只看得懂文字命令。发送“帮助”查看命令。"
	}
	if answer != "" {
		c.tellAgent(ctx, m.FromUserName, answer)
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
		return "", fmt.Sprintf("你的企业微信账号（%s）还没有对应的 loopdesk 客服。请管理员在客服配置的 notify 中加上 wecom: %s。", userID, userID)
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
