package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxCallbackBody bounds one callback; an acknowledgement reply is small.
const maxCallbackBody = 1 << 20

// callback is the part of loopdesk's reply callback that loadgen counts.
type callback struct {
	ID     string `json:"id"`
	Thread string `json:"thread"`
}

// receiver is the callback endpoint loopdesk posts its replies to. It counts
// distinct reply ids and distinct threads of this run, and remembers when
// each thread's first reply arrived. Safe for concurrent use.
type receiver struct {
	msgs   *messages
	secret []byte // empty: signatures are not checked
	base   time.Time

	mu        sync.Mutex
	ids       map[string]struct{}
	arrived   []int64 // per thread: ns after base + 1 of its first reply; 0: none
	threads   int     // distinct threads of this run with a reply
	posts     uint64  // callbacks accepted, repeats included
	dupIDs    uint64  // callbacks whose id was seen before
	foreign   uint64  // callbacks for a thread that is not this run's
	badSig    uint64  // callbacks rejected for their signature
	malformed uint64  // callbacks that were not a JSON reply with an id
}

func newReceiver(msgs *messages, secret string, base time.Time) *receiver {
	return &receiver{
		msgs:   msgs,
		secret: []byte(secret),
		base:   base,
		ids:    make(map[string]struct{}),
	}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxCallbackBody))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	now := time.Now()
	if len(rc.secret) > 0 && !validSignature(rc.secret, r.Header, body) {
		rc.count(&rc.badSig)
		// 401 marks the delivery failed for good, so a wrong secret shows
		// up as missing threads instead of as a retry storm.
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var cb callback
	if err := json.Unmarshal(body, &cb); err != nil || cb.ID == "" {
		rc.count(&rc.malformed)
		http.Error(w, "not a reply", http.StatusBadRequest)
		return
	}
	rc.record(cb, now)
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) count(c *uint64) {
	rc.mu.Lock()
	*c++
	rc.mu.Unlock()
}

// record counts one accepted reply that arrived at now.
func (rc *receiver) record(cb callback, now time.Time) {
	t, ours := rc.msgs.threadIndex(cb.Thread)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	if _, seen := rc.ids[cb.ID]; seen {
		rc.dupIDs++
		return
	}
	rc.ids[cb.ID] = struct{}{}
	if !ours {
		rc.foreign++
		return
	}
	for uint64(len(rc.arrived)) <= t {
		rc.arrived = append(rc.arrived, 0)
	}
	if rc.arrived[t] != 0 {
		return
	}
	rc.arrived[t] = int64(now.Sub(rc.base)) + 1
	rc.threads++
}

// validSignature checks X-Loopdesk-Signature: v1=hex(HMAC-SHA256(secret,
// timestamp + "." + body)) against X-Loopdesk-Timestamp. The signature header
// may list several comma-separated values during a key rotation.
func validSignature(secret []byte, h http.Header, body []byte) bool {
	ts := h.Get("X-Loopdesk-Timestamp")
	if ts == "" {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	for sig := range strings.SplitSeq(h.Get("X-Loopdesk-Signature"), ",") {
		hexSig, ok := strings.CutPrefix(strings.TrimSpace(sig), "v1=")
		if !ok {
			continue
		}
		if got, err := hex.DecodeString(hexSig); err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// deliveryCounts is a snapshot of what the receiver has seen.
type deliveryCounts struct {
	Posts, DistinctIDs, DupIDs, Foreign, BadSig, Malformed uint64
	Threads                                                int
}

func (rc *receiver) counts() deliveryCounts {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return deliveryCounts{
		Posts: rc.posts, DistinctIDs: uint64(len(rc.ids)), DupIDs: rc.dupIDs,
		Foreign: rc.foreign, BadSig: rc.badSig, Malformed: rc.malformed, Threads: rc.threads,
	}
}

// delivery compares the threads loopdesk acknowledged with the replies that
// came back for them.
type delivery struct {
	expected int       // threads with at least one 202
	replied  int       // expected threads with a reply
	unacked  int       // threads with a reply although none of their messages got a 202
	last     time.Time // first reply of the last expected thread to get one
	// latency runs from a thread's first send to its first reply.
	latency vegeta.LatencyMetrics
}

func (d delivery) missing() int { return d.expected - d.replied }

// compare matches the ledger against the receiver. withLatency also fills
// d.latency, which costs a t-digest insert per thread.
func compare(led *ledger, rc *receiver, withLatency bool) delivery {
	led.mu.Lock()
	defer led.mu.Unlock()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var d delivery
	var last int64
	for t, acked := range led.acked {
		arrived := int64(0)
		if t < len(rc.arrived) {
			arrived = rc.arrived[t]
		}
		switch {
		case acked && arrived != 0:
			d.replied++
			last = max(last, arrived)
			if withLatency && led.sent[t] != 0 {
				sent := led.base.Add(time.Duration(led.sent[t] - 1))
				d.latency.Add(max(rc.base.Add(time.Duration(arrived-1)).Sub(sent), 0))
			}
		case arrived != 0:
			d.unacked++
		}
		if acked {
			d.expected++
		}
	}
	for _, arrived := range rc.arrived[min(len(led.acked), len(rc.arrived)):] {
		if arrived != 0 {
			d.unacked++
		}
	}
	if last != 0 {
		d.last = rc.base.Add(time.Duration(last - 1))
	}
	return d
}

// awaitReplies waits until every acknowledged thread has a reply, ctx ends,
// or drain passes, and reports whether all replies came. Polling is enough:
// arrival times are stamped by the receiver, not by this loop.
func awaitReplies(ctx context.Context, led *ledger, rc *receiver, drain time.Duration) bool {
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		if rc.counts().Threads >= led.ackedThreads() && compare(led, rc, false).missing() == 0 {
			return true
		}
		select {
		case <-poll.C:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
