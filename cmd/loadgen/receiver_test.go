package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func postCallback(t *testing.T, rc *receiver, secret, body string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/replies", strings.NewReader(body))
	ts := "1764000000"
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + body))
	req.Header.Set("X-Loopdesk-Timestamp", ts)
	req.Header.Set("X-Loopdesk-Signature", "v0=deadbeef, v1="+hex.EncodeToString(mac.Sum(nil)))
	rec := httptest.NewRecorder()
	rc.ServeHTTP(rec, req)
	return rec.Code
}

func TestReceiverDedupesAndCounts(t *testing.T) {
	msgs := newMessages("r", 0, defaultText)
	rc := newReceiver(msgs, "s3cret", time.Now())
	for _, tc := range []struct {
		secret, body string
		want         int
	}{
		{"s3cret", `{"id":"a","thread":"lg-r-0","kind":"ack","attempt":1}`, http.StatusOK},
		{"s3cret", `{"id":"a","thread":"lg-r-0","kind":"ack","attempt":2}`, http.StatusOK}, // repeat delivery
		{"s3cret", `{"id":"b","thread":"lg-r-1"}`, http.StatusOK},
		{"s3cret", `{"id":"c","thread":"lg-r-1"}`, http.StatusOK}, // a second reply in a thread
		{"s3cret", `{"id":"d","thread":"lg-r-3"}`, http.StatusOK},
		{"s3cret", `{"id":"e","thread":"user-42"}`, http.StatusOK}, // not this run's
		{"s3cret", `{"thread":"lg-r-2"}`, http.StatusBadRequest},
		{"s3cret", `not json`, http.StatusBadRequest},
		{"wrong", `{"id":"f","thread":"lg-r-2"}`, http.StatusUnauthorized},
	} {
		if got := postCallback(t, rc, tc.secret, tc.body); got != tc.want {
			t.Errorf("POST %s: status %d, want %d", tc.body, got, tc.want)
		}
	}
	want := deliveryCounts{Posts: 6, DistinctIDs: 5, DupIDs: 1, Foreign: 1, BadSig: 1, Malformed: 2, Threads: 3}
	if got := rc.counts(); got != want {
		t.Errorf("counts\n got %+v\nwant %+v", got, want)
	}

	// Threads 0..2 were acknowledged; 2 got no reply and 3 got one without a 202.
	led := newLedger(rc.base, 4)
	for th := range uint64(3) {
		led.markSent(th, rc.base)
		led.markAcked(th)
	}
	d := compare(led, rc, true)
	if d.expected != 3 || d.replied != 2 || d.missing() != 1 || d.unacked != 1 || d.last.IsZero() {
		t.Errorf("compare = %+v: want 3 expected, 2 replied, 1 missing, 1 unacked", d)
	}
}

func TestValidSignature(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	mac := hmac.New(sha256.New, []byte("k"))
	mac.Write([]byte("17.{\"id\":\"x\"}"))
	good := "v1=" + hex.EncodeToString(mac.Sum(nil))
	for _, tc := range []struct {
		ts, sig string
		want    bool
	}{
		{"17", good, true},
		{"18", good, false},
		{"", good, false},
		{"17", "", false},
		{"17", strings.ToUpper(good[:3]) + good[3:], false},
		{"17", "v1=zz," + good, true},
	} {
		h := http.Header{}
		h.Set("X-Loopdesk-Timestamp", tc.ts)
		h.Set("X-Loopdesk-Signature", tc.sig)
		if got := validSignature([]byte("k"), h, body); got != tc.want {
			t.Errorf("timestamp %q signature %q: valid = %v, want %v", tc.ts, tc.sig, got, tc.want)
		}
	}
}
