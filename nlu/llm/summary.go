package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/loopdesk/loopdesk/nlu"
)

// summaryMaxTokens bounds a summary's length: a few sentences.
const summaryMaxTokens = 300

// Summarize writes a short summary of a ticket's conversation for agents
// (ticketcore's Summarizer), on the same server with the same retries,
// with personal data replaced by placeholders and restored in the summary
// unless redaction is off. Summaries have their own per-call timeout
// (SummaryTimeout) and breaker, and take no place among extraction's
// calls in flight (the caller makes one at a time): a long summary on a
// slow model never pushes messages to the rules' fallback.
func (e *Extractor) Summarize(ctx context.Context, lang string, lines []string) (string, error) {
	if len(lines) == 0 {
		return "", errors.New("llm: nothing to summarize")
	}
	text, ps := e.mask(strings.Join(lines, "\n"))
	instruction := "用两三句中文概括这段客服对话：客户要什么、已经做了什么、还差什么。只写概括。"
	if lang == nlu.LangEN {
		instruction = "Summarize this support conversation in two or three sentences: what the customer wants, what was done, what is still open. Write only the summary."
	}
	req := openai.ChatCompletionRequest{Model: e.cfg.Model, MaxTokens: summaryMaxTokens, Temperature: 0,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: instruction},
			{Role: openai.ChatMessageRoleUser, Content: text}}}
	resp, err := e.complete(ctx, e.summaries, req)
	if err != nil {
		return "", err
	}
	e.metrics.call(resultOK, resp.Usage.PromptTokens, resp.Usage.CompletionTokens)
	if len(resp.Choices) == 0 || strings.TrimSpace(resp.Choices[0].Message.Content) == "" {
		return "", fmt.Errorf("llm: the summary is empty")
	}
	return ps.Restore(strings.TrimSpace(resp.Choices[0].Message.Content)), nil
}
