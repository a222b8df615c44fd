package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// errMediaGone: media the channel will never get (WeChat keeps media 3
// days; a file over MaxMedia is not taken).
var errMediaGone = errors.New("media not available")

// mediaGone is an errMediaGone with the reason the ticket's note gives.
type mediaGone struct {
	reason string
	err    error // WeCom's answer, if any
}

func (e *mediaGone) Error() string {
	if e.err != nil {
		return "media not available: " + e.reason + ": " + e.err.Error()
	}
	return "media not available: " + e.reason
}
func (e *mediaGone) Is(target error) bool { return target == errMediaGone }
func (e *mediaGone) Unwrap() error        { return e.err }

// codeBadMediaID: 不合法的media_id, which an expired one is.
const codeBadMediaID = 40007

// download fetches a customer's media (media/get, docs path 90254) as an
// attachment. Errors wrapping errMediaGone will not get better by trying
// again; others may.
func (c *Channel) download(ctx context.Context, mediaID string) (channels.Attachment, error) {
	const path = "/cgi-bin/media/get"
	var a channels.Attachment
	build := func(token string) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, c.kf.url(path, token, url.Values{"media_id": {mediaID}}), nil)
	}
	err := c.kf.do(ctx, path, build, func(resp *http.Response) (err error) {
		a, err = c.readMedia(resp, path)
		return err
	})
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == codeBadMediaID {
		err = &mediaGone{reason: "WeChat no longer has it (it keeps media 3 days)", err: err}
	}
	return a, err
}

// readMedia reads a media/get answer: the file, or a JSON error.
func (c *Channel) readMedia(resp *http.Response, path string) (channels.Attachment, error) {
	if resp.StatusCode != http.StatusOK {
		return channels.Attachment{}, fmt.Errorf("media not downloaded: HTTP %d", resp.StatusCode)
	}
	ctype, disposition := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition")
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxMedia+1))
	if err != nil {
		return channels.Attachment{}, fmt.Errorf("media not downloaded: %w", err)
	}
	if disposition == "" && isErrorAnswer(data) {
		if err := decodeAnswer(path, data, nil); err != nil {
			return channels.Attachment{}, err
		}
		return channels.Attachment{}, fmt.Errorf("media not downloaded: an answer without the file")
	}
	if int64(len(data)) > c.cfg.MaxMedia {
		return channels.Attachment{}, &mediaGone{reason: fmt.Sprintf("over %d MiB", c.cfg.MaxMedia>>20)}
	}
	return channels.Attachment{Filename: mediaFilename(disposition),
		ContentType: ctype, Size: int64(len(data)), Data: data}, nil
}

// isErrorAnswer tells WeCom's JSON error answer from a file (a customer's
// .txt or .json file comes with a Content-Disposition; an error without).
func isErrorAnswer(data []byte) bool {
	var st struct {
		ErrCode *int `json:"errcode"`
	}
	return json.Unmarshal(data, &st) == nil && st.ErrCode != nil
}

// mediaFilename reads the file name WeCom gives in Content-Disposition
// (filename="…", or RFC 5987 filename*=UTF-8”…, which mime decodes).
func mediaFilename(disposition string) string {
	if _, params, err := mime.ParseMediaType(disposition); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	if _, after, ok := strings.Cut(disposition, "filename="); ok {
		return strings.Trim(after, `"; `)
	}
	return "media"
}
