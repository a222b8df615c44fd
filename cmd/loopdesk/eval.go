package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/loopdesk/loopdesk/nlu"
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
	cfg, err := loadConfig(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	if *extractor != "" {
		cfg.NLU.Extractor = *extractor
		if err := cfg.NLU.validate(); err != nil {
			return usageError("nlu eval: %v", err)
		}
	}
	target, err := newExtractor(cfg.NLU, nil)
	if err != nil {
		return err
	}
	examples, err := nlu.ReadExamplesFile(fs.Arg(0))
	if err != nil {
		return err
	}
	score, err := nlu.Evaluate(ctx, target.ext, examples)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(score)
	}
	printScore(stdout, fs.Arg(0), cfg.NLU.Extractor, score, *verbose)
	target.printUsage(stdout, score.N)
	return nil
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
func (t extractors) printUsage(w io.Writer, n int) {
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
