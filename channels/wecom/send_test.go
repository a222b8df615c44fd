package wecom

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	long := strings.Repeat("退款", 700) // 4,200 bytes
	parts := splitText(long, maxText)
	if len(parts) != 3 || strings.Join(parts, "") != long {
		t.Fatalf("split into %d parts, joined equal: %v", len(parts), strings.Join(parts, "") == long)
	}
	for _, p := range parts {
		if len(p) > maxText || !utf8.ValidString(p) {
			t.Errorf("part of %d bytes, valid UTF-8 %v", len(p), utf8.ValidString(p))
		}
	}
	lines := strings.Repeat("a", 1500) + "\n" + strings.Repeat("b", 1500)
	if parts := splitText(lines, maxText); parts[0] != strings.Repeat("a", 1500)+"\n" {
		t.Errorf("did not cut at the line break: first part %d bytes", len(parts[0]))
	}
	if parts := splitText("短", maxText); len(parts) != 1 || parts[0] != "短" {
		t.Errorf("short text split: %q", parts)
	}
}

func TestChunkIDs(t *testing.T) {
	ids := chunkIDs("msg-0000000042-k3v9t2qa", 3)
	want := []string{"msg-0000000042-k3v9t2qa", "msg-0000000042-k3v9t2qa_2", "msg-0000000042-k3v9t2qa_3"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Fatalf("chunkIDs = %v", ids)
	}
	for _, id := range ids {
		if outboxID(id) != "msg-0000000042-k3v9t2qa" {
			t.Errorf("outboxID(%q) = %q", id, outboxID(id))
		}
	}
	odd := chunkIDs("notify/li:page@T-000001 with spaces and far too long for wecom", 2)
	for _, id := range odd {
		if !msgIDPattern.MatchString(id) {
			t.Errorf("msgid %q breaks send_msg's rule", id)
		}
	}
}

func TestMemberLimiter(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	l := newMemberLimiter(func() time.Time { return now })
	for i := range memberPerMinute {
		if _, ok := l.take("li"); !ok {
			t.Fatalf("message %d refused", i+1)
		}
	}
	wait, ok := l.take("li")
	if ok || wait != time.Minute {
		t.Fatalf("31st message in a minute: ok=%v wait=%v, want refused for 1m", ok, wait)
	}
	if _, ok := l.take("wang"); !ok {
		t.Fatal("another member is limited too")
	}
	now = now.Add(time.Minute)
	if _, ok := l.take("li"); !ok {
		t.Fatal("still refused a minute later")
	}
}

func TestMediaFilename(t *testing.T) {
	cases := map[string]string{
		`attachment; filename="invoice.pdf"`:                  "invoice.pdf",
		`attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf`: "发票.pdf",
		`attachment; filename=photo.jpg`:                      "photo.jpg",
		``:                                                    "media",
	}
	for in, want := range cases {
		if got := mediaFilename(in); got != want {
			t.Errorf("mediaFilename(%q) = %q, want %q", in, got, want)
		}
	}
}
