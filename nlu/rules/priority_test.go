package rules_test

import (
	"context"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
)

// TestPriority holds the rules of LABELS.md §3 and their order.
func TestPriority(t *testing.T) {
	ext := embedded(t)
	tests := []struct {
		text, want, reason string // reason: prefix of the first reason, "" for none
	}{
		{"我们门店收银系统全部崩溃，没法结账", nlu.PriorityUrgent, "U1"},
		{"整个三楼的网络都断了，二十多个人没法办公", nlu.PriorityUrgent, "U1"},
		{"Nobody in the whole office can log in, the system is down.", nlu.PriorityUrgent, "U1"},
		{"我的App打不开了，一直转圈", nlu.PriorityNormal, ""},
		{"充电宝鼓包了，要退货", nlu.PriorityUrgent, "U2"},
		{"The heater started smoking and smells like burning.", nlu.PriorityUrgent, "U2"},
		{"这个取暖器会不会漏电？", nlu.PriorityLow, "L2"},
		{"燃气灶打不着火了，请安排维修", nlu.PriorityNormal, ""},
		{"插座冒烟了，再不处理我就打12315", nlu.PriorityUrgent, "U2"},
		{"再不退款我就打12315", nlu.PriorityHigh, "H1"},
		{"I will take legal action if this isn't fixed.", nlu.PriorityHigh, "H1"},
		{"我要给你们差评，我要投诉你们，叫你们经理来", nlu.PriorityNormal, ""},
		{"工商银行的卡被扣了两次钱", nlu.PriorityNormal, ""},
		{"我是88VIP，快递到哪了", nlu.PriorityHigh, "H2"},
		{"我是你们的白金会员，耳机坏了", nlu.PriorityHigh, "H2"},
		{"付款半个月了还没发货", nlu.PriorityHigh, "H3"},
		{"I paid two weeks ago and it never arrived.", nlu.PriorityHigh, "H3"},
		{"付款三天了还没发货", nlu.PriorityNormal, ""},
		{"5月20日付款，到现在还没发货", nlu.PriorityNormal, ""},
		{"今晚八点前要登录后台交标书，账号被锁了", nlu.PriorityHigh, "H4"},
		{"Locked out of my account and payroll is due by 5pm today.", nlu.PriorityHigh, "H4"},
		{"急！！我的快递到哪了", nlu.PriorityNormal, ""},
		{"URGENT!!! where is my parcel", nlu.PriorityNormal, ""},
		{"这款有S码吗", nlu.PriorityLow, "L2"},
		{"Is the espresso machine compatible with Nespresso pods?", nlu.PriorityLow, "L2"},
		{"我买的扫地机器人怎么设置禁区？", nlu.PriorityNormal, "not L2"},
		{"建议App加个夜间模式。", nlu.PriorityLow, "L1"},
		{"thanks!", nlu.PriorityLow, "L1"},
	}
	for _, tc := range tests {
		got, err := ext.Extract(context.Background(), nlu.Request{Text: tc.text})
		if err != nil {
			t.Fatal(err)
		}
		if got.Priority != tc.want {
			t.Errorf("%q: priority %s (%v), want %s", tc.text, got.Priority, got.Reasons, tc.want)
			continue
		}
		switch {
		case tc.reason == "" && len(got.Reasons) > 0:
			t.Errorf("%q: reasons %v, want none", tc.text, got.Reasons)
		case tc.reason != "" && (len(got.Reasons) == 0 || !strings.HasPrefix(got.Reasons[0], tc.reason)):
			t.Errorf("%q: reasons %v, want first starting %q", tc.text, got.Reasons, tc.reason)
		}
	}
}
