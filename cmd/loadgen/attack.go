package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// messagesPath is the generic API channel's inbound endpoint (CONTRACT.md).
const messagesPath = "/api/v1/channels/api/messages"

// seqHeader carries a message's number so the transport can tell which
// thread a 202 acknowledged: vegeta's Result does not say which target it hit.
const seqHeader = "X-Loadgen-Seq"

// messagesURL accepts loopdesk's base URL or the full endpoint.
func messagesURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q: want an absolute http(s) URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = messagesPath
	}
	return u.String(), nil
}

// orderPlaceholder in the message text is replaced by a per-message order number.
const orderPlaceholder = "{order}"

// maxThreads bounds a thread index read back from a callback, so a stray
// name cannot make the per-thread tables huge.
const maxThreads = 1 << 26

// firstOrder is the order number of message 0; message n mentions firstOrder+n.
const firstOrder = 2026112500000000

// messages builds the inbound message bodies of one run. Message n has
// external_id "lg-<run>-<n>" and lives in thread "lg-<run>-<t>", where t is n,
// or n modulo threads when threads are reused. Safe for concurrent use.
type messages struct {
	threads uint64 // 0: one thread per message
	prefix  string // "lg-<run>-"

	// Fixed pieces of the JSON body, escaped once.
	head, mid, tail, textA, textB []byte
	ordered                       bool // the text has an order number to vary
}

func newMessages(run string, threads int, text string) *messages {
	m := &messages{threads: uint64(max(threads, 0)), prefix: "lg-" + run + "-"}
	m.head = []byte(`{"external_id":"` + m.prefix)
	m.mid = []byte(`","thread":"` + m.prefix)
	m.tail = []byte(`","from":{"id":"` + m.prefix)
	a, b, ok := strings.Cut(text, orderPlaceholder)
	m.textA, m.textB, m.ordered = jsonString(a), jsonString(b), ok
	return m
}

// jsonString returns s escaped for use inside a JSON string, without quotes.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return b[1 : len(b)-1]
}

// thread returns the index of message n's thread.
func (m *messages) thread(n uint64) uint64 {
	if m.threads == 0 {
		return n
	}
	return n % m.threads
}

// threadIndex parses a thread name of this run back to its index.
func (m *messages) threadIndex(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, m.prefix)
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || t >= maxThreads || (m.threads > 0 && t >= m.threads) {
		return 0, false
	}
	return t, true
}

// body returns message n's JSON in one allocation.
func (m *messages) body(n uint64) []byte {
	t := m.thread(n)
	b := make([]byte, 0, len(m.head)+2*len(m.mid)+len(m.textA)+len(m.textB)+96)
	b = strconv.AppendUint(append(b, m.head...), n, 10)
	b = strconv.AppendUint(append(b, m.mid...), t, 10)
	b = strconv.AppendUint(append(b, m.tail...), t, 10)
	b = append(b, `","name":"压测"},"text":"`...)
	b = append(b, m.textA...)
	if m.ordered {
		b = strconv.AppendUint(b, firstOrder+n, 10)
		b = append(b, m.textB...)
	}
	return append(b, `"}`...)
}

// ledger records, per thread, when its first message was sent and whether any
// of its messages was acknowledged with 202. Safe for concurrent use.
type ledger struct {
	base  time.Time
	mu    sync.Mutex
	sent  []int64 // ns after base + 1 of the thread's first send; 0: never sent
	acked []bool
	nAck  int // distinct acknowledged threads
}

func newLedger(base time.Time, expect int) *ledger {
	return &ledger{base: base, sent: make([]int64, 0, expect), acked: make([]bool, 0, expect)}
}

func (l *ledger) grow(t uint64) {
	for uint64(len(l.sent)) <= t {
		l.sent = append(l.sent, 0)
		l.acked = append(l.acked, false)
	}
}

func (l *ledger) markSent(t uint64, at time.Time) {
	l.mu.Lock()
	l.grow(t)
	if l.sent[t] == 0 {
		l.sent[t] = int64(at.Sub(l.base)) + 1
	}
	l.mu.Unlock()
}

func (l *ledger) markAcked(t uint64) {
	l.mu.Lock()
	l.grow(t)
	if !l.acked[t] {
		l.acked[t] = true
		l.nAck++
	}
	l.mu.Unlock()
}

// ackedThreads returns how many distinct threads got at least one 202.
func (l *ledger) ackedThreads() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nAck
}

// tracker is the RoundTripper under vegeta's client: it tells the ledger
// which thread each request belongs to and which ones were answered 202.
type tracker struct {
	next   http.RoundTripper
	msgs   *messages
	ledger *ledger
}

func (tr *tracker) RoundTrip(req *http.Request) (*http.Response, error) {
	n, err := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	if err != nil {
		return tr.next.RoundTrip(req)
	}
	t := tr.msgs.thread(n)
	tr.ledger.markSent(t, time.Now())
	resp, err := tr.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusAccepted {
		tr.ledger.markAcked(t)
	}
	return resp, err
}

// attackConfig describes one constant-rate attack.
type attackConfig struct {
	URL      string        // the messages endpoint
	Token    string        // bearer token; empty sends none
	Rate     int           // messages per second
	Duration time.Duration // how long to send
	Clients  int           // concurrent requests and connections
	Timeout  time.Duration // per request
}

// attackResult is what one attack measured.
type attackResult struct {
	cfg     attackConfig
	began   time.Time
	metrics vegeta.Metrics // latency from the moment the request was sent
	// fromSchedule is latency from the moment the pacer meant the request
	// to go out: when all clients are busy vegeta sends late, and this keeps
	// that wait in the figure instead of hiding it (coordinated omission).
	fromSchedule vegeta.LatencyMetrics
	acked        uint64 // 202 answers
	dupAnswers   uint64 // 202 answers saying "duplicate": true
}

// attack runs one open-loop attack of msgs against cfg.URL and records every
// thread it touched in led. It returns when all answers are in or ctx ends.
func attack(ctx context.Context, cfg attackConfig, msgs *messages, led *ledger) *attackResult {
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        cfg.Clients,
		MaxIdleConnsPerHost: cfg.Clients,
		MaxConnsPerHost:     cfg.Clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		// Bounds a request with one timer; http.Client.Timeout would add a
		// context and a goroutine per request, a tenth of loadgen's CPU.
		ResponseHeaderTimeout: cfg.Timeout,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport:     &tracker{next: transport, msgs: msgs, ledger: led},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(uint64(cfg.Clients)),
		vegeta.MaxWorkers(uint64(cfg.Clients)),
		vegeta.MaxBody(512), // the answer is a short JSON object
	)
	auth := []string{"Bearer " + cfg.Token}
	jsonType := []string{"application/json"}
	var next atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		n := next.Add(1) - 1
		t.Method = http.MethodPost
		t.URL = cfg.URL
		t.Body = msgs.body(n)
		t.Header = http.Header{"Content-Type": jsonType, seqHeader: {strconv.FormatUint(n, 10)}}
		if cfg.Token != "" {
			t.Header["Authorization"] = auth
		}
		return nil
	}

	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	res := &attackResult{cfg: cfg, began: time.Now()}
	pacer := vegeta.ConstantPacer{Freq: cfg.Rate, Per: time.Second}
	interval := time.Duration(time.Second.Nanoseconds() / int64(cfg.Rate))
	// No attack name: vegeta would send it as one more header per request.
	for r := range atk.Attack(targeter, pacer, cfg.Duration, "") {
		res.add(r, interval)
	}
	res.metrics.Close()
	if n := res.metrics.Requests; n > 0 {
		res.fromSchedule.Mean = res.fromSchedule.Total / time.Duration(n)
	}
	return res
}

var duplicateKey = []byte(`"duplicate"`)

func (res *attackResult) add(r *vegeta.Result, interval time.Duration) {
	res.metrics.Add(r)
	// The constant pacer releases request seq at began + (seq+1)*interval.
	scheduled := res.began.Add(time.Duration(r.Seq+1) * interval)
	res.fromSchedule.Add(max(r.End().Sub(scheduled), r.Latency))
	if r.Code != http.StatusAccepted {
		return
	}
	res.acked++
	if i := bytes.Index(r.Body, duplicateKey); i >= 0 {
		rest := bytes.TrimLeft(r.Body[i+len(duplicateKey):], " \t\r\n:")
		if bytes.HasPrefix(rest, []byte("true")) {
			res.dupAnswers++
		}
	}
}
