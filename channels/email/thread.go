package email

import (
	"regexp"
	"strings"
)

// ourIDLocal is the local part of the Message-IDs we send on a ticket:
// t-000123.m-ID, ID being the outbound message's (outbound.go).
var ourIDLocal = regexp.MustCompile(`(?i)^t-(\d{6,})\.m-[0-9a-z._-]+$`)

// subjectToken is the ticket token we put in subjects: [#T-000123].
var subjectToken = regexp.MustCompile(`(?i)\[#T-(\d{6,})\]`)

// ticketOfID returns the ticket of one of our Message-IDs (without angle
// brackets); ok is false for any id not on domain, and for every id when
// domain is empty.
func ticketOfID(id, domain string) (ticket string, ok bool) {
	at := strings.LastIndexByte(id, '@')
	if at < 0 || domain == "" || !strings.EqualFold(id[at+1:], domain) {
		return "", false
	}
	m := ourIDLocal.FindStringSubmatch(id[:at])
	if m == nil {
		return "", false
	}
	return "T-" + m[1], true
}

// threadTicket finds the ticket a mail continues: from our ids in
// In-Reply-To (the mail it answers), else the latest of ours in
// References, else the [#T-000123] token of the subject, else the ticket of
// the message a delivery report returns. "" means a new conversation.
func threadTicket(inReplyTo, references []string, subject, returned, domain string) string {
	for _, ids := range [][]string{inReplyTo, references} {
		for i := len(ids) - 1; i >= 0; i-- {
			if t, ok := ticketOfID(ids[i], domain); ok {
				return t
			}
		}
	}
	if m := subjectToken.FindStringSubmatch(subject); m != nil {
		return "T-" + m[1]
	}
	if t, ok := ticketOfID(returned, domain); ok {
		return t
	}
	return ""
}

// returnedMessageID is the Message-ID of the message a report returns, from
// its message/rfc822 part or its text/rfc822-headers part (and their RFC 6533
// message/global forms); "" when the mail is not a multipart/report or does
// not include the returned header.
func returnedMessageID(root *entity) string {
	if root.mediaType != "multipart/report" {
		return ""
	}
	var find func(*entity) string
	find = func(e *entity) string {
		for _, c := range e.children {
			if id := find(c); id != "" {
				return id
			}
		}
		switch e.mediaType {
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			head, _ := splitHeader(e.body)
			h, _, _ := readHeader(head)
			return first(parseMsgIDs(h.Get("Message-Id")))
		}
		return ""
	}
	return find(root)
}

// bouncedID is the id of our mail a bounce returns: the returned message's
// Message-ID when it is on our domain (any, when no domain is set), else the
// latest of our ids the report refers to in In-Reply-To or References
// (Exchange reports do that); "" when unknown.
func bouncedID(returned string, inReplyTo, references []string, domain string) string {
	if returned != "" && (domain == "" || onDomain(returned, domain)) {
		return returned
	}
	for _, ids := range [][]string{inReplyTo, references} {
		for i := len(ids) - 1; i >= 0; i-- {
			if onDomain(ids[i], domain) {
				return ids[i]
			}
		}
	}
	return ""
}

func onDomain(id, domain string) bool {
	at := strings.LastIndexByte(id, '@')
	return at >= 0 && domain != "" && strings.EqualFold(id[at+1:], domain)
}
