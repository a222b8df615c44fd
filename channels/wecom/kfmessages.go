package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/work/kf/syncmsg"

	"github.com/loopdesk/loopdesk/channels"
)

// Origins of a sync_msg message.
const (
	originCustomer = 3 // the customer wrote
	originEvent    = 4 // a system event
)

// kfMessage is a sync_msg list item: the common fields, the raw item for
// the typed body.
type kfMessage struct {
	syncmsg.Message
	raw json.RawMessage
}

func parseKFMessage(raw json.RawMessage) (kfMessage, error) {
	var m kfMessage
	if err := json.Unmarshal(raw, &m.Message); err != nil {
		return kfMessage{}, fmt.Errorf("kf message: %w", err)
	}
	if m.MsgID == "" {
		return kfMessage{}, fmt.Errorf("kf message without msgid")
	}
	m.raw = raw
	return m, nil
}

// Thread is the conversation of one customer with one kf account:
// "open_kfid:external_userid". A reply needs both, and a customer writing
// to two accounts holds two conversations.
func kfThread(openKfID, user string) string { return openKfID + ":" + user }

func splitThread(thread string) (openKfID, user string, ok bool) {
	openKfID, user, ok = strings.Cut(thread, ":")
	return openKfID, user, ok && openKfID != "" && user != ""
}

// customerMessage turns what a customer sent into an inbound message.
// One loopdesk cannot read is kept as such (the customer wrote; an agent
// should know), its raw JSON in Meta. Media is downloaded; media WeChat no
// longer has, or too large, is an attachment not fetched (the ticket gets
// a note why) with the media_id in Meta.
// Other download failures are errors: the page is read again later.
func (c *Channel) customerMessage(ctx context.Context, m kfMessage) (channels.Message, error) {
	msg := channels.Message{Channel: channels.WeCom, ExternalID: m.MsgID,
		Thread: kfThread(m.OpenKFID, m.ExternalUserID),
		From:   channels.Party{ID: m.ExternalUserID},
		Meta:   map[string]string{"open_kfid": m.OpenKFID, "msgtype": m.MsgType}}
	if m.SendTime > 0 {
		msg.SentAt = time.Unix(int64(m.SendTime), 0)
	}
	text, mediaID, err := describe(m.MsgType, m.raw)
	if err != nil || strings.TrimSpace(text) == "" {
		c.log.Warn("kept an unreadable kf message as such", "msgtype", m.MsgType, "err", err)
		msg.Text = "[无法读取的消息：" + m.MsgType + "]"
		msg.Meta["raw"] = truncate(string(m.raw), 2000)
		return msg, nil
	}
	msg.Text = text
	if mediaID == "" {
		return msg, nil
	}
	a, err := c.download(ctx, mediaID)
	var gone *mediaGone
	switch {
	case err == nil:
		msg.Attachments = []channels.Attachment{a}
	case errors.As(err, &gone):
		msg.Meta["media_id"] = mediaID
		msg.Attachments = []channels.Attachment{{Filename: m.MsgType, NotFetched: gone.reason}}
	default:
		return channels.Message{}, fmt.Errorf("download the media of kf message %s: %w", m.MsgID, err)
	}
	return msg, nil
}

// mediaLabels are the texts media messages show on the ticket.
var mediaLabels = map[string]string{"image": "[图片]", "voice": "[语音]", "video": "[视频]", "file": "[文件]"}

// describe returns the text a message shows on the ticket and the
// media to fetch, for every msgtype a customer can send.
func describe(msgType string, raw json.RawMessage) (text, mediaID string, err error) {
	switch msgType {
	case "text":
		var v syncmsg.Text
		err = json.Unmarshal(raw, &v)
		return v.Text.Content, "", err
	case "image", "voice", "video", "file":
		// {"msgtype": "image", "image": {"media_id": …}}: the same for each.
		var v map[string]json.RawMessage
		var media struct {
			MediaID string `json:"media_id"`
		}
		if err = json.Unmarshal(raw, &v); err == nil {
			err = json.Unmarshal(v[msgType], &media)
		}
		return mediaLabels[msgType], media.MediaID, err
	case "location":
		var v syncmsg.Location
		err = json.Unmarshal(raw, &v)
		l := v.Location
		return fmt.Sprintf("[位置] %s %s (%.6f, %.6f)", l.Name, l.Address, l.Latitude, l.Longitude), "", err
	case "link":
		var v syncmsg.Link
		err = json.Unmarshal(raw, &v)
		return strings.Join(nonEmpty("[链接] "+v.Link.Title, v.Link.Desc, v.Link.URL), "\n"), "", err
	case "miniprogram":
		var v syncmsg.MiniProgram
		err = json.Unmarshal(raw, &v)
		p := v.MiniProgram
		return strings.Join(nonEmpty("[小程序] "+p.Title, p.PagePath), "\n"), "", err
	case "business_card":
		var v syncmsg.BusinessCard
		err = json.Unmarshal(raw, &v)
		return "[名片] " + v.BusinessCard.UserID, "", err
	}
	return "[" + msgType + "]", "", nil
}

func nonEmpty(parts ...string) []string {
	out := parts[:0]
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			out = append(out, p)
		}
	}
	return out
}
