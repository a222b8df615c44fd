package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"我电话 13800138000 谢谢", "我电话 138****8000 谢谢"},
		{"+86 139-1024-7781", "139****7781"},
		{"call 189 2773 0465 now", "call 189****0465 now"},
		{"mail Li_Hua88@126.com please", "mail L***@126.com please"},
		{"身份证 11010519491231002X", "身份证 110***********002X"},
		{"订单 2026112500012345 还没发货", "订单 2026112500012345 还没发货"}, // order ids are not personal
		{"hotline 400-820-1234", "hotline 400-820-1234"},
		{"13800138000,13900139000", "138****8000,139****9000"},
		{"电话13800138000或13900139000", "电话138****8000或139****9000"},
		{"11010519491231002X,11010519491231003X", "110***********002X,110***********003X"},
		{"", ""},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"wmAbCdEfGhIjKl", "wmA***jKl"},
		{"user-42", "u***2"},
		{"abc", "***"},
	} {
		if got := ID(c.in); got != c.want {
			t.Errorf("ID(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHandlerMasks(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil)))
	log.With("thread", "user-13800138000").Info("customer 13800138000 wrote",
		"text", "my mail is wf@example.com", "err", errors.New("send to 13900139000 failed"),
		slog.Group("req", "phone", "13700137000"), "count", 3,
		"fields", map[string]string{"phone": "13600136000"})
	out := buf.String()
	for _, leak := range []string{"13800138000", "wf@example.com", "13900139000", "13700137000", "13600136000"} {
		if strings.Contains(out, leak) {
			t.Errorf("log line leaks %q: %s", leak, out)
		}
	}
	for _, kept := range []string{`"count":3`, "w***@example.com", "139****9000"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log line lost %q: %s", kept, out)
		}
	}
}
