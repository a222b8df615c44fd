package ticketcore

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
)

// Slot filling. A ticket type may list fields the bot asks the customer
// for before the ticket opens (ask_fields: a refund needs its order
// number). When a new conversation's first message lacks one, the bot
// asks on the customer's channel and reads what they send next; the
// ticket opens once the fields are there, when the customer asks for a
// person (人工, 转人工), after max_asks questions, or when the customer
// has not answered within the timeout, marking what is still missing.
// The messages, the reading so far and the timeout's timer are stored
// in the transaction that files each message, so a crash loses nothing.

// AskingConfig tunes slot filling (the desk's asking section).
type AskingConfig struct {
	// Timeout is how long the bot waits for an answer before the ticket
	// opens without it. Defaults to 10 minutes.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAsks is how many times the bot asks before the ticket opens
	// anyway. Defaults to 2.
	MaxAsks int `yaml:"max_asks"`
	// Grace is how long the customer may pause before the bot asks: one
	// who sends "我要退款" and then "订单号 …" is not asked for what they
	// were typing. Defaults to 3s; negative asks at once.
	Grace time.Duration `yaml:"grace"`
	// HandoffWords: a message containing one asks for a person, and the
	// ticket opens at once. Defaults to DefaultHandoffWords.
	HandoffWords []string `yaml:"handoff_words"`
}

// DefaultHandoffWords are how customers ask for a person.
var DefaultHandoffWords = []string{"人工", "真人", "客服人员", "human", "agent", "real person"}

func (c *AskingConfig) applyDefaults() {
	setDefault(&c.Timeout, 10*time.Minute)
	setDefault(&c.MaxAsks, 2)
	if c.Grace == 0 {
		c.Grace = 3 * time.Second
	}
	if len(c.HandoffWords) == 0 {
		c.HandoffWords = DefaultHandoffWords
	}
}

const (
	metaAsking  = "asking/" // + askingKey → asking, while the bot waits
	timerAsk    = "ask"     // timer kind
	timerAskID  = "ask:"    // + askingKey
	TemplateAsk = "ask"     // the question for missing fields
	eventAsked  = "asked"   // a timeline event: what the bot asked before the ticket opened
)

// asking is a conversation the bot waits on: the customer's messages so
// far (the first one opens the ticket), what was read from them, and the
// fields still missing.
type asking struct {
	// Turns are the customer's messages (the first one opens the ticket)
	// and the bot's questions, in the order they came.
	Turns   []askTurn      `json:"turns"`
	Reading nlu.Extraction `json:"reading"`
	Missing []string       `json:"missing"`
	// Due is when the bot asks (while Pending) or stops waiting: a timer
	// claimed before the customer's last message moved it finds it later
	// than now.
	Due time.Time `json:"due"`
	// Pending: the question waits for the customer to pause (Grace): who
	// splits "我要退款" and "订单号 …" into two messages is not asked for
	// what they are typing.
	Pending bool `json:"pending,omitempty"`
	// Where questions go: the conversation and the customer, with the
	// channel's metadata of their latest message.
	Channel string            `json:"channel"`
	Thread  string            `json:"thread"`
	To      channels.Party    `json:"to"`
	Meta    map[string]string `json:"meta,omitempty"`
}

// askTurn is a customer's message (its id) or the bot's question.
type askTurn struct {
	Message  string `json:"m,omitempty"`
	Question string `json:"q,omitempty"`
}

// asks is how many questions the bot sent.
func (a asking) asks() int {
	n := 0
	for _, t := range a.Turns {
		if t.Question != "" {
			n++
		}
	}
	return n
}

// askingKey names a conversation's asking: hashed, since a channel's
// thread may be as long as a store key may be.
func askingKey(channel, thread string) string {
	sum := sha256.Sum256([]byte(channel + "\x00" + thread))
	return hex.EncodeToString(sum[:16])
}

// askTx files m, read as ex, on a conversation without a ticket when slot
// filling takes it: the bot asks, or m answers an earlier question. It
// reports whether m was filed so; false leaves m to open a ticket now.
func (s *Service) askTx(tx Tx, m *Message, ex nlu.Extraction, f *filing) (bool, error) {
	now := s.cfg.Now()
	key := askingKey(m.Channel, m.Thread)
	var a asking
	waiting, err := getJSONMeta(tx, metaAsking+key, &a)
	if err != nil {
		return false, err
	}
	person := s.wantsPerson(m.Text)
	if !waiting {
		need := s.fieldsToAsk(tx, *m, ex, now)
		if len(need) == 0 || person {
			return false, nil
		}
		a = asking{Turns: []askTurn{{Message: m.ID}}, Reading: ex, Missing: need,
			Channel: m.Channel, Thread: m.Thread, To: m.From, Meta: m.Meta}
		return true, s.askSoon(tx, key, &a, now)
	}
	a.Turns, a.To, a.Meta = append(a.Turns, askTurn{Message: m.ID}), m.From, m.Meta
	a.Reading = answered(a.Reading, ex)
	a.Missing = slices.DeleteFunc(a.Missing, func(k string) bool { return a.Reading.Fields[k] != "" })
	switch {
	case len(a.Missing) == 0:
		return true, s.openAsked(tx, key, a, "", m, f)
	case person:
		return true, s.openAsked(tx, key, a, "the customer asked for a person", m, f)
	case a.asks() >= s.desk.cfg.Asking.MaxAsks:
		return true, s.openAsked(tx, key, a, fmt.Sprintf("asked %d times", a.asks()), m, f)
	case a.Pending: // still typing: the question waits for the pause
		return true, s.askSoon(tx, key, &a, now)
	}
	return true, s.askAgain(tx, key, &a, now)
}

// askSoon keeps a with its question pending until the customer has paused
// for the grace period (none: it asks now).
func (s *Service) askSoon(tx Tx, key string, a *asking, now time.Time) error {
	grace := s.desk.cfg.Asking.Grace
	if grace <= 0 {
		return s.askAgain(tx, key, a, now)
	}
	a.Pending, a.Due = true, now.Add(grace)
	return s.keepAsking(tx, key, *a)
}

// keepAsking stores a and sets its timer to a.Due.
func (s *Service) keepAsking(tx Tx, key string, a asking) error {
	if err := putJSONMeta(tx, metaAsking+key, a); err != nil {
		return err
	}
	return tx.ScheduleTimer(Timer{ID: timerAskID + key, Kind: timerAsk, Due: a.Due,
		Data: map[string]string{"channel": a.Channel, "thread": a.Thread}})
}

// fieldsToAsk lists the fields the ticket type m would open lists in
// ask_fields and ex lacks.
func (s *Service) fieldsToAsk(tx ReadTx, m Message, ex nlu.Extraction, now time.Time) []string {
	t := Ticket{Intent: ex.Intent, Priority: ex.Priority, Fields: ex.Fields, Channel: m.Channel, Requester: m.From}
	c, err := contactOf(tx, m)
	if err != nil {
		s.log.Warn("read the contact of a message; its conditions see none", "err", err)
	}
	tt, ok := s.desk.ticketType("", s.env(t, c, m.Text, now))
	if !ok {
		return nil
	}
	var need []string
	for _, k := range tt.Ask {
		if ex.Fields[k] == "" {
			need = append(need, k)
		}
	}
	return need
}

// wantsPerson reports whether text asks for a person.
func (s *Service) wantsPerson(text string) bool {
	lower := strings.ToLower(text)
	return slices.ContainsFunc(s.desk.cfg.Asking.HandoffWords, func(w string) bool {
		return w != "" && strings.Contains(lower, strings.ToLower(w))
	})
}

// answered adds what an answer says to the reading so far: fields not yet
// known, and a higher priority (a customer who grew impatient). The
// intent stays the first message's: "订单号 2026…" says no intent.
func answered(so nlu.Extraction, ex nlu.Extraction) nlu.Extraction {
	so.Fields = maps.Clone(so.Fields)
	if so.Fields == nil {
		so.Fields = map[string]string{}
	}
	so.FieldSources = maps.Clone(so.FieldSources)
	for k, v := range ex.Fields {
		if so.Fields[k] != "" || v == "" {
			continue
		}
		so.Fields[k] = v
		if src, ok := ex.FieldSources[k]; ok {
			if so.FieldSources == nil {
				so.FieldSources = map[string]nlu.FieldSource{}
			}
			so.FieldSources[k] = src
		}
	}
	if nlu.PriorityRank(ex.Priority) < nlu.PriorityRank(so.Priority) {
		so.Priority = ex.Priority
		so.Reasons = append(so.Reasons, ex.Reasons...)
	}
	return so
}

// askAgain asks the customer for the missing fields on a's conversation,
// keeps a and sets the timeout.
func (s *Service) askAgain(tx Tx, key string, a *asking, now time.Time) error {
	text, err := s.cfg.Templates.Render(TemplateAsk, a.Reading.Lang, TemplateData{Name: a.To.Name,
		Intent: a.Reading.Intent, Priority: a.Reading.Priority, Missing: fieldLabels(a.Missing, a.Reading.Lang)})
	if err != nil {
		return err
	}
	out := Message{Channel: a.Channel, Thread: a.Thread, Direction: channels.Out, To: a.To, Text: text,
		Meta: a.Meta, At: now, Kind: KindAsk, Delivery: channels.DeliveryPending}
	if err := tx.AddMessage(&out); err != nil {
		return err
	}
	if err := tx.EnqueueOutbox(OutboxItem{MessageID: out.ID, Due: now}); err != nil {
		return err
	}
	a.Turns = append(a.Turns, askTurn{Question: text})
	a.Pending, a.Due = false, now.Add(s.desk.cfg.Asking.Timeout)
	return s.keepAsking(tx, key, *a)
}

// fireAsk opens the ticket of a conversation whose customer did not
// answer in time. A timer claimed before an answer moved the wait on
// finds the wait not over: it is set again.
func (s *Service) fireAsk(tx Tx, tm Timer, now time.Time, f *filing) error {
	key := askingKey(tm.Data["channel"], tm.Data["thread"])
	var a asking
	if waiting, err := getJSONMeta(tx, metaAsking+key, &a); err != nil || !waiting {
		return err
	}
	if now.Before(a.Due) {
		tm.Due = a.Due
		return tx.ScheduleTimer(tm)
	}
	if a.Pending { // the customer paused: now the question
		return s.askAgain(tx, key, &a, now)
	}
	return s.openAsked(tx, key, a, "no answer within "+s.desk.cfg.Asking.Timeout.String(), nil, f)
}

// askFailedTx opens the ticket of the conversation a question was on when
// the question cannot be delivered: the customer will not answer what
// they never got, and a person should see them now.
func (s *Service) askFailedTx(tx Tx, question Message, reason string) error {
	key := askingKey(question.Channel, question.Thread)
	var a asking
	if waiting, err := getJSONMeta(tx, metaAsking+key, &a); err != nil || !waiting {
		return err
	}
	return s.openAsked(tx, key, a, "the question could not be delivered: "+reason, nil, &filing{})
}

// endAskingTx files the messages a conversation's asking holds onto the
// thread's active ticket, when the thread has one after all (an agent
// reopened the conversation's earlier ticket while the bot waited).
func (s *Service) endAskingTx(tx Tx, ticketID, channel, thread string) error {
	key := askingKey(channel, thread)
	var a asking
	if waiting, err := getJSONMeta(tx, metaAsking+key, &a); err != nil || !waiting {
		return err
	}
	turns, err := resolveTurns(tx, a, nil)
	if err != nil {
		return err
	}
	if err := forgetAsking(tx, key); err != nil {
		return err
	}
	return s.appendTurns(tx, ticketID, turns)
}

// appendTurns adds the customer's messages of turns to a ticket.
func (s *Service) appendTurns(tx Tx, ticketID string, turns []openTurn) error {
	for _, t := range turns {
		if t.msg == nil {
			continue
		}
		if err := s.appendMessage(tx, ticketID, t.msg); err != nil {
			return err
		}
	}
	return nil
}

// openAsked opens the ticket of a conversation the bot asked on, from
// its first message, with the later ones (current, when given, is the
// message being filed) and what the bot asked; why says why it opens with
// fields still missing.
func (s *Service) openAsked(tx Tx, key string, a asking, why string, current *Message, f *filing) error {
	turns, err := resolveTurns(tx, a, current)
	if err != nil {
		return err
	}
	if err := forgetAsking(tx, key); err != nil {
		return err
	}
	active, err := tx.ActiveTicket(a.Channel, a.Thread)
	if err != nil {
		return err
	}
	if active != "" { // the thread got a ticket meanwhile: the messages join it
		return s.appendTurns(tx, active, turns)
	}
	first := turns[0].msg
	sq, err := s.sequelOf(tx, *first, s.cfg.Now())
	if err != nil {
		return err
	}
	sq.reopen = false // the conversation was the bot's since: a new ticket
	return s.openTicket(tx, first, a.Reading, sq, f, opening{turns: turns[1:], missing: a.Missing, why: why})
}

// openTurn is a turn with its message read: the customer's (msg) or the
// bot's question.
type openTurn struct {
	msg      *Message
	question string
}

// resolveTurns reads the messages of a's turns; current, when given,
// stands for the one being filed. The first turn is the first message.
func resolveTurns(tx ReadTx, a asking, current *Message) ([]openTurn, error) {
	out := make([]openTurn, 0, len(a.Turns))
	for _, t := range a.Turns {
		switch {
		case t.Question != "":
			out = append(out, openTurn{question: t.Question})
		case current != nil && t.Message == current.ID:
			out = append(out, openTurn{msg: current})
		default:
			m, err := tx.Message(t.Message)
			if err != nil {
				return nil, fmt.Errorf("a message of the conversation the bot asked on: %w", err)
			}
			out = append(out, openTurn{msg: &m})
		}
	}
	return out, nil
}

func forgetAsking(tx Tx, key string) error {
	if err := tx.DeleteMeta(metaAsking + key); err != nil {
		return err
	}
	return tx.DeleteTimer(timerAskID + key)
}

// contactOf is the contact m's sender is, or none yet (the ticket makes
// one when it opens).
func contactOf(tx ReadTx, m Message) (Contact, error) {
	id := Identity{Channel: m.Channel, ID: m.From.ID}
	if id.ID == "" {
		id.ID = m.Thread
	}
	c, err := tx.FindContact(ContactKey{Identity: id})
	if errors.Is(err, ErrNotFound) {
		return Contact{}, nil
	}
	return c, err
}

// askLabels are the fields' names in a question, Chinese and English.
var askLabels = map[string][2]string{
	nlu.FieldOrderID: {"订单号", "order number"}, nlu.FieldPhone: {"手机号", "phone number"},
	nlu.FieldEmail: {"邮箱", "email address"}, nlu.FieldDeviceSN: {"设备序列号", "device serial number"},
	nlu.FieldTrackingNo: {"快递单号", "tracking number"}, nlu.FieldAmount: {"金额", "amount"},
}

// fieldLabels names fields as a question to the customer does.
func fieldLabels(keys []string, lang string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k
		if l, ok := askLabels[k]; ok {
			out[i] = l[0]
			if lang == nlu.LangEN {
				out[i] = l[1]
			}
		}
	}
	return out
}
