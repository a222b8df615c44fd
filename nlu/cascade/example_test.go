package cascade_test

import (
	"context"
	"fmt"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
	"github.com/loopdesk/loopdesk/nlu/llm"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// The cascade as cmd wires it: the embedded rules, an LLM, and the fields
// a refund ticket needs. Here the LLM server is unreachable, so the rules'
// reading comes back with the reason; a message the rules are sure of
// never reaches the LLM at all.
func ExampleNew() {
	rcfg, _ := rules.ParseConfig(configs.FS, "nlu")
	rext, _ := rules.New(rcfg)
	model, _ := llm.New(llm.Config{BaseURL: "http://127.0.0.1:1/v1", Model: "any", Retries: -1})
	cas, _ := cascade.New(cascade.Config{Rules: rext, LLM: model,
		Required: map[string][]string{nlu.IntentRefund: {nlu.FieldOrderID}}})

	for _, text := range []string{"物流三天没更新，帮我查一下到哪了。订单 2026112500012345", "嗯"} {
		ex, _ := cas.Extract(context.Background(), nlu.Request{Text: text})
		fmt.Printf("%s %s fields=%v from=%s fallback=%q\n", ex.Intent, ex.Priority, ex.Fields, ex.Extractor, ex.Fallback)
	}
	// Output:
	// logistics normal fields=map[order_id:2026112500012345] from=rules fallback=""
	// other low fields=map[] from=rules fallback="llm_unreachable"
}
