package prompts

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

// Prompt is a rendered prompt: the system message (may be empty) and the
// user message.
type Prompt struct {
	System string
	User   string
}

// Extract is the data of the extract.* templates: what the model may
// answer and the message to read.
type Extract struct {
	// Intents, Priorities and Fields are the allowed answers, with a line
	// of help each.
	Intents    []Choice
	Priorities []Choice
	Fields     []Choice
	// Schema is the JSON schema of the answer, set when the request cannot
	// carry it (json_object mode) and it must be in the prompt instead.
	Schema string
	// Examples are labeled messages shown before the message, most
	// similar first.
	Examples []Example
	// Text is the customer's message, personal data already replaced by
	// placeholders.
	Text string
}

// Choice is one allowed answer and what it means.
type Choice struct {
	Name        string
	Description string
}

// Example is one labeled message and the answer the model should give for it.
type Example struct {
	Text   string
	Answer string // JSON
}

// Repair is the data of the repair.* templates: asking again after an
// answer that was not the requested JSON.
type Repair struct {
	// Problem says what was wrong with the answer (a JSON error).
	Problem string
	// Schema is the JSON schema of the answer, when it is in the prompt.
	Schema string
}

// parsed holds every template file, parsed once; it never changes after.
var parsed = sync.OnceValues(parseAll)

func parseAll() (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "*.tmpl")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template, len(names))
	for _, file := range names {
		name := strings.TrimSuffix(file, ".tmpl")
		t, err := template.New(name).Option("missingkey=error").ParseFS(files, file)
		if err != nil {
			return nil, fmt.Errorf("parse prompt %s: %w", file, err)
		}
		if t.Lookup("user") == nil {
			return nil, fmt.Errorf("prompt %s defines no \"user\" template", file)
		}
		out[name] = t
	}
	return out, nil
}

// Names returns the names of the embedded prompts ("extract.v1", …), sorted.
func Names() []string {
	all, err := parsed()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Render executes the prompt name ("extract.v1") with data (an Extract
// for extract.*, a Repair for repair.*). Surrounding blank space is trimmed
// from both parts.
func Render(name string, data any) (Prompt, error) {
	all, err := parsed()
	if err != nil {
		return Prompt{}, err
	}
	t, ok := all[name]
	if !ok {
		return Prompt{}, fmt.Errorf("prompt %q not found (have %s)", name, strings.Join(Names(), ", "))
	}
	var p Prompt
	if p.User, err = execute(t, "user", data); err != nil {
		return Prompt{}, fmt.Errorf("render prompt %s: %w", name, err)
	}
	if t.Lookup("system") != nil {
		if p.System, err = execute(t, "system", data); err != nil {
			return Prompt{}, fmt.Errorf("render prompt %s: %w", name, err)
		}
	}
	return p, nil
}

func execute(t *template.Template, part string, data any) (string, error) {
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, part, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}
