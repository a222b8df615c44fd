package rules

import (
	"context"

	"github.com/loopdesk/loopdesk/nlu"
)

// Name is the value of nlu.Extraction.Extractor for this extractor.
const Name = "rules"

// FieldConfidence is the confidence the extractor gives each field value
// (nlu.FieldSource). Values are read by format validators right after a
// label or in a fixed format (LABELS.md §4), and are right nearly every
// time they are found (field precision 0.97–1.00 on the blind sets); what
// the rules miss is absent, not wrong. A cascade therefore keeps them over
// an LLM's values.
const FieldConfidence = 0.95

// useKind says what a matched phrase means; every configured phrase is
// registered in one matcher under a tag, and uses[tag] gives its meaning.
type useKind uint8

const (
	useKeyword useKind = iota // a: intent, w: weight
	useCombo                  // a: combo, b: group
	useNegator                // cancels the intent phrase right after it
	useOrderLabel
	useSNLabel
	useTrackingLabel
	useAmountTarget
	useAmountCharged
	useOutageWide
	useOutageFailing
	useOutageAlone
	useHazard
	useHypothetical
	useHazardNot
	useEscalation
	useEscalationNot
	useVIP
	useVIPNot
	usePaid
	useNotDelivered
	useBlocked
	useToday
	useOwnItem
	useKinds // number of kinds

	// useRuleFirst is the first kind collected into ruleHits (fields and
	// priority rules); intent kinds are consumed by the intent model.
	useRuleFirst = useOrderLabel
)

type use struct {
	kind useKind
	a, b int32
	w    float64
}

// Extractor is the rules extractor. It is immutable after New and safe for
// concurrent use.
type Extractor struct {
	matcher  *matcher
	uses     []use
	intents  intentModel
	priority priorityModel
	fields   fieldModel
}

var _ nlu.Extractor = (*Extractor)(nil)

// New validates cfg and compiles it. Errors name the file, intent, rule or
// phrase at fault.
func New(cfg Config) (*Extractor, error) {
	c := newCompiler()
	e := &Extractor{}
	if err := c.intents(cfg, &e.intents); err != nil {
		return nil, err
	}
	if err := c.priority(cfg, e.intents.names, &e.priority); err != nil {
		return nil, err
	}
	if err := c.fields(cfg.Fields, &e.fields); err != nil {
		return nil, err
	}
	if err := c.model(cfg, &e.intents); err != nil {
		return nil, err
	}
	e.matcher = c.vocab.compile()
	e.uses = c.uses
	return e, nil
}

// Extract reads intent, priority and fields from req.Text. It never fails
// except when ctx is already done; the channel does not change any label.
func (e *Extractor) Extract(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	if err := ctx.Err(); err != nil {
		return nlu.Extraction{}, err
	}
	rs := normalize(req.Text)
	hits := e.matcher.scan(rs, make([]hit, 0, 64))
	hits = dropInside(hits, addressSpans(rs))
	rh := newRuleHits(rs, hits, e.uses)
	intent, conf := e.intents.classify(rs, hits, e.uses)
	name := e.intents.names[intent]
	priority, reasons := e.priority.decide(rh, intent, name)
	fields := e.fields.extract(rh)
	if fields == nil {
		fields = map[string]string{}
	}
	return nlu.Extraction{
		Intent:       name,
		Priority:     priority,
		Fields:       fields,
		Lang:         nlu.DetectLang(req.Text),
		Confidence:   conf,
		Reasons:      reasons,
		Extractor:    Name,
		FieldSources: fieldSources(fields),
	}, nil
}

// fieldSources records the extractor as the source of every field.
func fieldSources(fields map[string]string) map[string]nlu.FieldSource {
	out := make(map[string]nlu.FieldSource, len(fields))
	for k := range fields {
		out[k] = nlu.FieldSource{Extractor: Name, Confidence: FieldConfidence}
	}
	return out
}

// Intents returns the intents the extractor may return, in config order.
func (e *Extractor) Intents() []string {
	return append([]string(nil), e.intents.names...)
}
