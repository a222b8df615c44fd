package wecomtest

// The errcodes the double answers with. Codes marked "documented" are in
// WeCom's global error table (doc 90313) or the kf error table; the others
// are the double's choice where the documentation names no code, and a
// channel should treat them as "rejected, do not retry as is".
const (
	// ErrCodeSystemBusy (-1, documented) is WeCom's "system busy, retry".
	// The double only answers it when told to by FailSends.
	ErrCodeSystemBusy = -1
	// ErrCodeInvalidSecret (40001, documented): gettoken with a corpsecret
	// that is neither Config.AppSecret nor Config.KFSecret.
	ErrCodeInvalidSecret = 40001
	// ErrCodeInvalidMediaType (40004, documented): media/upload with a type
	// other than image, voice, video or file.
	ErrCodeInvalidMediaType = 40004
	// ErrCodeInvalidMediaID (40007, documented): an unknown media_id.
	ErrCodeInvalidMediaID = 40007
	// ErrCodeInvalidMsgType (40008, documented): an unsupported msgtype.
	ErrCodeInvalidMsgType = 40008
	// ErrCodeInvalidCorpID (40013, documented): gettoken with the wrong corpid.
	ErrCodeInvalidCorpID = 40013
	// ErrCodeInvalidToken (40014, documented): an access_token the double
	// never issued, one revoked by RevokeTokens, or one issued for the other
	// secret (a kf call with the app token or the reverse).
	ErrCodeInvalidToken = 40014
	// ErrCodeInvalidUserList (40031, documented): message/send with no
	// touser, toparty or totag.
	ErrCodeInvalidUserList = 40031
	// ErrCodeInvalidAgentID (40056, documented): an agentid other than
	// Config.AgentID.
	ErrCodeInvalidAgentID = 40056
	// ErrCodeInvalidParameter (40058, documented as "invalid parameter"):
	// a malformed msgid or cursor, limit over 1000, a bad template card, and
	// — the double's choice — an unknown, expired or used welcome/msg code
	// on send_msg_on_event and response_code on update_template_card.
	ErrCodeInvalidParameter = 40058
	// ErrCodeInvalidExternalUser (40096, documented): send_msg with an empty
	// touser.
	ErrCodeInvalidExternalUser = 40096
	// ErrCodeMissingToken (41001, documented): no access_token parameter.
	ErrCodeMissingToken = 41001
	// ErrCodeMissingCorpID (41002, documented): gettoken without corpid.
	ErrCodeMissingCorpID = 41002
	// ErrCodeMissingSecret (41004, documented): gettoken without corpsecret.
	ErrCodeMissingSecret = 41004
	// ErrCodeTokenExpired (42001, documented): an access_token past its
	// expires_in, or expired by ExpireTokens.
	ErrCodeTokenExpired = 42001
	// ErrCodeEmptyContent (44004, documented): a text or markdown message
	// with empty content.
	ErrCodeEmptyContent = 44004
	// ErrCodeFreqLimit (45009, documented): API call frequency limit. Only
	// answered when told to by FailSends.
	ErrCodeFreqLimit = 45009
	// ErrCodeDataFormat (47001, documented): a body that is not valid JSON.
	ErrCodeDataFormat = 47001
	// ErrCodeInvalidOpenKfID (95000, documented): an empty open_kfid.
	ErrCodeInvalidOpenKfID = 95000
	// ErrCodeSendCountLimit (95001, documented "发送客服消息次数限制"):
	// send_msg after 5 messages since the customer's last message.
	ErrCodeSendCountLimit = 95001
	// ErrCodeSendTimeLimit (95002, documented "发送客服消息时间限制"):
	// send_msg more than 48 hours after the customer's last message, or to a
	// customer who never wrote on that kf account.
	ErrCodeSendTimeLimit = 95002
	// ErrCodeInvalidMsgToken (95007, "invalid msg token"): sync_msg with a
	// token the double did not put in a callback, or one older than 10
	// minutes.
	ErrCodeInvalidMsgToken = 95007
	// ErrCodeSessionStatus (95018, "send msg session status invalid"):
	// send_msg while the session is not in state 0 (new) or 1 (智能助手接待).
	ErrCodeSessionStatus = 95018
)
