package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
)

// priorityNames shows priorities in Chinese.
var priorityNames = map[string]string{"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"}

// runCommand carries out cmd for the member userID and returns the answer;
// a claim also closes the ticket's cards. Changes are made under key, the
// callback's: a retried callback acts once.
func (c *Channel) runCommand(ctx context.Context, userID string, cmd command, key string) reaction {
	if cmd.verb == verbHelp {
		return reaction{answer: helpText}
	}
	agent, refusal := c.agentFor(ctx, userID)
	if agent == "" {
		return reaction{answer: refusal}
	}
	switch cmd.verb {
	case verbUnknown:
		return reaction{answer: "没看懂这条命令。发送“帮助”查看命令。"}
	case verbMine:
		return reaction{answer: c.queue(ctx, agent, cmd.en)}
	case verbShow:
		return reaction{answer: c.show(ctx, cmd)}
	}
	t, err := c.change(ctx, cmd, channels.Act{Ticket: cmd.ticket, Agent: agent, Key: key, Via: NotifierName + ":" + userID})
	if err != nil {
		return reaction{answer: c.failed(cmd, err)}
	}
	re := reaction{answer: say(cmd.en, verbDone[cmd.verb], verbDoneEn[cmd.verb]) + "\n" + c.summary(t)}
	switch cmd.verb {
	case verbReply, verbNote:
		re.answer = say(cmd.en, verbDone[cmd.verb]+" "+cmd.ticket, verbDoneEn[cmd.verb]+" "+cmd.ticket)
	case verbClaim:
		re.ticket, re.cardLabel = t.ID, fmt.Sprintf("已由%s接单", t.Assignee)
	}
	return re
}

// change makes the change cmd asks for on the desk.
func (c *Channel) change(ctx context.Context, cmd command, act channels.Act) (channels.TicketSummary, error) {
	desk := c.deps.Desk
	switch cmd.verb {
	case verbReply, verbNote:
		if cmd.arg == "" {
			return channels.TicketSummary{}, refusal{"内容是空的。", "The text is empty."}
		}
		if cmd.verb == verbReply {
			return channels.TicketSummary{}, desk.Reply(ctx, act, cmd.arg)
		}
		return channels.TicketSummary{}, desk.Note(ctx, act, cmd.arg)
	case verbClaim:
		return desk.Claim(ctx, act)
	case verbTransfer:
		return desk.Transfer(ctx, act, cmd.arg)
	case verbPriority:
		p, ok := priorityWords[strings.ToLower(cmd.arg)]
		if !ok {
			return channels.TicketSummary{}, refusal{"优先级写紧急、高、普通或低。", "Priority is urgent, high, normal or low."}
		}
		return desk.SetPriority(ctx, act, p)
	case verbSolve:
		return desk.Solve(ctx, act)
	case verbAssign:
		if cmd.arg == "" {
			return channels.TicketSummary{}, refusal{"写上指派给谁：指派 T-000123 王强", "Say to whom: assign #123 wang"}
		}
		return desk.Assign(ctx, act, cmd.arg)
	case verbStatus:
		st, ok := statusWords[strings.ToLower(cmd.arg)]
		if !ok {
			return channels.TicketSummary{}, refusal{"状态写处理中、待客户、挂起或已解决。", "Status is open, pending, on_hold or solved."}
		}
		return desk.SetStatus(ctx, act, st)
	case verbMerge:
		into, ok := channels.TicketID(cmd.arg)
		if !ok {
			return channels.TicketSummary{}, refusal{"写上合并到哪个工单：合并 T-000123 到 T-000456", "Say into which ticket: merge #123 into #456"}
		}
		return desk.Merge(ctx, act, into)
	}
	return channels.TicketSummary{}, fmt.Errorf("no change for %q", cmd.verb)
}

// refusal is a command the channel turns down itself, said in both languages.
type refusal struct{ zh, en string }

func (r refusal) Error() string { return r.en }

var (
	verbDone = map[string]string{verbReply: "已回复", verbNote: "已备注", verbClaim: "已接单",
		verbTransfer: "已转组", verbPriority: "已改优先级", verbSolve: "已解决", verbAssign: "已指派",
		verbStatus: "已改状态", verbMerge: "已合并到"}
	verbDoneEn = map[string]string{verbReply: "Replied to", verbNote: "Noted on", verbClaim: "Claimed",
		verbTransfer: "Transferred", verbPriority: "Priority changed", verbSolve: "Solved", verbAssign: "Assigned",
		verbStatus: "Status changed", verbMerge: "Merged into"}
)

// failed explains an error of the desk to the agent.
func (c *Channel) failed(cmd command, err error) string {
	var r refusal
	if errors.As(err, &r) {
		return say(cmd.en, r.zh, r.en)
	}
	if errors.Is(err, channels.ErrNoTicket) {
		return say(cmd.en, "没有工单 "+cmd.ticket+"。", "There is no ticket "+cmd.ticket+".")
	}
	c.log.Info("an agent's command was refused", "verb", cmd.verb, "ticket", cmd.ticket, "err", err)
	return say(cmd.en, "没有成功：", "Not done: ") + err.Error()
}

// queue lists the agent's tickets.
func (c *Channel) queue(ctx context.Context, agent string, en bool) string {
	list, err := c.deps.Desk.Queue(ctx, agent)
	if err != nil {
		c.log.Error("list an agent's tickets", "err", err)
		return say(en, "暂时无法列出工单，请稍后再试。", "The list is not available; try again shortly.")
	}
	if len(list) == 0 {
		return say(en, "你没有待处理的工单。", "You have no open tickets.")
	}
	lines := []string{say(en, fmt.Sprintf("你的工单（%d）：", len(list)), fmt.Sprintf("Your tickets (%d):", len(list)))}
	for _, t := range list {
		lines = append(lines, oneLine(t))
	}
	return strings.Join(lines, "\n")
}

// show answers a ticket's summary, with a link when there is a console.
func (c *Channel) show(ctx context.Context, cmd command) string {
	t, err := c.deps.Desk.Ticket(ctx, cmd.ticket)
	if err != nil {
		return c.failed(cmd, err)
	}
	answer := c.summary(t)
	if c.cfg.ConsoleURL != "" {
		answer += "\n" + c.cfg.ConsoleURL + "/tickets/" + t.ID
	}
	return answer
}

// summary shows a ticket in a few lines.
func (c *Channel) summary(t channels.TicketSummary) string {
	lines := []string{oneLine(t)}
	if t.Requester != "" || t.Channel != "" {
		lines = append(lines, "客户："+strings.TrimSpace(t.Requester+" ("+t.Channel+")"))
	}
	who := t.Assignee
	if who == "" {
		who = "未分配"
	}
	lines = append(lines, "状态："+t.Status+" · 组："+t.Group+" · 处理人："+who)
	if !t.DueAt.IsZero() {
		lines = append(lines, "SLA 到期："+t.DueAt.In(c.cfg.Location).Format("01-02 15:04"))
	}
	return strings.Join(lines, "\n")
}

func oneLine(t channels.TicketSummary) string {
	p := priorityNames[t.Priority]
	if p == "" {
		p = t.Priority
	}
	return fmt.Sprintf("%s [%s] %s", t.ID, p, t.Subject)
}

func say(en bool, zh, english string) string {
	if en {
		return english
	}
	return zh
}
