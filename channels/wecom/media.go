package wecom

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// download fetches a customer's media (media/get, docs path 90254) as an
// attachment. Media ids live 3 days; one past that, or a file over
// MaxMedia, is an error and the message keeps the reference.
func (c *Channel) download(ctx context.Context, mediaID string) (channels.Attachment, error) {
	const path = "/cgi-bin/media/get"
	for try := 0; ; try++ {
		token, err := c.kf.tokens.Token(ctx)
		if err != nil {
			return channels.Attachment{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			c.kf.url(path, token, url.Values{"media_id": {mediaID}}), nil)
		if err != nil {
			return channels.Attachment{}, err
		}
		resp, err := c.kf.http.Do(req)
		if err != nil {
			return channels.Attachment{}, fmt.Errorf("media not downloaded: %w", redactURL(err))
		}
		a, err := c.readMedia(resp, path)
		if ae, ok := err.(*apiError); ok && badToken(ae.Code) && try == 0 {
			c.kf.tokens.Invalidate(ctx, token)
			continue
		}
		return a, err
	}
}

// readMedia reads a media/get answer: the file, or a JSON error.
func (c *Channel) readMedia(resp *http.Response, path string) (channels.Attachment, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return channels.Attachment{}, fmt.Errorf("media not downloaded: HTTP %d", resp.StatusCode)
	}
	ctype := resp.Header.Get("Content-Type")
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxMedia+1))
	if err != nil {
		return channels.Attachment{}, fmt.Errorf("media not downloaded: %w", err)
	}
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "application/json" || mt == "text/plain" {
		if err := decodeAnswer(path, data, nil); err != nil {
			return channels.Attachment{}, err
		}
		return channels.Attachment{}, fmt.Errorf("media not downloaded: an answer without the file")
	}
	if int64(len(data)) > c.cfg.MaxMedia {
		return channels.Attachment{}, fmt.Errorf("media over %d MiB not downloaded", c.cfg.MaxMedia>>20)
	}
	return channels.Attachment{Filename: mediaFilename(resp.Header.Get("Content-Disposition")),
		ContentType: ctype, Size: int64(len(data)), Data: data}, nil
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
