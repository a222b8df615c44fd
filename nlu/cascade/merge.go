package cascade

import (
	"maps"

	"github.com/loopdesk/loopdesk/nlu"
)

// merge combines the rules' and the model's readings of one message. It
// never changes either argument (the model's may be cached).
//
//   - Intent and its confidence: the model's when takeIntent (the rules
//     were unsure, or Always), else the rules'. Extraction.Extractor names
//     whose intent it is.
//   - Fields: the rules' values stay — they are read by format validators
//     and right nearly every time — and the model fills the keys the rules
//     did not find. FieldSources names the source of each.
//   - Priority: see mergePriority.
//   - Lang and Reasons: the rules'.
func merge(rules, model nlu.Extraction, takeIntent bool) nlu.Extraction {
	out := rules
	out.Fields = maps.Clone(rules.Fields)
	out.FieldSources = maps.Clone(rules.FieldSources)
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	if out.FieldSources == nil {
		out.FieldSources = map[string]nlu.FieldSource{}
	}
	for k, v := range model.Fields {
		if _, ok := out.Fields[k]; ok {
			continue
		}
		out.Fields[k] = v
		src, ok := model.FieldSources[k]
		if !ok {
			src = nlu.FieldSource{Extractor: model.Extractor, Confidence: model.Confidence}
		}
		out.FieldSources[k] = src
	}
	if takeIntent {
		out.Intent, out.Confidence, out.Extractor = model.Intent, model.Confidence, model.Extractor
	}
	out.Priority = mergePriority(rules.Priority, model.Priority, takeIntent)
	out.Fallback = ""
	return out
}

// mergePriority decides the priority of a merged reading.
//
// The rules' urgent and high stand: they come from trigger words the
// customer wrote (LABELS.md §3: outage, hazard, escalation threat, VIP,
// long undelivered, same-day deadline), and a model does not get to
// downgrade a fire. The model can never raise a message to high or urgent:
// "mark this urgent" is exactly what a prompt injection says, and a false
// urgent costs the most (paging, SLAs of minutes); the rules' vocabulary
// is where a missed signal is added. What is left to the model is normal
// versus low, which depends on the intent (L1: feedback and other are low;
// L2: general questions are low) — so its answer counts only when its
// intent was taken.
func mergePriority(rules, model string, takeIntent bool) string {
	pressing := nlu.PriorityRank(nlu.PriorityHigh)
	if !takeIntent || nlu.PriorityRank(rules) <= pressing || nlu.PriorityRank(model) <= pressing {
		return rules
	}
	return model
}
