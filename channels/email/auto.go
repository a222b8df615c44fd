package email

import (
	"regexp"
	"strings"
)

// Reasons a mail is automatic (Mail.AutoReason), strongest first: when a
// mail carries several markers, the strongest names it.
const (
	// ReasonBounce is a delivery status notification: multipart/report with
	// report-type=delivery-status, a MAILER-DAEMON or postmaster sender, or,
	// without any other marker, a null Return-Path.
	ReasonBounce = "bounce"
	// ReasonAutoSubmitted is an RFC 3834 Auto-Submitted field other than
	// "no" (Exchange out-of-office, Gmail vacation); without any other
	// marker also a vendor auto-reply field (X-Autoreply, X-Autorespond,
	// X-QQ-AUTO-REPLY, Precedence: auto_reply) or another multipart/report
	// (read receipts).
	ReasonAutoSubmitted = "auto-submitted"
	// ReasonList is mailing-list traffic: Precedence: list, or List-Id
	// without Precedence bulk/junk.
	ReasonList = "list"
	// ReasonBulk is a newsletter or other bulk mail: Precedence bulk or
	// junk; without any other marker also List-Unsubscribe alone.
	ReasonBulk = "bulk"
	// ReasonSubjectPattern is a mail that carries no standard header but
	// whose subject says it is automatic (自动回复:, Automatic reply:, Out of
	// Office:, Undeliverable:, 退信…).
	ReasonSubjectPattern = "subject-pattern"
)

// autoSubject matches the subject prefixes of automatic replies and
// non-standard bounces, in Chinese and English.
var autoSubject = regexp.MustCompile(`(?i)^\s*((自动回复|自動回覆|自動回復|自动答复|自动应答|休假自动回复|automatic reply|auto-?reply|auto reply|out of office|auto|undeliverable|退信|系统退信)\s*[:：]|undelivered mail returned to sender|delivery status notification|mail delivery failed|系统退信)`)

// autoReason says whether a mail is automatic and why ("" when a person
// wrote it). Only the message's own header counts, never the header of a
// message it returns or forwards. The python checker of the sample corpus
// (AUTO_REASONS) defines the first five rules; the fallbacks after them are
// markers it does not know, so they never outrank its reasons.
func autoReason(root *entity, from, subject string) string {
	h := root.header
	local, _, _ := strings.Cut(from, "@")
	deliveryReport := root.mediaType == "multipart/report" &&
		strings.EqualFold(strings.TrimSpace(root.params["report-type"]), "delivery-status")
	precedence := strings.ToLower(strings.TrimSpace(h.Get("Precedence")))
	autoSubmitted, _, _ := strings.Cut(h.Get("Auto-Submitted"), ";")
	autoSubmitted = strings.ToLower(strings.TrimSpace(autoSubmitted))

	switch {
	case deliveryReport || local == "mailer-daemon" || local == "postmaster":
		return ReasonBounce
	case autoSubmitted != "" && autoSubmitted != "no":
		return ReasonAutoSubmitted
	case precedence == "list" || h.Get("List-Id") != "" && precedence != "bulk" && precedence != "junk":
		return ReasonList
	case precedence == "bulk" || precedence == "junk":
		return ReasonBulk
	case autoSubject.MatchString(subject):
		return ReasonSubjectPattern
	}

	// Markers outside the corpus rules.
	returnPath := strings.ToLower(strings.TrimSpace(h.Get("Return-Path")))
	switch {
	case h.Has("X-Autoreply") || h.Has("X-Autorespond") || h.Has("X-Autoresponse") ||
		strings.EqualFold(strings.TrimSpace(h.Get("X-QQ-AUTO-REPLY")), "true") ||
		precedence == "auto_reply" || root.mediaType == "multipart/report":
		return ReasonAutoSubmitted
	case returnPath == "<>" || strings.HasPrefix(returnPath, "<mailer-daemon") || strings.HasPrefix(returnPath, "mailer-daemon"):
		return ReasonBounce
	case h.Has("List-Unsubscribe") || h.Has("List-Post") || h.Has("List-Help"):
		return ReasonBulk
	}
	return ""
}
