package rules

import (
	"fmt"
	"strings"
)

// The matcher finds every configured phrase in a message in one pass
// (Aho-Corasick over runes), so the cost of a message does not grow with the
// size of the vocabulary: thousands of phrases cost what a handful do.

// tag identifies what a phrase means to the extractor; it indexes
// Extractor.uses.
type tag = int32

// hit is one occurrence of a phrase: [start, end) in normalized runes.
type hit struct {
	tag        tag
	start, end int32
}

// entry is one use of a phrase text with its boundary rules.
type entry struct {
	tag                 tag
	leftFree, rightFree bool
}

type acNode struct {
	next map[rune]int32
	fail int32
	// out lists the phrase texts that end at this node, including those
	// reached through failure links, so scan needs no link walking.
	out []int32
}

// vocab collects phrases before they are compiled into a matcher.
type vocab struct {
	ids     map[string]int32
	texts   [][]rune
	entries [][]entry
}

func newVocab() *vocab { return &vocab{ids: map[string]int32{}} }

// add registers raw (config syntax: optional '*' at either end) under t.
func (v *vocab) add(raw string, t tag) error {
	s := strings.TrimSpace(raw)
	e := entry{tag: t}
	if strings.HasPrefix(s, "*") {
		e.leftFree, s = true, s[1:]
	}
	if strings.HasSuffix(s, "*") {
		e.rightFree, s = true, s[:len(s)-1]
	}
	rs := normalize(strings.TrimSpace(s))
	if len(rs) == 0 {
		return fmt.Errorf("empty phrase %q", raw)
	}
	key := string(rs)
	id, ok := v.ids[key]
	if !ok {
		id = int32(len(v.texts))
		v.ids[key] = id
		v.texts = append(v.texts, rs)
		v.entries = append(v.entries, nil)
	}
	v.entries[id] = append(v.entries[id], e)
	return nil
}

// matcher is a compiled vocab. It is read-only after compile and so safe
// for concurrent use.
type matcher struct {
	nodes   []acNode
	texts   [][]rune
	entries [][]entry
}

func (v *vocab) compile() *matcher {
	m := &matcher{nodes: []acNode{{}}, texts: v.texts, entries: v.entries}
	for id, rs := range v.texts {
		n := int32(0)
		for _, r := range rs {
			nx, ok := m.nodes[n].next[r]
			if !ok {
				nx = int32(len(m.nodes))
				m.nodes = append(m.nodes, acNode{})
				if m.nodes[n].next == nil {
					m.nodes[n].next = map[rune]int32{}
				}
				m.nodes[n].next[r] = nx
			}
			n = nx
		}
		m.nodes[n].out = append(m.nodes[n].out, int32(id))
	}
	m.link()
	return m
}

// link sets failure links breadth first and merges outputs along them.
func (m *matcher) link() {
	queue := make([]int32, 0, len(m.nodes))
	for _, child := range m.nodes[0].next {
		queue = append(queue, child)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for r, child := range m.nodes[n].next {
			f := m.nodes[n].fail
			for f != 0 && m.nodes[f].next[r] == 0 {
				f = m.nodes[f].fail
			}
			if nx, ok := m.nodes[f].next[r]; ok && nx != child {
				m.nodes[child].fail = nx
			}
			fo := m.nodes[m.nodes[child].fail].out
			m.nodes[child].out = append(m.nodes[child].out, fo...)
			queue = append(queue, child)
		}
	}
}

// scan appends every occurrence of every phrase in rs to dst, in order of
// end position, honouring word boundaries (see Config).
func (m *matcher) scan(rs []rune, dst []hit) []hit {
	n := int32(0)
	for i, r := range rs {
		for {
			if nx, ok := m.nodes[n].next[r]; ok {
				n = nx
				break
			}
			if n == 0 {
				break
			}
			n = m.nodes[n].fail
		}
		for _, id := range m.nodes[n].out {
			end := i + 1
			start := end - len(m.texts[id])
			for _, e := range m.entries[id] {
				if !e.leftFree && start > 0 && sameWordClass(rs[start-1], rs[start]) {
					continue
				}
				if !e.rightFree && end < len(rs) && sameWordClass(rs[end-1], rs[end]) {
					continue
				}
				dst = append(dst, hit{tag: e.tag, start: int32(start), end: int32(end)})
			}
		}
	}
	return dst
}
