package agentapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/agentapi"
	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// pngBytes is the start of a PNG file: enough for a type sniffer.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 120)...)

type part struct {
	field, filename, contentType string
	data                         []byte
}

// form builds a multipart/form-data request.
func form(t *testing.T, path string, parts ...part) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"; filename="`+p.filename+`"`)
		} else {
			h.Set("Content-Disposition", `form-data; name="`+p.field+`"`)
		}
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

func TestUploadAddsANote(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	req := form(t, "/api/v1/tickets/T-000001/attachments",
		part{"text", "", "", []byte("客户提供的破损照片")},
		part{"file", "破损照片.png", "image/png", pngBytes})
	rec := h.send(req, aliceToken)
	want(t, rec, http.StatusCreated, "")

	c := h.fake.callsTo("AddAttachment")
	if len(c) != 1 {
		t.Fatalf("calls %v", c)
	}
	att := c[0].Args[2].(channels.Attachment)
	if c[0].Args[0] != "T-000001" || c[0].Args[1] != "alice" || c[0].Args[3] != "客户提供的破损照片" ||
		att.Filename != "破损照片.png" || att.ContentType != "image/png" || att.Size != int64(len(pngBytes)) ||
		!bytes.Equal(att.Data, pngBytes) {
		t.Fatalf("call %q %q %+v %q", c[0].Args[0], c[0].Args[1], att.Filename, c[0].Args[3])
	}
	e := decode[ticketcore.Entry](t, rec)
	sum := sha256.Sum256(pngBytes)
	if e.Type != "note" || len(e.Attachments) != 1 || e.Attachments[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("entry %+v", e)
	}
}

func TestUploadOverTheLimitIs413(t *testing.T) {
	const limit = 4 << 10
	big := part{"file", "退货单.pdf", "application/pdf", bytes.Repeat([]byte("%PDF"), limit/4+1)}
	t.Run("declared length", func(t *testing.T) {
		h := newHarness(t, agentapi.Config{MaxBodyBytes: limit})
		want(t, h.send(form(t, "/api/v1/tickets/T-000001/attachments", big), aliceToken),
			http.StatusRequestEntityTooLarge, "body_too_large")
		noWrites(t, h.fake)
	})
	t.Run("streamed", func(t *testing.T) {
		h := newHarness(t, agentapi.Config{MaxBodyBytes: limit})
		req := form(t, "/api/v1/tickets/T-000001/attachments", big)
		req.ContentLength = -1
		req.Body = io.NopCloser(req.Body) // hide the length from every reader
		want(t, h.send(req, aliceToken), http.StatusRequestEntityTooLarge, "body_too_large")
		noWrites(t, h.fake)
	})
	t.Run("just under", func(t *testing.T) {
		h := newHarness(t, agentapi.Config{MaxBodyBytes: limit})
		small := big
		small.data = small.data[:limit-512]
		want(t, h.send(form(t, "/api/v1/tickets/T-000001/attachments", small), aliceToken), http.StatusCreated, "")
	})
}

func TestUploadRefusals(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	path := "/api/v1/tickets/T-000001/attachments"
	want(t, h.send(form(t, path, part{"text", "", "", []byte("没有文件")}), aliceToken),
		http.StatusBadRequest, "missing_file")
	want(t, h.send(form(t, path, part{"file", "空.txt", "text/plain", nil}), aliceToken),
		http.StatusBadRequest, "invalid_request")
	want(t, h.send(form(t, path, part{"file", "", "text/plain", []byte("x")}), aliceToken),
		http.StatusBadRequest, "invalid_request") // the file needs a name
	want(t, h.send(form(t, path, part{"file", "a.png", "image/png", pngBytes}, part{"file", "b.png", "image/png", pngBytes}),
		aliceToken), http.StatusBadRequest, "invalid_request")
	want(t, h.do("POST", path, aliceToken, `{"filename":"a.png"}`), http.StatusUnsupportedMediaType, "unsupported_media_type")
	bad := httptest.NewRequest("POST", path, strings.NewReader("--x\r\nnot a part"))
	bad.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	want(t, h.send(bad, aliceToken), http.StatusBadRequest, "invalid_request")
	noWrites(t, h.fake)

	h.fake.errs["AddAttachment"] = ticketcore.ErrInvalid // a type the limits refuse
	want(t, h.send(form(t, path, part{"file", "a.exe", "application/x-msdownload", []byte("MZ")}), aliceToken),
		http.StatusBadRequest, "invalid_request")
}

func TestDownloadHeaders(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	data := []byte("%PDF-1.7 退款凭证")
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	h.fake.blobs["T-000001/"+id] = blob{ticketcore.AttachmentRef{Filename: "退款凭证 11月.pdf",
		ContentType: "application/pdf", Size: int64(len(data)), SHA256: id}, data}

	rec := h.do("GET", "/api/v1/tickets/T-000001/attachments/"+id, vicToken, nil)
	want(t, rec, http.StatusOK, "")
	for k, v := range map[string]string{
		"Content-Type": "application/pdf",
		"Content-Disposition": `attachment; filename="____ 11_.pdf"; ` +
			`filename*=UTF-8''%E9%80%80%E6%AC%BE%E5%87%AD%E8%AF%81%2011%E6%9C%88.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         "21",
	} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if !bytes.Equal(rec.Body.Bytes(), data) {
		t.Errorf("body %q", rec.Body)
	}

	// Another ticket does not hold it: the content stays out of reach.
	want(t, h.do("GET", "/api/v1/tickets/T-000002/attachments/"+id, vicToken, nil), http.StatusNotFound, "not_found")
}

func TestDownloadOfAnUnsafeTypeIsADownload(t *testing.T) {
	h := newHarness(t, agentapi.Config{})
	id := strings.Repeat("0f", 32)
	h.fake.blobs["T-000001/"+id] = blob{ticketcore.AttachmentRef{Filename: `a"b\.html`, ContentType: "text/html\r\nX-Evil: 1"},
		[]byte("<script>alert(1)</script>")}
	rec := h.do("GET", "/api/v1/tickets/T-000001/attachments/"+id, vicToken, nil)
	want(t, rec, http.StatusOK, "")
	if got := rec.Header().Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type %q", got)
	}
	if got := rec.Header().Get("Content-Disposition"); got != `attachment; filename="a_b_.html"; filename*=UTF-8''a%22b%5C.html` {
		t.Errorf("Content-Disposition %q", got)
	}
	if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "sandbox") {
		t.Errorf("Content-Security-Policy %q", got)
	}
}
