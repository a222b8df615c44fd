package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
	"github.com/loopdesk/loopdesk/nlu/llm"
	"github.com/loopdesk/loopdesk/nlu/rules"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// NLUConfig chooses and tunes the extractor: the rules (the embedded
// default), or the rules with an OpenAI-compatible LLM — "cascade" asks
// it when the rules are unsure or a required field is missing, "llm"
// asks it for every message; either falls back to the rules.
type NLUConfig struct {
	Extractor string          `yaml:"extractor"`
	RulesDir  string          `yaml:"rules_dir"`
	Timeout   time.Duration   `yaml:"timeout"`
	LLM       llmSettings     `yaml:"llm"`
	Cascade   cascadeSettings `yaml:"cascade"`
}

// validate checks the extractor choice has what it needs.
func (c NLUConfig) validate() error {
	switch c.Extractor {
	case "rules":
		return nil
	case "llm", "cascade":
	default:
		return fmt.Errorf("nlu.extractor %q is none of rules, llm, cascade", c.Extractor)
	}
	if c.LLM.Model == "" || c.LLM.BaseURL == "" && c.LLM.APIKey == "" {
		return fmt.Errorf("nlu.extractor %s needs nlu.llm.model and nlu.llm.base_url (or nlu.llm.api_key for OpenAI)", c.Extractor)
	}
	if c.Timeout > 0 && cmp.Or(c.LLM.Timeout, llm.DefaultTimeout) >= c.Timeout {
		return fmt.Errorf("nlu.llm.timeout (%v) must be shorter than nlu.timeout (%v), or a slow call ends without the rules' fallback",
			cmp.Or(c.LLM.Timeout, llm.DefaultTimeout), c.Timeout)
	}
	return nil
}

// llmSettings are the nlu.llm.* keys; zero values mean llm.Config's defaults.
type llmSettings struct {
	BaseURL       string        `yaml:"base_url"`
	APIKey        string        `yaml:"api_key"`
	Model         string        `yaml:"model"`
	Mode          string        `yaml:"mode"`
	Prompt        string        `yaml:"prompt"`
	Timeout       time.Duration `yaml:"timeout"`
	Retries       int           `yaml:"retries"`
	MaxConcurrent int           `yaml:"max_concurrent"`
	MaxTokens     int           `yaml:"max_tokens"`
	Redact        bool          `yaml:"redact"`
	// Examples is a JSONL file of labeled messages for few-shot prompts,
	// "rules" for the rules configuration's training/*.jsonl, or empty
	// for none.
	Examples  string `yaml:"examples"`
	ExamplesK int    `yaml:"examples_k"`
	// Summaries gives tickets with long conversations a short summary
	// for agents, made again on new messages, once it has
	// SummaryMinMessages messages (default 6). Off by default.
	Summaries          bool `yaml:"summaries"`
	SummaryMinMessages int  `yaml:"summary_min_messages"`
	Breaker            struct {
		Failures int           `yaml:"failures"`
		Cooldown time.Duration `yaml:"cooldown"`
	} `yaml:"breaker"`
}

// cascadeSettings are the nlu.cascade.* keys.
type cascadeSettings struct {
	MinConfidence float64             `yaml:"min_confidence"`
	CacheSize     int                 `yaml:"cache_size"`
	Required      map[string][]string `yaml:"required"`
}

// extractors is the extractor cfg chooses, with its parts.
type extractors struct {
	ext   nlu.Extractor
	model *llm.Extractor     // nil for rules
	cas   *cascade.Extractor // nil for rules
}

// newExtractor builds the extractor cfg.Extractor names: the rules, or
// the rules with the LLM (cascade: when unsure; llm: always). The LLM's
// metrics go to reg when it is not nil.
func newExtractor(cfg NLUConfig, reg prometheus.Registerer) (extractors, error) {
	rcfg, err := rules.ParseConfig(configFS(cfg.RulesDir, "nlu"))
	if err != nil {
		return extractors{}, fmt.Errorf("rules extractor: %w", err)
	}
	rext, err := rules.New(rcfg)
	if err != nil || cfg.Extractor == "rules" {
		return extractors{ext: rext}, err
	}
	lcfg, err := cfg.LLM.config(rext.Intents(), rcfg, cfg.RulesDir)
	if err != nil {
		return extractors{}, err
	}
	lcfg.Registerer = reg
	model, err := llm.New(lcfg)
	if err != nil {
		return extractors{}, fmt.Errorf("nlu.llm: %w", err)
	}
	required := cfg.Cascade.Required
	if len(required) == 0 { // what the e-commerce desk asks customers for
		required = map[string][]string{nlu.IntentRefund: {nlu.FieldOrderID}}
	}
	cas, err := cascade.New(cascade.Config{Rules: rext, LLM: model, Always: cfg.Extractor == "llm",
		MinConfidence: cfg.Cascade.MinConfidence, CacheSize: cfg.Cascade.CacheSize, Required: required})
	return extractors{ext: cas, model: model, cas: cas}, err
}

// config is the llm.Config of these settings: the rules' intents with
// their descriptions as help, and the few-shot examples.
func (s llmSettings) config(intents []string, rcfg rules.Config, rulesDir string) (llm.Config, error) {
	help := map[string]string{}
	for _, in := range rcfg.Intents {
		help[in.Name] = in.Description
	}
	examples, err := readFewShot(s.Examples, rulesDir)
	if err != nil {
		return llm.Config{}, err
	}
	return llm.Config{BaseURL: s.BaseURL, APIKey: s.APIKey, Model: s.Model, Mode: s.Mode, Prompt: s.Prompt,
		Timeout: s.Timeout, Retries: s.Retries, MaxConcurrent: s.MaxConcurrent, MaxTokens: s.MaxTokens,
		DisableRedaction: !s.Redact, Intents: intents, IntentHelp: help,
		Examples: examples, ExamplesK: s.ExamplesK,
		Breaker: llm.BreakerConfig{Failures: s.Breaker.Failures, Cooldown: s.Breaker.Cooldown}}, nil
}

// readFewShot reads nlu.llm.examples: a JSONL file, "rules" for the
// rules configuration's training files, or nothing.
func readFewShot(src, rulesDir string) ([]nlu.Example, error) {
	if src == "" {
		return nil, nil
	}
	var files []string
	var read func(string) ([]byte, error)
	if src == "rules" {
		fsys, dir := configFS(rulesDir, "nlu")
		files, _ = fs.Glob(fsys, path.Join(dir, "training", "*.jsonl")) // the pattern is valid
		read = func(name string) ([]byte, error) { return fs.ReadFile(fsys, name) }
	} else {
		files, read = []string{src}, os.ReadFile
	}
	var out []nlu.Example
	for _, name := range files {
		data, err := read(name)
		if err != nil {
			return nil, fmt.Errorf("nlu.llm.examples: %w", err)
		}
		exs, err := nlu.ReadExamples(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("nlu.llm.examples %s: %w", name, err)
		}
		out = append(out, exs...)
	}
	return out, nil
}

// summaries turns ticket summaries on when nlu.llm.summaries is set and
// an LLM is configured.
func summaries(cfg NLUConfig, x extractors) ticketcore.SummaryConfig {
	if !cfg.LLM.Summaries || x.model == nil {
		return ticketcore.SummaryConfig{}
	}
	return ticketcore.SummaryConfig{Summarizer: x.model, MinMessages: cfg.LLM.SummaryMinMessages}
}
