package rules_test

import (
	"context"
	"maps"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
)

// TestFields holds the field normalizations and distractors of LABELS.md §4.
func TestFields(t *testing.T) {
	ext := embedded(t)
	type f = map[string]string
	tests := []struct {
		name, text string
		want       f
	}{
		// order_id
		{"order digits with spaces", "订单号 2024 0511 8832 0917 还没发货", f{"order_id": "2024051188320917"}},
		{"order hash lower case", "order #so-20240327115 has not shipped", f{"order_id": "SO-20240327115"}},
		{"order hyphen inside digits", "订单编号：PO20240511-0032", f{"order_id": "PO20240511-0032"}},
		{"order full-width", "订单号：ＪＤ８８０１２３４５５６７", f{"order_id": "JD88012345567"}},
		{"order self-labelled PO", "Please check PO-2024051801 for me", f{"order_id": "PO-2024051801"}},
		{"order is", "my order number is 202405118832", f{"order_id": "202405118832"}},
		{"order too short", "订单号 12345678", f{}},
		{"order two hyphens", "订单 WO-20240511-0072", f{}},
		{"ticket is not an order", "工单号 T-000123 还没处理", f{}},
		{"after-sales number is not an order", "售后单号 SH2024050300218 进度如何", f{}},
		{"tracking is not an order", "快递单号 SF1402837720195，订单 SF1402837720195", f{"tracking_no": "SF1402837720195"}},
		{"first of several orders", "订单 202405110001 和订单 202405110002 都没到", f{"order_id": "202405110001"}},
		{"POS is not PO", "POS12345678 机器坏了", f{}},

		// phone
		{"phone +86 hyphens", "电话 +86 139-1024-7781", f{"phone": "13910247781"}},
		{"phone full-width spaces", "１５８ ２２１０ ０３４６ 联系我", f{"phone": "15822100346"}},
		{"phone 0086", "call 0086 13812345678 please", f{"phone": "13812345678"}},
		{"phone glued", "手机13367120954", f{"phone": "13367120954"}},
		{"landline", "座机 021-6488 1234", f{}},
		{"hotline", "热线 400-820-1234 打不通", f{}},
		{"masked phone", "下单手机是 136****2290", f{}},
		{"phone tail", "尾号5678的手机", f{}},
		{"first of two phones", "13900001111 或者 13900002222", f{"phone": "13900001111"}},
		{"phone inside a longer number", "订单 2024051113912345678", f{"order_id": "2024051113912345678"}},

		// email
		{"email lower-cased", "邮箱 Li_Hua88@126.com", f{"email": "li_hua88@126.com"}},
		{"support address skipped", "I wrote to support@shop.com, reply to me at a.b@gmail.com.", f{"email": "a.b@gmail.com"}},
		{"full-width at", "ｍｅ＠ｅｘａｍｐｌｅ.ｃｏｍ", f{"email": "me@example.com"}},

		// device_sn
		{"sn after 机身编号", "机身编号：ht20a-55821907", f{"device_sn": "HT20A-55821907"}},
		{"sn after SN码", "SN码：DL7A90021536，能寄修吗", f{"device_sn": "DL7A90021536"}},
		{"sn after serial number is", "serial number is kb7t-003918", f{"device_sn": "KB7T-003918"}},
		{"sn after S/N", "S/N: KB7T-003918", f{"device_sn": "KB7T-003918"}},
		{"sn 是", "序列号是RB20K0338172", f{"device_sn": "RB20K0338172"}},
		{"IMEI is not a serial", "IMEI 356789104412376 的手机坏了", f{}},
		{"asset tag is not a serial", "资产编号 IT-NB-20931 蓝屏", f{}},
		{"SN glued to a value is no label", "订单号 SN20240601998877", f{"order_id": "SN20240601998877"}},

		// tracking_no
		{"tracking carrier code", "顺丰 sf1402837720195 到哪了", f{"tracking_no": "SF1402837720195"}},
		{"tracking labelled", "运单号：5566 7788 9900 到哪了", f{"tracking_no": "556677889900"}},
		{"tracking letters", "物流单号 JT0012345678 没更新", f{"tracking_no": "JT0012345678"}},
		{"tracking YT", "YT1234567890123 还没动", f{"tracking_no": "YT1234567890123"}},
		{"tracking english", "tracking number 9400111899223344556677", f{"tracking_no": "9400111899223344556677"}},

		// amount
		{"yen thousands", "¥1,299 的那款", f{"amount": "1299.00"}},
		{"dollar one decimal", "it was $49.9", f{"amount": "49.90"}},
		{"wan yuan", "预算3.5万元", f{"amount": "35000.00"}},
		{"usd after", "paid 42.90 usd", f{"amount": "42.90"}},
		{"USD before", "USD 42.90 charged", f{"amount": "42.90"}},
		{"liang bai kuai", "两百块的那个", f{"amount": "200.00"}},
		{"yi qian er bai yuan", "一千二百元", f{"amount": "1200.00"}},
		{"er bai ba shi kuai", "二百八十块", f{"amount": "280.00"}},
		{"elision san qian wu", "三千五块", f{"amount": "3500.00"}},
		{"elision yi bai wu", "一百五元", f{"amount": "150.00"}},
		{"jiao digits", "29块9", f{"amount": "29.90"}},
		{"jiao chinese", "二十九块九", f{"amount": "29.90"}},
		{"approximate", "三千块左右", f{"amount": "3000.00"}},
		{"kuai qian", "45块钱", f{"amount": "45.00"}},
		{"full-width yen", "￥８８", f{"amount": "88.00"}},
		{"measure word", "配了两块电池", f{}},
		{"nearest charged cue", "The invoice shows $1,250 but we paid $1,150 after the discount.", f{"amount": "1150.00"}},
		{"lone yi kuai is a piece", "桌子烧黑了一块，你们赶快处理", f{}},
		{"yi kuai qian is money", "多收了我一块钱", f{"amount": "1.00"}},
		{"yi kuai wu is money", "每个贵了一块五", f{"amount": "1.50"}},
		{"vague hundreds", "几百块", f{}},
		{"vague more than", "一千多元", f{}},
		{"vague plus", "200多块", f{}},
		{"no marker", "1299的那款", f{}},
		{"no marker refund", "退我199", f{}},
		{"percentage", "打了8折，便宜20%", f{}},
		{"refund difference wins", "应付199元却扣了299元，退我多扣的100元", f{"amount": "100.00"}},
		{"charged wins", "标价129元，结算收了149元", f{"amount": "149.00"}},
		{"refund target english", "I paid ¥529 and now it's ¥459. Please refund the ¥70 difference.", f{"amount": "70.00"}},
		{"first when unclear", "买了一个99元的和一个199元的", f{"amount": "99.00"}},
		{"per unit is not jiao", "一百块一个", f{"amount": "100.00"}},

		// never fields
		{"sizes and models", "42码的鞋，iPhone 15，RTX 4090，错误码 E21", f{}},
		{"verification code", "验证码 482913 收不到", f{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ext.Extract(context.Background(), nlu.Request{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got.Fields, tc.want) {
				t.Errorf("Extract(%q).Fields = %v, want %v", tc.text, got.Fields, tc.want)
			}
		})
	}
}
