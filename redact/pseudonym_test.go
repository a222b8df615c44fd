package redact

import (
	"regexp"
	"strings"
	"testing"
)

func TestPseudonymize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"我电话 189 2773 0465，邮箱 Li_Hua88@126.com", "我电话 ⟦PHONE_1⟧，邮箱 ⟦EMAIL_1⟧"},
		{"+86 139-1024-7781 或 13800138000，再说一遍 13800138000", "⟦PHONE_1⟧ 或 ⟦PHONE_2⟧，再说一遍 ⟦PHONE_2⟧"},
		{"身份证 11010519491231002X", "身份证 ⟦IDCARD_1⟧"},
		{"银行卡号 6222 0212 3456 7890 128 扣了两次", "银行卡号 ⟦BANKCARD_1⟧ 扣了两次"},
		{"card 4111-1111-1111-1111 was charged", "card ⟦BANKCARD_1⟧ was charged"},
		{"退到 6212261111111117 这张", "退到 ⟦BANKCARD_1⟧ 这张"},
		// Order numbers look like cards but are the field the model must read.
		{"订单 2026112500012345 还没发货", "订单 2026112500012345 还没发货"},
		{"订单号 6212261111111117", "订单号 6212261111111117"},
		{"卡号 6222021234567890129", "卡号 6222021234567890129"}, // fails the check digit
		{"hotline 400-820-1234, masked 136****2290", "hotline 400-820-1234, masked 136****2290"},
		{"", ""},
	} {
		got, p := Pseudonymize(c.in)
		if got != c.want {
			t.Errorf("Pseudonymize(%q) = %q, want %q", c.in, got, c.want)
		}
		if back := p.Restore(got); back != c.in {
			t.Errorf("Restore(%q) = %q, want the original %q", got, back, c.in)
		}
	}
}

// Nothing that looks like a phone, email or ID number survives, and the
// mapping answers what each placeholder stood for.
func TestPseudonymsMapping(t *testing.T) {
	text := "王芳 13800138000 wf@example.com 11010519491231002X 13800138000"
	masked, p := Pseudonymize(text)
	if regexp.MustCompile(`\d{11}|@`).MatchString(masked) {
		t.Fatalf("personal data left in %q", masked)
	}
	want := []string{"⟦EMAIL_1⟧", "⟦IDCARD_1⟧", "⟦PHONE_1⟧"}
	if got := p.Placeholders(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("placeholders %v, want %v", got, want)
	}
	if o, ok := p.Original("⟦PHONE_1⟧"); !ok || o != "13800138000" {
		t.Errorf("Original(PHONE_1) = %q, %v", o, ok)
	}
	if _, ok := p.Original("⟦PHONE_9⟧"); ok {
		t.Error("an unknown placeholder has an original")
	}
	if got := p.Restore("phone ⟦PHONE_1⟧, other ⟦PHONE_9⟧"); got != "phone 13800138000, other ⟦PHONE_9⟧" {
		t.Errorf("Restore = %q", got)
	}
	if !IsPlaceholder("x⟦PHONE_9⟧") || IsPlaceholder("13800138000") {
		t.Error("IsPlaceholder")
	}
	var none *Pseudonyms
	if none.Restore("⟦PHONE_1⟧") != "⟦PHONE_1⟧" || none.Placeholders() != nil {
		t.Error("a nil Pseudonyms must restore nothing")
	}
}
