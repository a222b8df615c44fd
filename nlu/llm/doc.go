// Package llm is an nlu.Extractor that asks an OpenAI-compatible
// chat-completions server (OpenAI, DeepSeek, Qwen/DashScope compatible
// mode, Ollama, vLLM) for intent, priority and fields, through
// github.com/sashabaranov/go-openai.
//
// The model only fills a schema (ARCHITECTURE.md invariant 5). The request
// asks for structured output — a strict JSON schema built from the
// configured intents, priorities and fields, a forced tool call, or JSON
// mode with the schema in the prompt — and the answer is validated: intent
// and priority must be in their sets, and every field value must be
// written in the customer's original text after the field's normalization
// (values that are not are dropped and counted). The model's answer cannot
// add a field the configuration does not name, and it never names actions,
// recipients or permissions, because the schema has no place for them.
//
// Personal data (phones, emails, ID-card and bank-card numbers) is replaced
// by placeholders before the request (package redact) and restored in the
// answer, unless Config.DisableRedaction is set.
//
// Calls are bounded: a timeout per call, retries with backoff on 429 and
// 5xx (honouring Retry-After), a concurrency limit that refuses rather
// than queues, and a circuit breaker that stops calling a failing server.
// Every failure is an *nlu.ExtractError naming the nlu.Fallback* reason,
// so a caller (package cascade) can fall back to the rules and record why.
//
// It imports the nlu contract, redact, prompts, go-openai and the
// Prometheus client; never another extractor.
package llm
