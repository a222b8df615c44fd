package rules

// ruleHits holds the hits of one message grouped by kind, for the field
// readers and the priority rules, which ask "is there a label / trigger of
// this kind, and where?".
type ruleHits struct {
	rs     []rune
	byKind [useKinds][]hit
}

func newRuleHits(rs []rune, hits []hit, uses []use) *ruleHits {
	rh := &ruleHits{rs: rs}
	for _, h := range hits {
		k := uses[h.tag].kind
		if k >= useRuleFirst {
			rh.byKind[k] = append(rh.byKind[k], h)
		}
	}
	return rh
}

// text returns what a hit matched, as written after normalization.
func (rh *ruleHits) text(h hit) string { return string(rh.rs[h.start:h.end]) }

// firstUncovered returns the first hit of kind that no hit of notKind
// covers, so a longer "not" phrase ("工商银行") cancels the trigger inside
// it ("工商").
func (rh *ruleHits) firstUncovered(kind, notKind useKind) (hit, bool) {
	for _, h := range rh.byKind[kind] {
		if !rh.covered(h, notKind) {
			return h, true
		}
	}
	return hit{}, false
}

// covered reports whether a hit of kind spans all of h.
func (rh *ruleHits) covered(h hit, kind useKind) bool {
	for _, n := range rh.byKind[kind] {
		if n.start <= h.start && n.end >= h.end {
			return true
		}
	}
	return false
}

// first returns the first hit of kind.
func (rh *ruleHits) first(kind useKind) (hit, bool) {
	if len(rh.byKind[kind]) == 0 {
		return hit{}, false
	}
	return rh.byKind[kind][0], true
}
