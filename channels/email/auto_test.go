package email

import "testing"

func TestAutoReason(t *testing.T) {
	const report = "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n"
	const reportBody = "--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B--\n"
	tests := []struct {
		name, header, body, want string
	}{
		{"person", "From: a@b.example\nSubject: 你好\n", "hi", ""},
		{"delivery report", "From: mail@b.example\nSubject: failed\n" + report, reportBody, ReasonBounce},
		{"mailer-daemon sender", "From: MAILER-DAEMON@b.example\nSubject: x\n", "x", ReasonBounce},
		{"postmaster sender", "From: postmaster@qq.com\nSubject: 系统退信\n", "x", ReasonBounce},
		{"auto-submitted auto-replied", "From: a@b.example\nAuto-Submitted: auto-replied\nSubject: x\n", "x", ReasonAutoSubmitted},
		{"auto-submitted with comment", "From: a@b.example\nAuto-Submitted: auto-generated (vacation)\nSubject: x\n", "x", ReasonAutoSubmitted},
		{"auto-submitted no", "From: a@b.example\nAuto-Submitted: no\nSubject: x\n", "x", ""},
		{"precedence list", "From: a@b.example\nPrecedence: list\nSubject: x\n", "x", ReasonList},
		{"list-id", "From: a@b.example\nList-Id: <team.lists.example>\nSubject: x\n", "x", ReasonList},
		{"precedence bulk", "From: a@b.example\nPrecedence: bulk\nList-Unsubscribe: <mailto:u@b.example>\nSubject: x\n", "x", ReasonBulk},
		{"precedence junk", "From: a@b.example\nPrecedence: junk\nSubject: x\n", "x", ReasonBulk},
		{"bulk beats list-id", "From: a@b.example\nPrecedence: bulk\nList-Id: <n.example>\nSubject: x\n", "x", ReasonBulk},
		{"qq vacation reply", "From: a@qq.com\nX-QQ-AUTO-REPLY: true\nSubject: 自动回复: Re: [#T-000901] 床垫\n", "x", ReasonSubjectPattern},
		{"subject 自動回覆", "From: a@b.example\nSubject: 自動回覆：你好\n", "x", ReasonSubjectPattern},
		{"subject automatic reply", "From: a@b.example\nSubject: Automatic reply: Re: x\n", "x", ReasonSubjectPattern},
		{"subject out of office", "From: a@b.example\nSubject: Out of Office: x\n", "x", ReasonSubjectPattern},
		{"subject auto-reply", "From: a@b.example\nSubject: Auto-Reply: x\n", "x", ReasonSubjectPattern},
		{"subject undeliverable", "From: a@b.example\nSubject: Undeliverable: Re: x\n", "x", ReasonSubjectPattern},
		{"subject mentioning auto-reply later is a person", "From: a@b.example\nSubject: Re: your auto-reply: wrong address\n", "x", ""},
		{"strongest wins", "From: MAILER-DAEMON@b.example\nAuto-Submitted: auto-replied\nPrecedence: bulk\nSubject: 自动回复: x\n", "x", ReasonBounce},
		{"auto-submitted beats subject", "From: a@b.example\nAuto-Submitted: auto-replied\nSubject: Automatic reply: x\n", "x", ReasonAutoSubmitted},
		{"x-autoreply alone", "From: a@b.example\nX-Autoreply: yes\nSubject: x\n", "x", ReasonAutoSubmitted},
		{"x-autorespond alone", "From: a@b.example\nX-Autorespond: 1\nSubject: x\n", "x", ReasonAutoSubmitted},
		{"x-qq-auto-reply alone", "From: a@qq.com\nX-QQ-AUTO-REPLY: true\nSubject: x\n", "x", ReasonAutoSubmitted},
		{"read receipt report", "From: a@b.example\nSubject: Read: x\nContent-Type: multipart/report; report-type=disposition-notification; boundary=B\n", "--B\nContent-Type: text/plain\n\nread\n--B--\n", ReasonAutoSubmitted},
		{"null return-path", "Return-Path: <>\nFrom: a@b.example\nSubject: x\n", "x", ReasonBounce},
		{"list-unsubscribe alone", "From: a@b.example\nList-Unsubscribe: <https://u.example>\nSubject: x\n", "x", ReasonBulk},
		{"returned message header does not count", "From: a@b.example\nSubject: fwd\nContent-Type: multipart/mixed; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nsee below\n--B\nContent-Type: message/rfc822\n\nFrom: x@y.example\nAuto-Submitted: auto-replied\nPrecedence: bulk\n\nbody\n--B--\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(rawMail(tt.header, tt.body), ReadOptions{Domain: sampleDomain})
			if err != nil {
				t.Fatal(err)
			}
			if m.AutoReason != tt.want || m.Auto != (tt.want != "") {
				t.Errorf("Auto, AutoReason = %v, %q; want %q", m.Auto, m.AutoReason, tt.want)
			}
		})
	}
}
