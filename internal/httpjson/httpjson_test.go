package httpjson

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type body struct {
		Text string `json:"text"`
	}
	for _, c := range []struct {
		name   string
		in     string
		strict bool
		status int
		code   string
	}{
		{"ok", `{"text":"hi"}`, false, 0, ""},
		{"unknown key tolerated", `{"text":"hi","x":1}`, false, 0, ""},
		{"unknown key strict", `{"text":"hi","x":1}`, true, 400, "invalid_json"},
		{"empty", ``, false, 400, "invalid_json"},
		{"malformed", `{"text":`, false, 400, "invalid_json"},
		{"wrong type", `{"text":5}`, false, 400, "invalid_json"},
		{"two values", `{"text":"a"}{"text":"b"}`, false, 400, "invalid_json"},
		{"too large", `{"text":"` + strings.Repeat("x", 100) + `"}`, false, 413, "body_too_large"},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.in))
		r.ContentLength = -1 // as a chunked upload: the limit must hold while reading
		var b body
		var e *Error
		if c.strict {
			e = DecodeStrict(httptest.NewRecorder(), r, 64, &b)
		} else {
			e = Decode(httptest.NewRecorder(), r, 64, &b)
		}
		switch {
		case c.status == 0 && e != nil:
			t.Errorf("%s: %v", c.name, e)
		case c.status != 0 && (e == nil || e.Status != c.status || e.Code != c.code):
			t.Errorf("%s: got %+v, want %d %s", c.name, e, c.status, c.code)
		}
	}
}

func TestDecodeRejectsDeclaredLength(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 10)))
	if e := Decode(httptest.NewRecorder(), r, 5, &struct{}{}); e == nil || e.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("got %+v", e)
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, Errorf(http.StatusConflict, "conflict", "a %s ticket cannot become %s", "new", "closed"))
	var got map[string]map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if w.Code != 409 || got["error"]["code"] != "conflict" || got["error"]["message"] != "a new ticket cannot become closed" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Errorf("%d %v %v", w.Code, got, w.Header())
	}
}
