package cascade

import (
	"container/list"
	"strings"
	"sync"
	"unicode"

	"github.com/loopdesk/loopdesk/nlu"
)

// lru is a bounded least-recently-used cache of LLM readings. Customers
// and channels repeat themselves ("在吗", auto-replies, the same complaint
// pasted twice); a repeat costs no call.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values are *entry
	items map[string]*list.Element
}

type entry struct {
	key string
	ex  nlu.Extraction
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru) get(key string) (nlu.Extraction, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nlu.Extraction{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).ex, true
}

func (c *lru) put(key string, ex nlu.Extraction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*entry).ex = ex
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&entry{key, ex})
	if c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry).key)
	}
}

// cacheKey is the text as the extractors read it: full-width forms as
// ASCII, case folded, runs of space as one. Texts that differ only there
// get the same reading, so they share an entry.
func cacheKey(text string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(text) {
		switch {
		case r == '\u3000' || unicode.IsSpace(r):
			space = true
			continue
		case 0xFF01 <= r && r <= 0xFF5E:
			r -= 0xFEE0 // full-width ASCII block
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
