package llm

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/prompts"
	"github.com/loopdesk/loopdesk/redact"
)

// ask sends req and parses the answer. An answer that is not the requested
// JSON gets one repair request — the bad answer sent back with what was
// wrong — and if that fails too the error is nlu.FallbackInvalidJSON.
func (e *Extractor) ask(ctx context.Context, req openai.ChatCompletionRequest) (answer, error) {
	t, err := e.reply(ctx, req)
	if err != nil || t.bad == nil {
		return t.ans, err
	}
	repair, err := prompts.Render(e.cfg.RepairPrompt, prompts.Repair{Problem: t.bad.Error(), Schema: e.schemaText})
	if err != nil {
		return answer{}, &nlu.ExtractError{Reason: nlu.FallbackError, Err: err}
	}
	// The bad answer goes back as plain assistant text in every mode: a
	// tool call would need a tool result message that some servers reject.
	req.Messages = append(req.Messages[:len(req.Messages):len(req.Messages)],
		openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: cmp.Or(t.text, "(empty)")},
		openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: repair.User})
	if t, err = e.reply(ctx, req); err != nil {
		return answer{}, err
	}
	if t.bad != nil {
		return answer{}, &nlu.ExtractError{Reason: nlu.FallbackInvalidJSON,
			Err: fmt.Errorf("answer is not the requested JSON after a repair request: %w", t.bad)}
	}
	return t.ans, nil
}

// turn is one answer of the model.
type turn struct {
	text string // the answer's JSON text, as sent
	ans  answer
	bad  error // why text is not a usable answer; nil when ans is
}

// reply makes one completion (with its retries), parses the answer and
// counts the call by what came back.
func (e *Extractor) reply(ctx context.Context, req openai.ChatCompletionRequest) (turn, error) {
	resp, err := e.complete(ctx, e.extraction, req)
	if err != nil {
		return turn{}, err
	}
	var t turn
	t.text, err = content(resp)
	result := resultOK
	if err != nil {
		result = strings.TrimPrefix(nlu.FallbackReason(err), "llm_")
	} else if t.ans, t.bad = parseAnswer(t.text); t.bad != nil {
		result = "invalid_json"
	}
	e.metrics.call(result, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	return t, err
}

// validate turns a parsed answer into an extraction: intent and priority
// must be in their sets, and each field value must be one the customer
// wrote (placeholders restored first); other values are dropped and
// counted. original is the customer's text as received.
func (e *Extractor) validate(a answer, original string, ps *redact.Pseudonyms) (nlu.Extraction, error) {
	if !e.intents[a.Intent] || !e.priorities[a.Priority] {
		return nlu.Extraction{}, &nlu.ExtractError{Reason: nlu.FallbackInvalidOutput,
			Err: fmt.Errorf("intent %.40q or priority %.20q is not a configured one", a.Intent, a.Priority)}
	}
	ex := nlu.Extraction{Intent: a.Intent, Priority: a.Priority, Fields: map[string]string{},
		FieldSources: map[string]nlu.FieldSource{}, Lang: nlu.DetectLang(original),
		Confidence: a.Confidence, Extractor: Name}
	for _, k := range a.Unusable {
		e.drop(k)
	}
	for k, raw := range a.Fields {
		f, known := e.byKey[k]
		if !known {
			e.drop(k)
			continue
		}
		v, ok := f.accept(ps.Restore(raw), original)
		if !ok {
			e.drop(k)
			continue
		}
		ex.Fields[k] = v
		ex.FieldSources[k] = nlu.FieldSource{Extractor: Name, Confidence: a.Confidence}
	}
	return ex, nil
}

// drop counts a dropped field value under its key, or "unknown" for keys
// the configuration does not have (model output must not mint labels).
func (e *Extractor) drop(key string) {
	if _, ok := e.byKey[key]; !ok {
		key = fieldUnknown
	}
	e.metrics.dropped.WithLabelValues(key).Inc()
}
