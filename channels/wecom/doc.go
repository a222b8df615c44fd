// Package wecom is the WeCom (企业微信) channel: 微信客服 (kf) for customers
// who write on WeChat, and the self-built app through which agents work
// tickets from the WeCom client.
//
// Customers: the kf callback (/hooks/wecom/kf) only says that something
// happened; the channel fetches the messages with kf/sync_msg and stores
// them together with the sync cursor (channels.BatchHandler), so a crash
// neither skips nor repeats one. Replies go out with kf/send_msg, the
// outbox id as msgid, inside WeChat's window of 5 messages within 48 hours
// of the customer's last message (send.go, window.go).
//
// Agents: the app callback (/hooks/wecom) carries their commands
// ("T-000123 回复内容", "接单 T-000123", …) and button clicks on the cards
// the Notifier sends them; commands act through channels.Desk.
//
// Crypto, token and message types come from github.com/silenceper/wechat/v2
// where it covers the ground. The HTTP calls are this package's own
// (client.go): the library's calls have WeCom's host built in (so no
// api_base), share a global client without a timeout, and lose WeCom's
// errcode on failures.
//
// It imports the channel and notifier contracts, never the ticket core.
package wecom
