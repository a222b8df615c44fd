package wecom

import "testing"

func TestParseCommand(t *testing.T) {
	cases := []struct {
		in   string
		want command
	}{
		{"T-000123 已为您办理退款", command{verb: verbReply, ticket: "T-000123", arg: "已为您办理退款"}},
		{"#123 refund is on its way", command{verb: verbReply, ticket: "T-000123", arg: "refund is on its way", en: true}},
		{"＃7：好的", command{verb: verbReply, ticket: "T-000007", arg: "好的"}},
		{"t-42 hi", command{verb: verbReply, ticket: "T-000042", arg: "hi", en: true}},
		{"备注 T-000123 客户很着急", command{verb: verbNote, ticket: "T-000123", arg: "客户很着急"}},
		{"备注T-000123客户很着急", command{verb: verbNote, ticket: "T-000123", arg: "客户很着急"}},
		{"note #5 call back tomorrow", command{verb: verbNote, ticket: "T-000005", arg: "call back tomorrow", en: true}},
		{"接单 T-000123", command{verb: verbClaim, ticket: "T-000123"}},
		{"Claim #9", command{verb: verbClaim, ticket: "T-000009", en: true}},
		{"转 T-000123 财务组", command{verb: verbTransfer, ticket: "T-000123", arg: "财务组"}},
		{"transfer #3 to finance", command{verb: verbTransfer, ticket: "T-000003", arg: "finance", en: true}},
		{"优先级 T-000123 紧急", command{verb: verbPriority, ticket: "T-000123", arg: "紧急"}},
		{"priority #1 urgent", command{verb: verbPriority, ticket: "T-000001", arg: "urgent", en: true}},
		{"指派 T-000123 王强", command{verb: verbAssign, ticket: "T-000123", arg: "王强"}},
		{"分配T-000123给王强", command{verb: verbAssign, ticket: "T-000123", arg: "王强"}},
		{"assign #123 to wang", command{verb: verbAssign, ticket: "T-000123", arg: "wang", en: true}},
		{"状态 T-000123 待客户", command{verb: verbStatus, ticket: "T-000123", arg: "待客户"}},
		{"status #2 pending", command{verb: verbStatus, ticket: "T-000002", arg: "pending", en: true}},
		{"合并 T-000123 到 T-000456", command{verb: verbMerge, ticket: "T-000123", arg: "T-000456"}},
		{"merge #123 into #456", command{verb: verbMerge, ticket: "T-000123", arg: "#456", en: true}},
		{"关闭 T-000123", command{verb: verbSolve, ticket: "T-000123"}},
		{"solve #1", command{verb: verbSolve, ticket: "T-000001", en: true}},
		{"查看 T-000001", command{verb: verbShow, ticket: "T-000001"}},
		{"show T-000001", command{verb: verbShow, ticket: "T-000001", en: true}},
		{"我的工单", command{verb: verbMine}},
		{"mine", command{verb: verbMine, en: true}},
		{"帮助", command{verb: verbHelp}},
		{"help", command{verb: verbHelp, en: true}},
		{"\u3000帮助\u3000", command{verb: verbHelp}},
		{"你好", command{verb: verbUnknown}},
		{"接单", command{verb: verbUnknown}},
		{"关闭 T-000123 现在", command{verb: verbUnknown}},
		{"T3 开会", command{verb: verbUnknown}},
		{"#1234567890 hi", command{verb: verbUnknown}},
		{"#0 hi", command{verb: verbUnknown}},
		{"T-000123", command{verb: verbReply, ticket: "T-000123", en: true}}, // empty: answered "the text is empty"
	}
	for _, c := range cases {
		if got := parseCommand(c.in); got != c.want {
			t.Errorf("parseCommand(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}
