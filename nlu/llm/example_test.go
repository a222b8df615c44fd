package llm_test

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopdesk/loopdesk/nlu/llm"
)

// New against a local Ollama: the OpenAI-compatible root is /v1, no key is
// needed, and small local models follow a forced tool call more reliably
// than a JSON schema. Redaction stays on (the zero value).
func ExampleNew_ollama() {
	ext, err := llm.New(llm.Config{
		BaseURL:    "http://localhost:11434/v1",
		Model:      "qwen2.5:7b",
		Mode:       llm.ModeTools,
		Timeout:    20 * time.Second, // local models are slower per call
		Breaker:    llm.BreakerConfig{Failures: 3, Cooldown: time.Minute},
		Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		panic(err)
	}
	_ = ext // an nlu.Extractor; give it to cascade.New with the rules
}

// New against DeepSeek, whose API takes response_format json_object but
// not json_schema: the schema then goes into the prompt.
func ExampleNew_deepseek() {
	ext, err := llm.New(llm.Config{
		BaseURL: "https://api.deepseek.com/v1",
		APIKey:  "sk-…", // from LOOPDESK_NLU_LLM_API_KEY, never from a file in the repository
		Model:   "deepseek-chat",
		Mode:    llm.ModeJSONObject,
	})
	if err != nil {
		panic(err)
	}
	_ = ext
}
