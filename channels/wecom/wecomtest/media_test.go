package wecomtest_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func TestMediaGet(t *testing.T) {
	s := newDouble(t, newClock())
	tok := token(t, s, "kf-secret")
	for _, tc := range []struct{ filename, wantHeader string }{
		{"photo.jpg", `attachment; filename="photo.jpg"`},
		{"发票 2025.pdf", `attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8%202025.pdf`},
	} {
		id := s.AddMedia([]byte("bytes of "+tc.filename), "application/pdf", tc.filename)
		resp, err := http.Get(s.URL() + "/cgi-bin/media/get?access_token=" + url.QueryEscape(tok) + "&media_id=" + url.QueryEscape(id))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "bytes of "+tc.filename || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Errorf("got %q as %s", body, resp.Header.Get("Content-Type"))
		}
		cd := resp.Header.Get("Content-Disposition")
		if cd != tc.wantHeader {
			t.Errorf("Content-Disposition %s, want %s", cd, tc.wantHeader)
		}
		if _, params, err := mime.ParseMediaType(cd); err != nil || params["filename"] != tc.filename {
			t.Errorf("mime parses %q as %q, %v", cd, params["filename"], err)
		}
	}

	resp, err := http.Get(s.URL() + "/cgi-bin/media/get?access_token=" + url.QueryEscape(tok) + "&media_id=nope")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %s", ct)
	}
	wantErr(t, readAnswer(t, resp), wecomtest.ErrCodeInvalidMediaID)
}

func TestMediaUpload(t *testing.T) {
	s := newDouble(t, newClock())
	tok := token(t, s, "app-secret")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, err := mw.CreateFormFile("media", "reply.png")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write([]byte("\x89PNG\r\n\x1a\nrest"))
	_ = mw.Close()

	resp, err := http.Post(s.URL()+"/cgi-bin/media/upload?type=image&access_token="+url.QueryEscape(tok), mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	a := readAnswer(t, resp)
	wantErr(t, a, 0)
	m, ok := s.LookupMedia(a.MediaID)
	if !ok || m.Filename != "reply.png" || m.Type != "image" || !bytes.HasPrefix(m.Data, []byte("\x89PNG")) {
		t.Errorf("stored %+v", m)
	}

	resp, err = http.Post(s.URL()+"/cgi-bin/media/upload?type=gif&access_token="+url.QueryEscape(tok), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, readAnswer(t, resp), wecomtest.ErrCodeInvalidMediaType)
}
