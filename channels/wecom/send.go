package wecom

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loopdesk/loopdesk/channels"
)

// maxText is the most bytes of one kf text message (send_msg, docs path
// 96427); a longer reply goes out as several messages.
const maxText = 2048

// msgIDPattern is what send_msg accepts as msgid.
var msgIDPattern = regexp.MustCompile(`^[0-9a-zA-Z_-]{1,32}$`)

// kfText is send_msg's body for a text message.
type kfText struct {
	ToUser   string `json:"touser"`
	OpenKfID string `json:"open_kfid"`
	MsgID    string `json:"msgid"`
	MsgType  string `json:"msgtype"`
	Text     struct {
		Content string `json:"content"`
	} `json:"text"`
}

// Send delivers a reply to a 微信客服 customer with kf/send_msg. The outbox
// id is the msgid, so WeChat takes a retried delivery once. A reply past
// the 5 messages WeChat allows per customer message is held
// (channels.Hold) until the customer writes again; one after the 48-hour
// window closed fails.
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	if c.kf == nil {
		return channels.Permanent(errors.New("wecom: 微信客服 is not configured (channels.wecom.kf_secret)"))
	}
	openKfID, user, ok := splitThread(out.Thread)
	if !ok {
		return channels.Permanent(fmt.Errorf("wecom: thread %q is not open_kfid:external_userid", out.Thread))
	}
	chunks := splitText(out.Text, maxText)
	ids := chunkIDs(out.ID, len(chunks))
	if err := c.reserve(ctx, openKfID, user, ids); err != nil {
		return err
	}
	for i, chunk := range chunks {
		body := kfText{ToUser: user, OpenKfID: openKfID, MsgID: ids[i], MsgType: "text"}
		body.Text.Content = chunk
		err := c.kf.post(ctx, "/cgi-bin/kf/send_msg", body, nil)
		var ae *apiError
		if errors.As(err, &ae) {
			c.release(ctx, openKfID, user, ids[i:])
			if ae.Code == codeKFTimeLimit {
				return channels.Permanent(fmt.Errorf("%w: %w", errWindowClosed, err))
			}
			if ae.Code == codeKFWindow || ae.Code == codeKFCountLimit {
				return c.windowError(ctx, openKfID, user, err)
			}
			if ae.Code == codeKFSessionBusy {
				return channels.Permanent(fmt.Errorf("an agent is serving this customer in the WeCom client, where the reply must be written: %w", err))
			}
		}
		if err != nil {
			return classify(err)
		}
	}
	return nil
}

// chunkIDs derives one msgid per chunk from the outbox id: the id itself,
// then id_2, id_3 …; an id send_msg would not take is hashed.
func chunkIDs(id string, n int) []string {
	base := id
	if !msgIDPattern.MatchString(base) || len(base) > 28 {
		sum := sha1.Sum([]byte(id))
		base = "h" + hex.EncodeToString(sum[:])[:27]
	}
	ids := []string{base}
	for i := 2; i <= n; i++ {
		ids = append(ids, base+"_"+strconv.Itoa(i))
	}
	return ids
}

// outboxID is the outbox id a msgid was derived from (the hashed ones
// cannot be traced back and stay as they are).
func outboxID(msgID string) string {
	if base, n, ok := strings.Cut(msgID, "_"); ok {
		if _, err := strconv.Atoi(n); err == nil {
			return base
		}
	}
	return msgID
}

// splitText cuts text into pieces of at most max bytes, at a line break
// where there is one in the second half of a piece, never inside a rune.
func splitText(text string, max int) []string {
	var out []string
	for len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		if nl := strings.LastIndexByte(text[:cut], '\n'); nl > max/2 {
			cut = nl + 1
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return append(out, text)
}
