package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
	"github.com/loopdesk/loopdesk/nlu/llm"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// nluEval scores an extractor on a labeled JSONL file (CONTRACT.md):
// --json prints the one object of figures, otherwise a readable report
// with per-intent and per-field scores, the confusion matrix and, for llm
// and cascade, the LLM's calls and tokens per message.
func nluEval(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("nlu eval", os.Stderr)
	extractor := fs.String("extractor", "", "rules, llm or cascade (default: nlu.extractor of the config)")
	cfgPath := fs.String("config", "", "YAML config file (default: the embedded default)")
	asJSON := fs.Bool("json", false, "print one JSON object of figures")
	verbose := fs.Bool("v", false, "also list every message the extractor got wrong")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("nlu eval: give one labeled FILE.jsonl")
	}
	cfg, settings, err := loadEvalConfig(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	if *extractor != "" {
		settings.Extractor = *extractor
	}
	target, err := newEvalTarget(cfg.NLU, settings)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	examples, err := nlu.ReadExamples(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", fs.Arg(0), err)
	}
	score, err := nlu.Evaluate(ctx, target.ext, examples)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(score)
	}
	printScore(stdout, fs.Arg(0), settings.Extractor, score, *verbose)
	target.printUsage(stdout, score.N)
	return nil
}

// nluSettings are the nlu keys beyond NLUConfig: the extractor choice and
// the nlu.llm.* and nlu.cascade.* keys. serve does not read them yet, so
// eval reads them itself from the same file and environment (see
// loadEvalConfig); once NLUConfig carries LLM and Cascade, eval can take
// them from there.
type nluSettings struct {
	Extractor string          `yaml:"extractor"`
	LLM       llmSettings     `yaml:"llm"`
	Cascade   cascadeSettings `yaml:"cascade"`
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
	Breaker   struct {
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

func defaultNLUSettings(cfg NLUConfig) nluSettings {
	s := nluSettings{Extractor: cfg.Extractor}
	s.LLM.Redact = true
	return s
}

// loadEvalConfig is loadConfig for nlu eval: it takes nlu.extractor,
// nlu.llm and nlu.cascade out of the file before the rest is decoded
// strictly as Config, reads them (and their LOOPDESK_NLU_* variables)
// into nluSettings, and validates the rest as the rules configuration it is.
func loadEvalConfig(path string, environ []string) (Config, nluSettings, error) {
	cfg := defaultConfig()
	settings := defaultNLUSettings(cfg.NLU)
	if path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			return Config{}, settings, fmt.Errorf("read config: %w", err)
		}
		rest, err := takeNLUSettings(src, &settings)
		if err == nil {
			err = decodeYAML(rest, &cfg)
		}
		if err != nil {
			return Config{}, settings, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return Config{}, settings, err
	}
	if err := applySettingsEnv(&settings, environ); err != nil {
		return Config{}, settings, err
	}
	// settings.Extractor is the choice; Config validates as the rules
	// configuration every choice starts from.
	cfg.NLU.Extractor = "rules"
	return cfg, settings, cfg.validate()
}

// takeNLUSettings decodes nlu.extractor, nlu.llm and nlu.cascade of src
// into s (unknown keys are errors) and returns src without them.
func takeNLUSettings(src []byte, s *nluSettings) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		return src, err // empty, or a syntax error decodeYAML reports
	}
	nluNode := mappingValue(doc.Content[0], "nlu")
	if nluNode == nil || nluNode.Kind != yaml.MappingNode {
		return src, nil
	}
	taken := &yaml.Node{Kind: yaml.MappingNode}
	var kept []*yaml.Node
	for i := 0; i+1 < len(nluNode.Content); i += 2 {
		switch k := nluNode.Content[i]; k.Value {
		case "extractor", "llm", "cascade":
			taken.Content = append(taken.Content, k, nluNode.Content[i+1])
		default:
			kept = append(kept, k, nluNode.Content[i+1])
		}
	}
	nluNode.Content = kept
	b, err := yaml.Marshal(taken)
	if err == nil {
		err = decodeStrict(b, s)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("nlu: %w", err)
	}
	return yaml.Marshal(&doc)
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// applySettingsEnv sets nluSettings from LOOPDESK_NLU_* variables, as
// applyEnv does for Config.
func applySettingsEnv(s *nluSettings, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, k := range configKeys(reflect.ValueOf(s).Elem(), "nlu.") {
		if v, ok := env[envName(k.key)]; ok {
			if err := setValue(k.value, v); err != nil {
				return fmt.Errorf("config: %s: %w", envName(k.key), err)
			}
		}
	}
	return nil
}

// evalTarget is the extractor being scored, with its parts for the report.
type evalTarget struct {
	ext   nlu.Extractor
	model *llm.Extractor     // nil for rules
	cas   *cascade.Extractor // nil for rules
}

// newEvalTarget builds the extractor s.Extractor names: the rules, or the
// rules with the LLM (cascade: when unsure; llm: always).
func newEvalTarget(cfg NLUConfig, s nluSettings) (evalTarget, error) {
	switch s.Extractor {
	case "rules", "llm", "cascade":
	default:
		return evalTarget{}, usageError("nlu eval: extractor %q is not available (rules, llm, cascade)", s.Extractor)
	}
	if s.Extractor != "rules" && (s.LLM.Model == "" || s.LLM.BaseURL == "" && s.LLM.APIKey == "") {
		return evalTarget{}, usageError("nlu eval: extractor %q is not available: set nlu.llm.model and nlu.llm.base_url "+
			"(or nlu.llm.api_key for OpenAI) in --config or LOOPDESK_NLU_LLM_*", s.Extractor)
	}
	fsys, dir := configFS(cfg.RulesDir, "nlu")
	rcfg, err := rules.ParseConfig(fsys, dir)
	if err != nil {
		return evalTarget{}, fmt.Errorf("rules extractor: %w", err)
	}
	rext, err := rules.New(rcfg)
	if err != nil || s.Extractor == "rules" {
		return evalTarget{ext: rext}, err
	}
	lcfg, err := s.LLM.config(rext.Intents(), rcfg, cfg.RulesDir)
	if err != nil {
		return evalTarget{}, err
	}
	model, err := llm.New(lcfg)
	if err != nil {
		return evalTarget{}, err
	}
	cas, err := cascade.New(cascade.Config{Rules: rext, LLM: model, Always: s.Extractor == "llm",
		MinConfidence: s.Cascade.MinConfidence, CacheSize: s.Cascade.CacheSize, Required: s.Cascade.Required})
	return evalTarget{ext: cas, model: model, cas: cas}, err
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

func printScore(w io.Writer, file, extractor string, s nlu.Score, verbose bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s on %s (%d messages)\n", extractor, file, s.N)
	for _, row := range []struct {
		name string
		v    float64
	}{{"intent accuracy", s.IntentAccuracy}, {"intent macro F1", s.IntentMacroF1},
		{"priority accuracy", s.PriorityAccuracy}, {"field precision", s.FieldPrecision},
		{"field recall", s.FieldRecall}, {"field F1", s.FieldF1}} {
		fmt.Fprintf(tw, "  %s\t%.3f\n", row.name, row.v)
	}
	tw.Flush()
	printBreakdown(w, "intent", labelOrder(s.PerIntent, nlu.BuiltinIntents()), s.PerIntent)
	printConfusion(w, s)
	printBreakdown(w, "field", labelOrder(s.PerField, nlu.FieldKeys()), s.PerField)
	if len(s.Fallbacks) > 0 || s.Failures > 0 {
		fmt.Fprintf(w, "\nfallbacks: %s; extractor errors: %d\n", countList(s.Fallbacks), s.Failures)
	}
	if !verbose {
		fmt.Fprintf(w, "\n%d messages had a mistake; -v lists them\n", len(s.Errors))
		return
	}
	for _, m := range s.Errors {
		fmt.Fprintf(w, "\n%s %s\n  want %s/%s %v\n  got  %s/%s %v\n", m.Example.ID, m.Example.Text,
			m.Example.Intent, m.Example.Priority, m.Example.Fields, m.Got.Intent, m.Got.Priority, m.Got.Fields)
	}
}

// labelOrder is first the known labels that occur, in their order, then
// any others, sorted.
func labelOrder(m map[string]nlu.PRF, known []string) []string {
	var out, rest []string
	for _, k := range known {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for k := range m {
		if !slices.Contains(known, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

func printBreakdown(w io.Writer, what string, order []string, m map[string]nlu.PRF) {
	if len(order) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\n%s\tprecision\trecall\tF1\tn\t\n", padRight(what, order))
	for _, k := range order {
		r := m[k]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", padRight(k, order), r.Precision, r.Recall, r.F1, r.Support)
	}
	tw.Flush()
}

// padRight pads a label to the longest of labels, so that a right-aligned
// table still reads its first column left-aligned.
func padRight(s string, labels []string) string {
	n := len(s)
	for _, l := range labels {
		n = max(n, len(l)+4)
	}
	return "  " + s + strings.Repeat(" ", n-len(s))
}

// printConfusion prints labeled intents as rows and answered intents as
// numbered columns (names would make it too wide to read).
func printConfusion(w io.Writer, s nlu.Score) {
	order := labelOrder(s.PerIntent, nlu.BuiltinIntents())
	if len(order) == 0 {
		return
	}
	fmt.Fprintln(w, "\nconfusion: rows are the labeled intents, columns the answered ones")
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\t", padRight("", order))
	for i := range order {
		fmt.Fprintf(tw, "%d\t", i+1)
	}
	fmt.Fprintln(tw)
	for i, gold := range order {
		fmt.Fprintf(tw, "%s\t", padRight(fmt.Sprintf("%d %s", i+1, gold), order))
		for _, got := range order {
			if n := s.Confusion[gold][got]; n > 0 {
				fmt.Fprintf(tw, "%d\t", n)
			} else {
				fmt.Fprint(tw, ".\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// printUsage reports what the LLM cost per message scored.
func (t evalTarget) printUsage(w io.Writer, n int) {
	if t.model == nil || n == 0 {
		return
	}
	u, st := t.model.Usage(), t.cas.Stats()
	per := func(v int64) float64 { return float64(v) / float64(n) }
	fmt.Fprintf(w, "\nLLM: asked for %d of %d messages (%.1f%%, %d from the cache); %d calls, %.2f per message; "+
		"tokens per message: %.0f prompt, %.0f completion\n", st.Consulted, st.Messages,
		100*float64(st.Consulted)/float64(max(st.Messages, 1)), st.CacheHits, u.Calls, per(u.Calls),
		per(u.PromptTokens), per(u.CompletionTokens))
}

func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
