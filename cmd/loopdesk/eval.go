package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/loopdesk/loopdesk/nlu"
)

// nluEval scores an extractor on a labeled JSONL file (CONTRACT.md):
// --json prints the one object of figures, otherwise a readable table.
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
	if *extractor != "" && *extractor != cfg.NLU.Extractor {
		if *extractor != "rules" {
			return usageError("nlu eval: extractor %q is not available in this build (rules)", *extractor)
		}
		cfg.NLU.Extractor = *extractor
	}
	ext, err := newExtractor(cfg.NLU)
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
	score, err := nlu.Evaluate(ctx, ext, examples)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(score)
	}
	printScore(stdout, fs.Arg(0), cfg.NLU.Extractor, score, *verbose)
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
	if !verbose {
		fmt.Fprintf(w, "%d messages had a mistake; -v lists them\n", len(s.Errors))
		return
	}
	for _, m := range s.Errors {
		fmt.Fprintf(w, "\n%s %s\n  want %s/%s %v\n  got  %s/%s %v\n", m.Example.ID, m.Example.Text,
			m.Example.Intent, m.Example.Priority, m.Example.Fields, m.Got.Intent, m.Got.Priority, m.Got.Fields)
	}
}
