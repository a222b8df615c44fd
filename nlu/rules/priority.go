package rules

import (
	"github.com/loopdesk/loopdesk/nlu"
)

// priorityModel applies LABELS.md §3 in its order — U1, U2, H1, H2, H3, H4,
// then L1, L2, else normal — with trigger words from priority.yaml. Urgency
// words (急, ASAP) are deliberately absent: the guide says they change
// nothing by themselves.
type priorityModel struct {
	minDays    int
	lowIntent  []bool // L1, by intent index
	consultLow []bool // L2, by intent index
}

// decide returns the priority of a message whose intent is intent, and the
// reasons: every urgent or high rule that matched, the first one deciding,
// or the low rule that applied.
func (m *priorityModel) decide(rh *ruleHits, intent int, intentName string) (string, []string) {
	var reasons []string
	if r, ok := m.outage(rh); ok {
		reasons = append(reasons, r)
	}
	if r, ok := m.hazard(rh); ok {
		reasons = append(reasons, r)
	}
	if len(reasons) > 0 {
		return nlu.PriorityUrgent, append(reasons, m.high(rh)...)
	}
	if reasons = m.high(rh); len(reasons) > 0 {
		return nlu.PriorityHigh, reasons
	}
	if m.lowIntent[intent] {
		return nlu.PriorityLow, []string{"L1 intent " + intentName}
	}
	if m.consultLow[intent] {
		if h, ok := rh.first(useOwnItem); ok {
			return nlu.PriorityNormal, []string{"not L2: own item: " + rh.text(h)}
		}
		return nlu.PriorityLow, []string{"L2 general " + intentName}
	}
	return nlu.PriorityNormal, nil
}

// outage is U1: a failure with wide impact, or a phrase that says both.
func (m *priorityModel) outage(rh *ruleHits) (string, bool) {
	if h, ok := rh.first(useOutageAlone); ok {
		return "U1 outage: " + rh.text(h), true
	}
	w, okW := rh.first(useOutageWide)
	f, okF := rh.first(useOutageFailing)
	if okW && okF {
		return "U1 outage with wide impact: " + rh.text(w) + " + " + rh.text(f), true
	}
	return "", false
}

// hazard is U2: a hazard word with no hypothetical marker in its clause.
func (m *priorityModel) hazard(rh *ruleHits) (string, bool) {
	for _, h := range rh.byKind[useHazard] {
		if rh.covered(h, useHazardNot) {
			continue
		}
		start := int32(clauseStart(rh.rs, int(h.start)))
		end := int32(clauseEnd(rh.rs, int(h.end)))
		hypothetical := false
		for _, q := range rh.byKind[useHypothetical] {
			if q.start >= start && q.end <= end {
				hypothetical = true
				break
			}
		}
		if !hypothetical {
			return "U2 safety hazard: " + rh.text(h), true
		}
	}
	return "", false
}

// high returns the reasons of every high rule that matches (H1..H4).
func (m *priorityModel) high(rh *ruleHits) []string {
	var reasons []string
	if h, ok := rh.firstUncovered(useEscalation, useEscalationNot); ok {
		reasons = append(reasons, "H1 escalation threat: "+rh.text(h))
	}
	if h, ok := rh.firstUncovered(useVIP, useVIPNot); ok {
		reasons = append(reasons, "H2 VIP tier: "+rh.text(h))
	}
	if r, ok := m.undelivered(rh); ok {
		reasons = append(reasons, r)
	}
	b, okB := rh.first(useBlocked)
	t, okT := rh.first(useToday)
	if okB && okT {
		reasons = append(reasons, "H4 blocked with a same-day deadline: "+rh.text(b)+" + "+rh.text(t))
	}
	return reasons
}

// undelivered is H3: paid, not delivered, and a stated duration of at least
// minDays.
func (m *priorityModel) undelivered(rh *ruleHits) (string, bool) {
	p, okP := rh.first(usePaid)
	n, okN := rh.first(useNotDelivered)
	if !okP || !okN {
		return "", false
	}
	days, span := longestDuration(rh.rs)
	if days < m.minDays {
		return "", false
	}
	return "H3 paid, not delivered for " + span + ": " + rh.text(p) + " + " + rh.text(n), true
}

// clauseEnd returns the index just past the last rune of the clause that
// holds position i-1.
func clauseEnd(rs []rune, i int) int {
	for j := i; j < len(rs); j++ {
		if isClauseBreak(rs, j) {
			return j
		}
	}
	return len(rs)
}
