package ticketcore_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestTemplates(t *testing.T) {
	tmpl, err := ticketcore.ParseTemplates(templates, "t")
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"zh": "已收到您的问题，工单号 T-000007。", "en": "Received; your ticket is T-000007.", "ja": "已收到您的问题，工单号 T-000007。"} {
		got, err := tmpl.Render(ticketcore.TemplateAck, lang, ticketcore.TemplateData{TicketID: "T-000007"})
		if err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", lang, got, err, want)
		}
	}
}

func TestTemplatesRejectedAtStart(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"misspelt field": {"t/ack.zh.tmpl": {Data: []byte("工单号 {{.TicketId}}")}},
		"syntax":         {"t/ack.zh.tmpl": {Data: []byte("工单号 {{.TicketID")}},
		"no chinese":     {"t/ack.en.tmpl": {Data: []byte("ticket {{.TicketID}}")}},
		"bad name":       {"t/ack.tmpl": {Data: []byte("x")}, "t/ack.zh.tmpl": {Data: []byte("x")}},
	} {
		_, err := ticketcore.ParseTemplates(files, "t")
		if err == nil || !strings.Contains(err.Error(), "t/") && !strings.Contains(err.Error(), "ack") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
