package rules

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
)

// compiler turns a Config into the matcher vocabulary and the models,
// validating as it goes so New reports what is wrong and where.
type compiler struct {
	vocab *vocab
	uses  []use
	// examples[i] are intent i's example sentences, kept for the model.
	examples [][]string
}

func newCompiler() *compiler { return &compiler{vocab: newVocab()} }

// add registers phrase with meaning u.
func (c *compiler) add(phrase string, u use) error {
	if err := c.vocab.add(phrase, tag(len(c.uses))); err != nil {
		return err
	}
	c.uses = append(c.uses, u)
	return nil
}

// addAll registers every phrase of list under kind; where names the list
// in errors.
func (c *compiler) addAll(where string, list []string, kind useKind) error {
	for _, p := range list {
		if err := c.add(p, use{kind: kind}); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

var intentName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// intents compiles the intents and scoring settings.
func (c *compiler) intents(cfg Config, m *intentModel) error {
	if len(cfg.Intents) == 0 {
		return errors.New("nlu config: no intents")
	}
	var examples [][]string
	for i, in := range cfg.Intents {
		where := fmt.Sprintf("intent %q", in.Name)
		if in.Source != "" {
			where = in.Source + ": " + where
		}
		if !intentName.MatchString(in.Name) {
			return fmt.Errorf("%s: name must be lower-case letters, digits, '_' or '-'", where)
		}
		if slices.Contains(m.names, in.Name) {
			return fmt.Errorf("%s: defined twice", where)
		}
		if len(in.Keywords) == 0 && len(in.Combos) == 0 && len(in.Examples) == 0 {
			return fmt.Errorf("%s: needs keywords, combos or examples", where)
		}
		m.names = append(m.names, in.Name)
		if err := c.intentPhrases(where, i, in, m); err != nil {
			return err
		}
		examples = append(examples, in.Examples)
	}
	c.examples = examples
	return c.scoring(cfg.Scoring, examples, m)
}

// model trains the text model on the intents' examples and the training
// messages, applying the defaults of Scoring. A training message labeled
// with a built-in intent the company removed is skipped, so the shipped
// training files need no edit; any other unknown label is an error (a typo
// would otherwise silently drop training data).
func (c *compiler) model(cfg Config, m *intentModel) error {
	s := cfg.Scoring
	m.modelWeight = s.ModelWeight
	if m.modelWeight == 0 {
		m.modelWeight = 3
	}
	if m.modelWeight < 0 {
		return nil
	}
	epochs, rate := s.ModelEpochs, s.ModelRate
	if epochs <= 0 {
		epochs = 20
	}
	if rate <= 0 {
		rate = 1
	}
	texts := make([][]string, len(m.names))
	for i, list := range c.examples {
		texts[i] = append(texts[i], list...)
	}
	for _, ex := range cfg.Training {
		i := slices.Index(m.names, ex.Intent)
		switch {
		case i >= 0:
			texts[i] = append(texts[i], ex.Text)
		case !slices.Contains(nlu.BuiltinIntents(), ex.Intent):
			return fmt.Errorf("%s: intent %q is not configured", ex.Source, ex.Intent)
		}
	}
	m.model = newTextModel(texts, epochs, rate)
	return nil
}

// intentPhrases registers an intent's keywords and combos.
func (c *compiler) intentPhrases(where string, i int, in Intent, m *intentModel) error {
	keys := make([]string, 0, len(in.Keywords))
	for k := range in.Keywords {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic tags, whatever the map order
	for _, k := range keys {
		w := in.Keywords[k]
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("%s: keyword %q: weight must be a number", where, k)
		}
		if err := c.add(k, use{kind: useKeyword, a: int32(i), w: w}); err != nil {
			return fmt.Errorf("%s: keyword: %w", where, err)
		}
	}
	for j, cb := range in.Combos {
		cw := fmt.Sprintf("%s: combo %d", where, j+1)
		if len(cb.All) == 0 || len(cb.All) > 32 {
			return fmt.Errorf("%s: all needs 1 to 32 groups", cw)
		}
		if cb.Weight == 0 || math.IsNaN(cb.Weight) || math.IsInf(cb.Weight, 0) {
			return fmt.Errorf("%s: weight must be a non-zero number", cw)
		}
		id := int32(len(m.combos))
		for g, group := range cb.All {
			for _, p := range strings.Split(group, "|") {
				if err := c.add(p, use{kind: useCombo, a: id, b: int32(g)}); err != nil {
					return fmt.Errorf("%s: group %q: %w", cw, group, err)
				}
			}
		}
		m.combos = append(m.combos, comboRule{intent: i, full: uint32(1<<len(cb.All) - 1), weight: cb.Weight})
	}
	return nil
}

// scoring applies the defaults of Scoring and builds the example index.
func (c *compiler) scoring(s Scoring, examples [][]string, m *intentModel) error {
	if s.Fallback == "" {
		s.Fallback = "other"
	}
	m.fallback = slices.Index(m.names, s.Fallback)
	if m.fallback < 0 {
		return fmt.Errorf("%s: fallback intent %q is not configured", settingsFile, s.Fallback)
	}
	if err := c.addAll(settingsFile+": negators", s.Negators, useNegator); err != nil {
		return err
	}
	m.negWindow = s.NegationWindow
	if m.negWindow <= 0 {
		m.negWindow = 2
	}
	m.minScore = s.MinScore
	if m.minScore <= 0 {
		m.minScore = 1
	}
	m.exWeight = s.ExampleWeight
	if m.exWeight == 0 {
		m.exWeight = 4
	}
	k := s.ExampleNeighbors
	if k <= 0 {
		k = 2
	}
	if m.exWeight > 0 {
		m.examples = newExampleIndex(examples, k)
	}
	return nil
}

// priority compiles the priority rules' vocabularies.
func (c *compiler) priority(cfg Config, names []string, m *priorityModel) error {
	p := cfg.Priority
	lists := []struct {
		where string
		list  []string
		kind  useKind
	}{
		{"outage.wide", p.Outage.Wide, useOutageWide},
		{"outage.failing", p.Outage.Failing, useOutageFailing},
		{"outage.alone", p.Outage.Alone, useOutageAlone},
		{"hazard.terms", p.Hazard.Terms, useHazard},
		{"hazard.hypothetical", p.Hazard.Hypothetical, useHypothetical},
		{"hazard.not", p.Hazard.Not, useHazardNot},
		{"escalation.terms", p.Escalation.Terms, useEscalation},
		{"escalation.not", p.Escalation.Not, useEscalationNot},
		{"vip.terms", p.VIP.Terms, useVIP},
		{"vip.not", p.VIP.Not, useVIPNot},
		{"undelivered.paid", p.Undelivered.Paid, usePaid},
		{"undelivered.not_delivered", p.Undelivered.NotDelivered, useNotDelivered},
		{"deadline.blocked", p.Deadline.Blocked, useBlocked},
		{"deadline.today", p.Deadline.Today, useToday},
		{"general_consult.own_item", p.GeneralConsult.OwnItem, useOwnItem},
	}
	for _, l := range lists {
		if err := c.addAll(priorityFile+": "+l.where, l.list, l.kind); err != nil {
			return err
		}
	}
	m.minDays = p.Undelivered.MinDays
	if m.minDays <= 0 {
		m.minDays = 7
	}
	var err error
	if m.lowIntent, err = intentSet(names, p.LowIntents, "low_intents"); err != nil {
		return err
	}
	m.consultLow, err = intentSet(names, p.GeneralConsult.Intents, "general_consult.intents")
	return err
}

// intentSet turns intent names into a membership table by intent index.
func intentSet(names, list []string, where string) ([]bool, error) {
	set := make([]bool, len(names))
	for _, n := range list {
		i := slices.Index(names, n)
		if i < 0 {
			return nil, fmt.Errorf("%s: %s: intent %q is not configured", priorityFile, where, n)
		}
		set[i] = true
	}
	return set, nil
}

// fields compiles field labels and formats, applying the defaults of
// FieldsConfig.
func (c *compiler) fields(f FieldsConfig, m *fieldModel) error {
	for _, l := range []struct {
		where string
		list  []string
		kind  useKind
	}{
		{"order_id.labels", f.OrderID.Labels, useOrderLabel},
		{"device_sn.labels", f.DeviceSN.Labels, useSNLabel},
		{"tracking_no.labels", f.TrackingNo.Labels, useTrackingLabel},
		{"amount.target", f.Amount.Target, useAmountTarget},
		{"amount.charged", f.Amount.Charged, useAmountCharged},
	} {
		if err := c.addAll(fieldsFile+": "+l.where, l.list, l.kind); err != nil {
			return err
		}
	}
	m.order = orderFormat{
		digits:   rangeOr(f.OrderID.Digits, [2]int{12, 20}),
		letters:  rangeOr(f.OrderID.PrefixLetters, [2]int{2, 4}),
		prefixed: rangeOr(f.OrderID.PrefixedDigits, [2]int{6, 16}),
	}
	for _, r := range [][2]int{m.order.digits, m.order.letters, m.order.prefixed} {
		if r[0] <= 0 || r[1] < r[0] {
			return fmt.Errorf("%s: order_id: bad range %v", fieldsFile, r)
		}
	}
	m.selfLabelled = phraseRunes(f.OrderID.SelfLabelled)
	m.phonePrefix = phraseRunes(f.Phone.CountryPrefixes)
	m.excludeLocal = map[string]bool{}
	for _, l := range f.Email.ExcludeLocal {
		m.excludeLocal[strings.ToLower(strings.TrimSpace(l))] = true
	}
	for _, d := range f.Email.ExcludeDomains {
		m.excludeDom = append(m.excludeDom, strings.ToLower(strings.TrimSpace(d)))
	}
	m.trackingMin = f.TrackingNo.MinLength
	if m.trackingMin <= 0 {
		m.trackingMin = 8
	}
	for _, cr := range f.TrackingNo.Carriers {
		rs := normalize(strings.TrimSpace(cr.Prefix))
		if len(rs) == 0 || len(cr.Digits) == 0 || slices.Min(cr.Digits) <= 0 {
			return fmt.Errorf("%s: tracking_no.carriers: %q needs a prefix and positive digit counts", fieldsFile, cr.Prefix)
		}
		m.carriers = append(m.carriers, carrierFormat{prefix: rs, digits: cr.Digits})
	}
	return compileAmount(f.Amount, &m.amount)
}

// compileAmount builds the marker tables of the amount model.
func compileAmount(a AmountConfig, m *amountModel) error {
	measure := phraseRunes(a.Measure)
	mk := func(list []string) []marker {
		var out []marker
		for _, rs := range phraseRunes(list) {
			isMeasure := slices.ContainsFunc(measure, func(x []rune) bool { return string(x) == string(rs) })
			out = append(out, marker{text: rs, measure: isMeasure})
		}
		return out
	}
	m.before, m.after = mk(a.Before), mk(a.After)
	for _, x := range measure {
		if !slices.ContainsFunc(m.after, func(mk marker) bool { return string(mk.text) == string(x) }) {
			return fmt.Errorf("%s: amount.measure: %q is not one of amount.after", fieldsFile, string(x))
		}
	}
	m.followers = map[rune]bool{}
	for _, r := range a.MeasureFollowers {
		m.followers[r] = true
	}
	m.window = a.Window
	if m.window <= 0 {
		m.window = 8
	}
	return nil
}

// phraseRunes normalizes a list of plain strings, longest first so the
// longest marker or prefix is tried first, dropping empty ones.
func phraseRunes(list []string) [][]rune {
	var out [][]rune
	for _, s := range list {
		if rs := normalize(strings.TrimSpace(s)); len(rs) > 0 {
			out = append(out, rs)
		}
	}
	slices.SortStableFunc(out, func(a, b []rune) int { return len(b) - len(a) })
	return out
}

func rangeOr(r, def [2]int) [2]int {
	if r == [2]int{} {
		return def
	}
	return r
}
