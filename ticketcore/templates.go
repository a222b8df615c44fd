package ticketcore

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"text/template"

	"github.com/loopdesk/loopdesk/nlu"
)

// Reply templates the Service renders itself.
const TemplateAck = "ack" // the acknowledgement of a new ticket

// Templates are the texts loopdesk writes to customers on its own, one per
// name and language, from files named <name>.<lang>.tmpl (text/template).
type Templates struct {
	byKey map[string]*template.Template // "ack.zh"
}

// TemplateData is what a template can use.
type TemplateData struct {
	TicketID string
	Subject  string
	Name     string // the customer's name, may be empty
	Intent   string
	Priority string
	Stage    string // the stage a progress message announces
	// Missing names the fields the bot asks the customer for, in their
	// language ("订单号", "order number").
	Missing []string
}

var sampleData = TemplateData{TicketID: "T-000123", Subject: "订单还没发货", Name: "王芳",
	Intent: "logistics", Priority: "normal", Stage: "finance", Missing: []string{"订单号"}}

// ParseTemplates reads every *.tmpl file of dir in fsys. Each name the
// Service uses must exist in Chinese (the fallback for any language).
func ParseTemplates(fsys fs.FS, dir string) (*Templates, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	t := &Templates{byKey: map[string]*template.Template{}}
	for _, f := range files {
		key := strings.TrimSuffix(path.Base(f), ".tmpl")
		if strings.Count(key, ".") != 1 {
			return nil, fmt.Errorf("template %s: name it <name>.<lang>.tmpl", f)
		}
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", f, err)
		}
		tmpl, err := template.New(key).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", f, err)
		}
		// A misspelt field ({{.TicketId}}) only fails when executed: try each
		// template now, not when the first customer writes.
		if err := tmpl.Execute(io.Discard, sampleData); err != nil {
			return nil, fmt.Errorf("template %s: %w", f, err)
		}
		t.byKey[key] = tmpl
	}
	for _, name := range []string{TemplateAck} {
		if t.byKey[name+"."+nlu.LangZH] == nil {
			return nil, fmt.Errorf("templates in %s: %s.%s.tmpl is missing", dir, name, nlu.LangZH)
		}
	}
	return t, nil
}

// Has reports whether a template name exists (in Chinese, the fallback).
func (t *Templates) Has(name string) bool { return t.byKey[name+"."+nlu.LangZH] != nil }

// Render writes template name in lang, falling back to Chinese.
func (t *Templates) Render(name, lang string, data TemplateData) (string, error) {
	tmpl := t.byKey[name+"."+lang]
	if tmpl == nil {
		tmpl = t.byKey[name+"."+nlu.LangZH]
	}
	if tmpl == nil {
		return "", fmt.Errorf("no template %q", name)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render template %s.%s: %w", name, lang, err)
	}
	return strings.TrimSpace(buf.String()), nil
}
