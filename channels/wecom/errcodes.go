package wecom

import (
	"errors"
	"time"

	"github.com/loopdesk/loopdesk/channels"
)

// WeCom errcodes the channel acts on (global codes: docs path 90313).
const (
	codeBusy          = -1    // 系统繁忙: try again
	codeBadSecret     = 40001 // 不合法的secret参数 (also said of a bad token)
	codeBadToken      = 40014 // 不合法的access_token
	codeTokenExpired  = 42001 // access_token已过期
	codeBadParameter  = 40058 // 不合法的参数 (also: a template card's task_id used before)
	codeFreqLimit     = 45009 // 接口调用超过限制
	codeConcurrency   = 45033 // 接口并发调用超过限制
	codeKFCountLimit  = 95001 // send msg count limit: 5 messages since the customer's last one
	codeKFTimeLimit   = 95002 // send msg time limit: 48 hours since the customer's last message
	codeKFWindow      = 95016 // (unverified) a kf session state that refuses the send for now
	codeKFSessionBusy = 95018 // send msg session status invalid: the session is 人工接待 in the WeCom client
)

// badToken reports codes after which the token is dropped and the call
// made once more with a fresh one.
func badToken(code int) bool {
	return code == codeBadSecret || code == codeBadToken || code == codeTokenExpired
}

// classify turns an error of a send into what the dispatcher acts on:
// retry later, retry after a wait, or give up.
func classify(err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err // transport trouble or a 5xx: retried
	}
	switch ae.Code {
	case codeBusy, codeConcurrency:
		return err
	case codeFreqLimit:
		return channels.RetryAfter(err, time.Minute)
	}
	if badToken(ae.Code) {
		return err // a fresh token did not help at once; it may a bit later
	}
	return channels.Permanent(err)
}
