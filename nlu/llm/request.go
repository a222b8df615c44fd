package llm

import (
	"errors"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/prompts"
)

// request builds the chat-completion request for a rendered prompt, asking
// for structured output the way cfg.Mode says.
func (e *Extractor) request(p prompts.Prompt) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: e.cfg.Model}
	if p.System != "" {
		req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: p.System})
	}
	req.Messages = append(req.Messages, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: p.User})
	if e.cfg.MaxTokens > 0 {
		// Reasoning models refuse max_tokens; everything else (DeepSeek,
		// older vLLM and Ollama) may not know max_completion_tokens.
		if reasoningModel(e.cfg.Model) {
			req.MaxCompletionTokens = e.cfg.MaxTokens
		} else {
			req.MaxTokens = e.cfg.MaxTokens
		}
	}
	switch e.cfg.Mode {
	case ModeJSONSchema:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{
			Type:       openai.ChatCompletionResponseFormatTypeJSONSchema,
			JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{Name: schemaName, Schema: e.schema, Strict: true},
		}
	case ModeTools:
		req.Tools = []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
			Name: schemaName, Description: "Record the intent, priority and fields read from the customer's message.",
			Parameters: e.schema, Strict: true}}}
		req.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: schemaName}}
	case ModeJSONObject:
		req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
	return req
}

func reasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5", "gpt-6"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}

// errTruncated is a reply cut off by the token limit: its JSON would be
// incomplete, and asking again would be cut off the same way.
var errTruncated = errors.New("the answer was cut off (finish_reason length)")

// content returns the JSON the model answered: the forced tool call's
// arguments in tools mode (or the message text, which some servers use
// instead), the message text otherwise.
func content(resp openai.ChatCompletionResponse) (string, error) {
	if len(resp.Choices) == 0 {
		return "", nil // parses as invalid JSON, so the repair asks again
	}
	c := resp.Choices[0]
	if c.FinishReason == openai.FinishReasonLength {
		return "", &nlu.ExtractError{Reason: nlu.FallbackTruncated, Err: errTruncated}
	}
	if c.Message.Refusal != "" {
		return "", &nlu.ExtractError{Reason: nlu.FallbackInvalidOutput,
			Err: fmt.Errorf("the model refused: %.80q", c.Message.Refusal)}
	}
	for _, tc := range c.Message.ToolCalls {
		if tc.Function.Name == schemaName || tc.Function.Name == "" {
			return tc.Function.Arguments, nil
		}
	}
	return c.Message.Content, nil
}
