package email

import "testing"

func TestNewText(t *testing.T) {
	const reply = "收到，谢谢。\n\n请再核实一下。"
	tests := []struct {
		name, text, want string
	}{
		{"qq mail zh", reply + "\n\n\n\n------------------&nbsp;原始邮件&nbsp;------------------\n发件人: \"Shop Support\"<support@shop.example.com&gt;;\n发送时间: 2026年11月24日(星期二) 上午10:02\n\n主题: Re: x", reply},
		{"qq mail zh plain spaces", reply + "\n------------------ 原始邮件 ------------------\n发件人: a", reply},
		{"qq foxmail en", reply + "\n\n------------------ Original ------------------\nFrom:  \"Shop\"<s@x>;\nDate:  Tue, Nov 24, 2026 10:02 AM\nTo:  \"me\"<m@x>;\nSubject:  Re: x", reply},
		{"outlook zh separator", reply + "\n\n-----邮件原件-----\n发件人: Shop Support\n发送时间: 2026年11月24日 10:02", reply},
		{"outlook zh header block", reply + "\n\n \n\n发件人: Shop Support <support@shop.example.com> \n发送时间: 2026年11月24日 10:02\n收件人: 刘芳 <l@x>\n主题: Re: x\n\n 刘女士您好：", reply},
		{"outlook en original message", "Hi,\nThanks.\n\n-----Original Message-----\nFrom: Shop Support <s@x> \nSent: Tuesday, November 24, 2026 2:02 AM", "Hi,\nThanks."},
		{"outlook en underscores and header block", "Hi,\nThanks.\n\n________________________________\nFrom: Shop Support <s@x>\nSent: Tuesday, November 24, 2026 2:02 AM\nTo: Mark <m@x>\nSubject: Re: x\n\nHello", "Hi,\nThanks."},
		{"outlook bold via gmail", "Hi\n\n*From:* Shop Support <s@x>\n*Sent:* Tuesday\n*To:* Mark\n*Subject:* Re: x", "Hi"},
		{"outlook french nbsp", "Bonjour\n\nDe\u00a0: Shop Support <s@x>\nEnvoyé\u00a0: mardi 24 novembre 2026 10:02\nÀ\u00a0: moi\nObjet\u00a0: Re: x", "Bonjour"},
		{"netease mail master", reply + "\n\n\n---- 回复的原邮件 ----\n| 发件人 | Shop Support<s@x> |\n| 日期 | 2026年11月24日 10:02 |", reply},
		{"netease 163 web zh", reply + "\n\n\n在 2026-11-24 10:02:37，\"Shop Support\" <support@shop.example.com> 写道：\n>王先生您好：", reply},
		{"netease 163 web en", reply + "\n\nAt 2026-11-24 10:02:37, \"Shop Support\" <support@shop.example.com> wrote:\n>王先生您好：", reply},
		{"netease 163 forward", reply + "\n\n-------- 转发邮件信息 --------\n发件人：\"Shop\" <s@x>", reply},
		{"thunderbird zh", reply + "\n\n在 2026/11/24 10:02, Shop Support 写道:\n> 黄先生您好：", reply},
		{"thunderbird forward", reply + "\n\n-------- Forwarded Message --------\nSubject: x", reply},
		{"gmail en", "Best,\nEmily\n\nOn Tue, 24 Nov 2026 at 10:02, Shop Support <support@shop.example.com> wrote:\n\n> Hello Emily,", "Best,\nEmily"},
		{"gmail wrapped attribution", "Best,\nEmily\n\nOn Tue, 24 Nov 2026 at 10:02, Shop Support <\nsupport@shop.example.com> wrote:\n\n> Hello Emily,", "Best,\nEmily"},
		{"line above a whole attribution stays", "On Monday I can come.\nOn Tue, 24 Nov 2026 at 10:02, Shop <s@x> wrote:\n> When?", "On Monday I can come."},
		{"gmail zh", reply + "\n\nShop Support <support@shop.example.com> 于2026年11月24日周二 10:02写道：\n\n> 您好", reply},
		{"gmail forward", reply + "\n\n---------- Forwarded message ---------\nFrom: Shop Orders <o@x>\nDate: Thu, 19 Nov 2026", reply},
		{"apple mail quoted attribution", reply + "\n\n> On 24 Nov 2026, at 10:02, Shop Support <s@x> wrote:\n> \n> 林女士您好：", reply},
		{"apple forward", reply + "\n\nBegin forwarded message:\n\nFrom: Shop <s@x>", reply},
		{"apple forward zh", reply + "\n\n开始转发的邮件：\n\n发件人: Shop <s@x>", reply},
		{"sent from my iphone", "Ok thanks.\n\nSent from my iPhone\n\n> On Nov 23, 2026, at 6:02\u202fPM, Shop Support <s@x> wrote:", "Ok thanks."},
		{"发自我的iPhone", reply + "\n\n发自我的iPhone\n\n------------------ 原始邮件 ------------------", reply},
		{"发自网易邮箱大师", reply + "\n\n发自网易邮箱大师", reply},
		{"windows mail zh", reply + "\n\n从 Windows 版邮件发送\n\n发件人: Shop Support\n发送时间: 2026年11月24日 10:02\n收件人: 我", reply},
		{"foxmail header block after signature", "好的，谢谢！\n\n \nzw@foxmail.com\n \nFrom: Shop Support\nDate: 2026-11-24 10:02\nTo: 张伟\nSubject: Re: x\n张先生您好：", "好的，谢谢！\n\n\nzw@foxmail.com"},
		{"alimail header block with ideographic space", reply + "\n------------------------------------------------------------------\n发件人：Shop Support <s@x>\n发送时间：2026年11月24日(星期二) 10:02\n收件人：我 <m@x>\n主\u3000题：Re: x", reply},
		{"get outlook for", "Thanks\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n________________________________\nFrom: Shop", "Thanks"},
		{"signature delimiter", "Thanks,\nJonas\n\n-- \nJonas Weber\nWeber IT\n\nOn 2026-11-24 03:02, Shop Support wrote:\n> Hello", "Thanks,\nJonas"},
		{"trailing quotes without attribution", "Yes please.\n\n> Do you want a refund?\n> Shop", "Yes please."},
		{"attribution without a date before quotes", "Yes please.\n\nShop Support wrote:\n> Do you want a refund?", "Yes please."},
		{"nested quotes", "Thanks,\nZoë\n\nOn Tue, 2026-11-24 at 11:48 +0800, Li Ming wrote:\n> Hi,\n> \n> On Tue, 2026-11-24 at 10:02 +0800, Shop Support wrote:\n> > Hello", "Thanks,\nZoë"},
		{"interleaved quotes stay", "> Which size?\nM8.\n> Colour?\nBlack.", "> Which size?\nM8.\n> Colour?\nBlack."},
		{"quote-like line inside own text stays", "Run this:\n$ curl x \\\n> -H y\n{\"error\":1}\n\nThanks", "Run this:\n$ curl x \\\n> -H y\n{\"error\":1}\n\nThanks"},
		{"bottom posting", "On Tue, 24 Nov 2026 at 10:02, Shop <s@x> wrote:\n> Which colour?\n\nBlack, please.\n\n-- \nAnna", "Black, please."},
		{"bare forward has no new text", "---------- Forwarded message ---------\nFrom: Shop <s@x>\nDate: Thu\nSubject: x\nTo: me\n\nOrder shipped.", ""},
		{"from-to inside own text is not a header block", "Shipping route:\nFrom: Beijing\nTo: Shanghai\n\nWhere is it?", "Shipping route:\nFrom: Beijing\nTo: Shanghai\n\nWhere is it?"},
		{"em dash rule in own text stays", "Offer\n\n——\nFooter line", "Offer\n\n——\nFooter line"},
		{"nothing to strip", "  \nhello  \n\n\n", "hello"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := newText(tt.text); got != tt.want {
				t.Errorf("newText =\n%q, want\n%q", got, tt.want)
			}
		})
	}
}
