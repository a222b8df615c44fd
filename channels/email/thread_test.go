package email

import "testing"

func TestThreadTicket(t *testing.T) {
	tests := []struct {
		name, header, body, domain, ticket, bounced string
	}{
		{"in-reply-to", "From: a@b.example\nIn-Reply-To: <t-000123.m-5@shop.example.com>\nSubject: Re: x\n", "x", sampleDomain, "T-000123", ""},
		{"references only, latest of ours", "From: a@b.example\nReferences: <t-000100.m-1@shop.example.com> <x@foxmail.com>\n <t-000245.m-4@shop.example.com> <y@foxmail.com>\nSubject: Re: x\n", "x", sampleDomain, "T-000245", ""},
		{"in-reply-to before references", "From: a@b.example\nIn-Reply-To: <t-000300.m-2@shop.example.com>\nReferences: <t-000300.m-2@shop.example.com> <t-000301.m-1@shop.example.com>\nSubject: x\n", "x", sampleDomain, "T-000300", ""},
		{"domain case-insensitive", "From: a@b.example\nIn-Reply-To: <T-000123.M-5@Shop.Example.COM>\nSubject: x\n", "x", sampleDomain, "T-000123", ""},
		{"foreign domain does not count", "From: a@b.example\nIn-Reply-To: <t-000123.m-5@evil.example>\nReferences: <t-000124.m-1@shop.example.com.evil.example>\nSubject: x\n", "x", sampleDomain, "", ""},
		{"foreign domain falls back to subject", "From: a@b.example\nIn-Reply-To: <t-000123.m-5@evil.example>\nSubject: Re: [#T-000777] x\n", "x", sampleDomain, "T-000777", ""},
		{"no domain: ids never count", "From: a@b.example\nIn-Reply-To: <t-000123.m-5@shop.example.com>\nSubject: x\n", "x", "", "", ""},
		{"subject token", "From: a@b.example\nSubject: =?UTF-8?B?UmU6IFsjVC0wMDA1MTddIOiAs+acug==?=\n", "x", sampleDomain, "T-000517", ""},
		{"seven-digit ticket", "From: a@b.example\nSubject: Re: [#T-1234567] x\n", "x", sampleDomain, "T-1234567", ""},
		{"malformed token", "From: a@b.example\nSubject: Re: [#T-12] x [T-000123]\n", "x", sampleDomain, "", ""},
		{"other id shapes of ours do not count", "From: a@b.example\nIn-Reply-To: <ack-000123@shop.example.com>\nSubject: x\n", "x", sampleDomain, "", ""},
		{"bounce: returned message/rfc822",
			"From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B\nContent-Type: message/rfc822\n\nFrom: support@shop.example.com\nMessage-ID: <t-000658.m-2@shop.example.com>\nSubject: Re: x\n\nbody\n--B--\n",
			sampleDomain, "T-000658", "t-000658.m-2@shop.example.com"},
		{"bounce: returned text/rfc822-headers",
			"From: postmaster@outlook.example\nSubject: Undeliverable: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/delivery-status\n\nAction: failed\n--B\nContent-Type: text/rfc822-headers\n\nFrom: support@shop.example.com\nMessage-Id: <t-000659.m-1@shop.example.com>\n--B--\n",
			sampleDomain, "T-000659", "t-000659.m-1@shop.example.com"},
		{"bounce of a foreign message",
			"From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nfailed\n--B\nContent-Type: message/rfc822\n\nMessage-ID: <spam@elsewhere.example>\n\nbody\n--B--\n",
			sampleDomain, "", ""},
		{"bounce naming our mail in references",
			"From: postmaster@outlook.example\nReferences: <t-000660.m-3@shop.example.com>\nSubject: Undeliverable: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nfailed\n--B--\n",
			sampleDomain, "T-000660", "t-000660.m-3@shop.example.com"},
		{"returned message outside a report does not thread",
			"From: a@b.example\nSubject: fwd\nContent-Type: multipart/mixed; boundary=B\n",
			"--B\nContent-Type: text/plain\n\nsee\n--B\nContent-Type: message/rfc822\n\nMessage-ID: <t-000661.m-1@shop.example.com>\n\nbody\n--B--\n",
			sampleDomain, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Read(rawMail(tt.header, tt.body), ReadOptions{Domain: tt.domain})
			if err != nil {
				t.Fatal(err)
			}
			if m.ThreadTicket != tt.ticket || m.Bounced != tt.bounced {
				t.Errorf("ThreadTicket, Bounced = %q, %q; want %q, %q", m.ThreadTicket, m.Bounced, tt.ticket, tt.bounced)
			}
		})
	}
}
