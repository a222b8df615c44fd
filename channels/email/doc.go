// Package email is the email channel. This part of it reads mail: Read
// turns one raw RFC 5322 message into a Mail, the decoded sender and
// subject, the readable body and the part of it the sender newly wrote, the
// attachments, whether the mail is automatic (and so must never be
// answered), and the ticket it continues.
//
// Reading is written for the mail Chinese and international customers
// actually send: QQ Mail, Foxmail, NetEase 163/126 and Mail Master, Outlook
// (zh and en), Gmail, Apple Mail, Thunderbird. Encoded-words and bodies in
// GBK, GB2312, GB18030, Big5 and euc-cn decode through
// github.com/emersion/go-message/charset (euc-cn is registered once, on the
// first Read: registerCharsets); MIME structure comes from go-message's
// textproto reader; HTML becomes text with golang.org/x/net/html.
//
// Malformed mail is read as far as it goes (Mail.Defects says what was
// skipped); Read fails only when there is no header at all.
//
// It imports only the libraries above and the standard library; the
// channel built on it will import the channels contract, never another
// channel or the ticket core.
package email
