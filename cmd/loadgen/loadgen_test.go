package main

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every test asserts on counts only: timings on a shared CI machine say
// nothing about loadgen's correctness.

func listenCallbacks(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, "http://" + ln.Addr().String() + "/loopdesk/replies"
}

func testOptions(url string, ln net.Listener) options {
	return options{
		URL: url, Token: "tok", Rate: 200, Duration: time.Second, Clients: 8,
		Timeout: 5 * time.Second, Drain: 10 * time.Second, Text: defaultText,
		CallbackSecret: "s3cret", run: "t", callbackLn: ln,
	}
}

func TestRunCountsEveryAckAndReply(t *testing.T) {
	t.Parallel()
	ln, callback := listenCallbacks(t)
	fake := &fakeLoopdesk{token: "tok", callbackURL: callback, secret: "s3cret"}
	srv := newFakeLoopdesk(t, fake)

	o := testOptions(srv.URL, ln)
	o.Baseline = true
	rep, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	fake.check()
	ld, e := rep.Loopdesk, rep.E2E
	stored, threads, _ := fake.counts()
	if ld.Sent == 0 || ld.Acked != ld.Sent || uint64(stored) != ld.Sent || ld.StatusCodes["202"] != int(ld.Sent) {
		t.Errorf("sent %d, acked %d, fake stored %d, codes %v: want all equal", ld.Sent, ld.Acked, stored, ld.StatusCodes)
	}
	if threads != stored {
		t.Errorf("%d threads for %d messages: want a thread per message", threads, stored)
	}
	if ld.DuplicateAnswers != 0 || len(ld.Errors) != 0 {
		t.Errorf("duplicate answers %d, errors %v: want none", ld.DuplicateAnswers, ld.Errors)
	}
	want := e2eReport{
		CallbackAddr: ln.Addr().String(), ExpectedThreads: int(ld.Acked), RepliedThreads: int(ld.Acked),
		Replies: ld.Acked, Drained: true,
	}
	if got := countsOnly(*e); got != want {
		t.Errorf("e2e counts\n got %+v\nwant %+v", got, want)
	}
	if e.DeliveredPerSec <= 0 || e.WindowS <= 0 {
		t.Errorf("delivered %v/s over %vs: want positive", e.DeliveredPerSec, e.WindowS)
	}
	b := rep.Baseline
	if b == nil || b.Sent == 0 || b.Acked != b.Sent || rep.Ratio == nil {
		t.Fatalf("baseline %+v, ratio %+v: want every message acked and a ratio", b, rep.Ratio)
	}
}

func TestRunReusedThreadsExpectOneReplyEach(t *testing.T) {
	t.Parallel()
	ln, callback := listenCallbacks(t)
	fake := &fakeLoopdesk{token: "tok", callbackURL: callback, secret: "s3cret"}
	srv := newFakeLoopdesk(t, fake)

	o := testOptions(srv.URL, ln)
	o.Threads = 10
	rep, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	fake.check()
	ld := rep.Loopdesk
	if stored, threads, _ := fake.counts(); ld.Acked != ld.Sent || uint64(stored) != ld.Sent || threads != 10 {
		t.Errorf("sent %d, acked %d, fake stored %d in %d threads: want all acked in 10 threads",
			ld.Sent, ld.Acked, stored, threads)
	}
	want := e2eReport{
		CallbackAddr: ln.Addr().String(), ExpectedThreads: 10, RepliedThreads: 10, Replies: 10, Drained: true,
	}
	if got := countsOnly(*rep.E2E); got != want {
		t.Errorf("e2e counts\n got %+v\nwant %+v", got, want)
	}
}

func TestRunReportsErrorsDuplicatesAndMissingReplies(t *testing.T) {
	t.Parallel()
	ln, callback := listenCallbacks(t)
	fake := &fakeLoopdesk{
		token: "tok", callbackURL: callback, secret: "s3cret", repeat: 1,
		status: func(n uint64) int {
			if n%7 == 3 {
				return http.StatusServiceUnavailable
			}
			return http.StatusAccepted
		},
		drop: func(thread string) bool { return strings.HasSuffix(thread, "5") },
	}
	srv := newFakeLoopdesk(t, fake)

	o := testOptions(srv.URL, ln)
	o.Drain = 2 * time.Second // the dropped replies never come
	rep, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	fake.check()
	ld := rep.Loopdesk
	stored, _, dropped := fake.counts()
	unavailable := ld.StatusCodes["503"]
	if unavailable == 0 || dropped == 0 {
		t.Fatalf("503s %d, dropped replies %d: the test wants some of each", unavailable, dropped)
	}
	if ld.Acked != uint64(stored) || ld.Sent != ld.Acked+uint64(unavailable) || ld.StatusCodes["202"] != stored {
		t.Errorf("sent %d, acked %d, 503 %d, fake stored %d: want sent = acked + 503 and acked = stored",
			ld.Sent, ld.Acked, unavailable, stored)
	}
	replied := stored - dropped
	want := e2eReport{
		CallbackAddr: ln.Addr().String(), ExpectedThreads: stored, RepliedThreads: replied,
		MissingThreads: dropped, Replies: uint64(replied), Duplicates: uint64(replied),
	}
	if got := countsOnly(*rep.E2E); got != want {
		t.Errorf("e2e counts\n got %+v\nwant %+v", got, want)
	}
}

func TestRunWrongCallbackSecretCountsBadSignatures(t *testing.T) {
	t.Parallel()
	ln, callback := listenCallbacks(t)
	fake := &fakeLoopdesk{token: "tok", callbackURL: callback, secret: "other"}
	srv := newFakeLoopdesk(t, fake)

	o := testOptions(srv.URL, ln)
	o.Rate, o.Drain = 50, 300*time.Millisecond
	rep, err := run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	e := rep.E2E
	if e.BadSignature == 0 || e.Replies != 0 || e.MissingThreads != e.ExpectedThreads {
		t.Errorf("bad signatures %d, replies %d, missing %d of %d: want every reply rejected",
			e.BadSignature, e.Replies, e.MissingThreads, e.ExpectedThreads)
	}
}

// countsOnly zeroes the measured times so reports compare on counts.
func countsOnly(e e2eReport) e2eReport {
	e.WindowS, e.DeliveredPerSec, e.Latency = 0, 0, latencyReport{}
	return e
}

func TestMessageBodies(t *testing.T) {
	for _, tc := range []struct {
		threads      int
		n            uint64
		text         string
		thread, want string
	}{
		{0, 0, defaultText, "lg-r-0", "订单 2026112500000000 还没发货，麻烦帮我查一下物流"},
		{0, 12345, defaultText, "lg-r-12345", "订单 2026112500012345 还没发货，麻烦帮我查一下物流"},
		{10, 12345, defaultText, "lg-r-5", "订单 2026112500012345 还没发货，麻烦帮我查一下物流"},
		{0, 7, `说 "你好"\n`, "lg-r-7", `说 "你好"\n`},
	} {
		m := newMessages("r", tc.threads, tc.text)
		var got inbound
		if err := json.Unmarshal(m.body(tc.n), &got); err != nil {
			t.Fatalf("body %s: %v", m.body(tc.n), err)
		}
		if got.ExternalID != "lg-r-"+strconv.FormatUint(tc.n, 10) || got.Thread != tc.thread ||
			got.From.ID != tc.thread || got.From.Name != "压测" || got.Text != tc.want {
			t.Errorf("message %d with %d threads: got %+v", tc.n, tc.threads, got)
		}
		if idx, ok := m.threadIndex(got.Thread); !ok || idx != m.thread(tc.n) {
			t.Errorf("threadIndex(%q) = %d, %v; want %d", got.Thread, idx, ok, m.thread(tc.n))
		}
	}
	m := newMessages("r", 10, defaultText)
	for _, name := range []string{"lg-r-10", "lg-s-1", "lg-r-", "lg-r-x", "user-42"} {
		if _, ok := m.threadIndex(name); ok {
			t.Errorf("threadIndex(%q) accepted a thread that is not this run's", name)
		}
	}
}

func TestMessagesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":                                 "http://127.0.0.1:8080" + messagesPath,
		"http://127.0.0.1:8080/":                                "http://127.0.0.1:8080" + messagesPath,
		"https://desk.example.com/api/v1/channels/api/messages": "https://desk.example.com/api/v1/channels/api/messages",
	} {
		if got, err := messagesURL(in); err != nil || got != want {
			t.Errorf("messagesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"127.0.0.1:8080", "ftp://x", "http://"} {
		if _, err := messagesURL(in); err == nil {
			t.Errorf("messagesURL(%q) accepted it", in)
		}
	}
}
