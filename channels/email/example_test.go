package email_test

import (
	"fmt"

	"github.com/loopdesk/loopdesk/channels/email"
)

// A customer's reply from Outlook: the ticket comes from our Message-ID in
// In-Reply-To, and only the new text is kept.
func ExampleRead() {
	raw := []byte("From: =?gb2312?B?wfW3vA==?= <LiuFang@hengda-tech.example>\r\n" +
		"To: support@shop.example.com\r\n" +
		"Subject: =?gb2312?B?u9i4tDogUmU6IFsjVC0wMDAzMThdIMbz0rWyybm6t6LGsb+qvt8=?=\r\n" +
		"In-Reply-To: <t-000318.m-3@shop.example.com>\r\n" +
		"Message-ID: <000601dd7be5$8a3f1b20$9ebd5160$@hengda-tech.example>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"\r\n" +
		"发票已收到，谢谢。\r\n" +
		"\r\n" +
		"发件人: Shop Support <support@shop.example.com>\r\n" +
		"发送时间: 2026年11月24日 10:02\r\n" +
		"收件人: 刘芳 <liufang@hengda-tech.example>\r\n" +
		"主题: Re: [#T-000318] 企业采购发票开具\r\n" +
		"\r\n" +
		"刘女士您好：……\r\n")
	m, err := email.Read(raw, email.ReadOptions{Domain: "shop.example.com", MaxAttachment: 20 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.From, m.FromName)
	fmt.Println(m.Subject)
	fmt.Println(m.ThreadTicket, m.Auto)
	fmt.Println(m.NewText)
	// Output:
	// liufang@hengda-tech.example 刘芳
	// 回复: Re: [#T-000318] 企业采购发票开具
	// T-000318 false
	// 发票已收到，谢谢。
}
