package wecom

import (
	"regexp"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// Verbs of agents' commands.
const (
	verbReply    = "reply"
	verbNote     = "note"
	verbClaim    = "claim"
	verbTransfer = "transfer"
	verbPriority = "priority"
	verbAssign   = "assign"
	verbStatus   = "status"
	verbMerge    = "merge"
	verbSolve    = "solve"
	verbShow     = "show"
	verbMine     = "mine"
	verbHelp     = "help"
	verbUnknown  = ""
)

// command is what an agent typed in the app, read.
type command struct {
	verb   string
	ticket string // T-000123
	arg    string // reply or note text, group, priority
	en     bool   // typed in English: answer in English
}

// ticketRef matches "T-000123", "t-123", "#123", "#T-000123": a ticket
// is named with its dash or a #, so that "T3 开会" is no reply to T-000003.
// The digits run to the first non-digit; more than 9 name no ticket.
const ticketRef = `(#?[Tt]-\d+|#\d+)`

// commandForms are the command shapes, Chinese and English, tried in order.
var commandForms = []struct {
	re   *regexp.Regexp
	verb string
	en   bool
}{
	{regexp.MustCompile(`^(?:备注)\s*` + ticketRef + `\s*(.*)$`), verbNote, false},
	{regexp.MustCompile(`^(?i:note)\s+` + ticketRef + `\s*(.*)$`), verbNote, true},
	{regexp.MustCompile(`^(?:接单|认领)\s*` + ticketRef + `\s*$`), verbClaim, false},
	{regexp.MustCompile(`^(?i:claim|take)\s+` + ticketRef + `\s*$`), verbClaim, true},
	{regexp.MustCompile(`^(?:转|转给|转交)\s*` + ticketRef + `\s*(.*)$`), verbTransfer, false},
	{regexp.MustCompile(`^(?i:transfer|move)\s+` + ticketRef + `\s*(?i:to\s+)?(.*)$`), verbTransfer, true},
	{regexp.MustCompile(`^(?:优先级)\s*` + ticketRef + `\s*(.*)$`), verbPriority, false},
	{regexp.MustCompile(`^(?i:priority|prio)\s+` + ticketRef + `\s*(.*)$`), verbPriority, true},
	{regexp.MustCompile(`^(?:指派|分配|派给)\s*` + ticketRef + `\s*(?:给\s*)?(.*)$`), verbAssign, false},
	{regexp.MustCompile(`^(?i:assign)\s+` + ticketRef + `\s*(?i:to\s+)?(.*)$`), verbAssign, true},
	{regexp.MustCompile(`^(?:状态)\s*` + ticketRef + `\s*(.*)$`), verbStatus, false},
	{regexp.MustCompile(`^(?i:status)\s+` + ticketRef + `\s*(.*)$`), verbStatus, true},
	{regexp.MustCompile(`^(?:合并)\s*` + ticketRef + `\s*(?:到|进|至|入)?\s*(.*)$`), verbMerge, false},
	{regexp.MustCompile(`^(?i:merge)\s+` + ticketRef + `\s*(?i:into\s+)?(.*)$`), verbMerge, true},
	{regexp.MustCompile(`^(?:关闭|解决|完成)\s*` + ticketRef + `\s*$`), verbSolve, false},
	{regexp.MustCompile(`^(?i:solve|close|done)\s+` + ticketRef + `\s*$`), verbSolve, true},
	{regexp.MustCompile(`^(?:查看|详情)\s*` + ticketRef + `\s*$`), verbShow, false},
	{regexp.MustCompile(`^(?i:show|view)\s+` + ticketRef + `\s*$`), verbShow, true},
	{regexp.MustCompile(`^` + ticketRef + `(?:[\s:：,，]+(.*))?$`), verbReply, false},
}

var (
	mineWords = map[string]bool{"我的工单": true, "我的": true, "mine": true, "my tickets": true, "queue": true}
	helpWords = map[string]bool{"帮助": true, "help": true, "?": true, "？": true, "命令": true}
	// statusWords maps what agents type to a status.
	statusWords = map[string]string{
		"处理中": "open", "打开": "open", "open": "open",
		"待客户": "pending", "等待客户": "pending", "待回复": "pending", "pending": "pending",
		"挂起": "on_hold", "等待第三方": "on_hold", "on_hold": "on_hold", "on-hold": "on_hold", "hold": "on_hold",
		"已解决": "solved", "解决": "solved", "solved": "solved",
	}
	// priorityWords maps what agents type to a priority.
	priorityWords = map[string]string{
		"紧急": "urgent", "urgent": "urgent", "高": "high", "high": "high",
		"普通": "normal", "正常": "normal", "中": "normal", "normal": "normal",
		"低": "low", "low": "low",
	}
)

// parseCommand reads an agent's message. Full-width spaces and ＃ count
// as their ASCII forms, as agents type on Chinese keyboards.
func parseCommand(text string) command {
	text = strings.TrimSpace(strings.NewReplacer("\u3000", " ", "＃", "#").Replace(text))
	lower := strings.ToLower(text)
	if mineWords[lower] {
		return command{verb: verbMine, en: isASCII(text)}
	}
	if helpWords[lower] {
		return command{verb: verbHelp, en: isASCII(text)}
	}
	for _, f := range commandForms {
		m := f.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		ticket, ok := channels.TicketID(m[1])
		if !ok {
			return command{verb: verbUnknown}
		}
		cmd := command{verb: f.verb, ticket: ticket, en: f.en}
		if len(m) > 2 {
			cmd.arg = strings.TrimSpace(m[2])
		}
		if f.verb == verbReply {
			cmd.en = isASCII(cmd.arg)
		}
		return cmd
	}
	return command{verb: verbUnknown}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// helpText lists the commands.
const helpText = `loopdesk 工单命令（中英文均可）：
T-000123 回复内容 ｜ #123 text — 回复客户
备注 T-000123 内容 ｜ note #123 text — 内部备注
接单 T-000123 ｜ claim #123 — 接单
转 T-000123 财务组 ｜ transfer #123 finance — 转组
优先级 T-000123 紧急 ｜ priority #123 urgent — 改优先级（紧急/高/普通/低）
指派 T-000123 王强 ｜ assign #123 wang — 指派给同事
状态 T-000123 待客户 ｜ status #123 pending — 改状态（处理中/待客户/挂起/已解决）
合并 T-000123 到 T-000456 ｜ merge #123 into #456 — 合并工单
关闭 T-000123 ｜ solve #123 — 解决
查看 T-000123 ｜ show #123 — 查看工单
我的工单 ｜ mine — 我的待办
帮助 ｜ help — 本说明`
