package wecom

import (
	"context"
	"encoding/json"
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

// customerMessage turns what a customer sent into an inbound message;
// media is downloaded, or kept as a reference when that fails. ok is false
// for a message with nothing loopdesk can show.
func (c *Channel) customerMessage(ctx context.Context, m kfMessage, raw json.RawMessage) (channels.Message, bool) {
	msg := channels.Message{Channel: channels.WeCom, ExternalID: m.MsgID,
		Thread: kfThread(m.OpenKFID, m.ExternalUserID),
		From:   channels.Party{ID: m.ExternalUserID},
		Meta:   map[string]string{"open_kfid": m.OpenKFID, "msgtype": m.MsgType}}
	if m.SendTime > 0 {
		msg.SentAt = time.Unix(int64(m.SendTime), 0)
	}
	text, mediaID, err := describe(m.MsgType, raw)
	if err != nil {
		c.log.Warn("skipped an unreadable kf message", "msgtype", m.MsgType, "err", err)
		return channels.Message{}, false
	}
	msg.Text = text
	if mediaID != "" {
		a, err := c.download(ctx, mediaID)
		if err != nil {
			c.log.Warn("kept a kf media message as a reference", "msgtype", m.MsgType, "err", err)
			msg.Meta["media_id"] = mediaID
			msg.Text = text + "（" + err.Error() + "）"
		} else {
			msg.Attachments = []channels.Attachment{a}
		}
	}
	if strings.TrimSpace(msg.Text) == "" && len(msg.Attachments) == 0 {
		return channels.Message{}, false
	}
	return msg, true
}

// describe returns the text a message shows on the ticket and the
// media to fetch, for every msgtype a customer can send.
func describe(msgType string, raw json.RawMessage) (text, mediaID string, err error) {
	switch msgType {
	case "text":
		var v syncmsg.Text
		err = json.Unmarshal(raw, &v)
		return v.Text.Content, "", err
	case "image":
		var v syncmsg.Image
		err = json.Unmarshal(raw, &v)
		return "[图片]", v.Image.MediaID, err
	case "voice":
		var v syncmsg.Voice
		err = json.Unmarshal(raw, &v)
		return "[语音]", v.Voice.MediaID, err
	case "video":
		var v syncmsg.Video
		err = json.Unmarshal(raw, &v)
		return "[视频]", v.Video.MediaID, err
	case "file":
		var v syncmsg.File
		err = json.Unmarshal(raw, &v)
		return "[文件]", v.File.MediaID, err
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
