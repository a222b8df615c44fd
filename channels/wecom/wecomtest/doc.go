// Package wecomtest is a WeCom (企业微信) server double for tests: it plays
// Tencent's side of the 微信客服 (kf) API and of a self-built app, on a local
// HTTP server, and calls the system under test back the way WeCom does.
//
// It follows the documented wire format rather than any client library, so a
// channel that gets the format wrong fails against it:
//
//   - GET  /cgi-bin/gettoken: access tokens, one per corpsecret (doc 91039).
//   - POST /cgi-bin/kf/sync_msg: the kf message log, with opaque cursors,
//     has_more paging and the "has_more=1 with an empty msg_list" quirk
//     (doc 94670).
//   - POST /cgi-bin/kf/send_msg: replies to customers, with the msgid rules,
//     the 5-messages-in-48-hours window and the session-state rule (doc 96427).
//   - POST /cgi-bin/kf/send_msg_on_event: welcome messages answering an
//     enter_session welcome_code (doc 95122).
//   - POST /cgi-bin/media/upload and GET /cgi-bin/media/get: temporary media
//     (docs 90253, 90254).
//   - POST /cgi-bin/message/send: app messages to members, with the silent
//     30-per-minute and 1000-per-hour per-member drop (doc 90236).
//   - POST /cgi-bin/message/update_template_card: updating a clicked card
//     with its once-only response_code (doc 94888).
//   - Callbacks: XML encrypted and signed WXBizMsgCrypt-style, AES-256-CBC
//     with the receiveid set to the CorpID (doc 91144); the kf callback carries
//     only a kf_msg_or_event notice with a Token for sync_msg (doc 94670).
//
// Every API answer is HTTP 200 with {"errcode":N,"errmsg":"…"}, as WeCom
// answers; the errcodes the double uses are the ErrCode constants. Where the
// documentation leaves a detail open, the double's choice is stated on the
// method or constant that implements it.
//
// The double is safe for concurrent use. It imports only the standard
// library: it must not import the channel it tests (channels/wecom) nor any
// WeCom client library, so that it stays an independent reading of the
// protocol.
package wecomtest
