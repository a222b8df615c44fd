package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/channeltest"
	"github.com/loopdesk/loopdesk/notify"
)

const testSecret = "test-signing-secret"

// webAPI is a double of Slack's Web API methods the channel calls, in
// Slack's wire format (form posts in, {"ok": …} JSON out).
type webAPI struct {
	mu        sync.Mutex
	posted    []map[string]string // channel, text, thread_ts, metadata id, ts
	updates   []string            // ts of messages chat.update changed
	userInfos int                 // users.info calls
	limitOnce bool                // the next chat.postMessage answers 429
	loseOnce  string              // the post with this metadata id is made, but its answer is a 500
}

func (a *webAPI) updated(ts string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Contains(a.updates, ts)
}

func (a *webAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	a.mu.Lock()
	defer a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/chat.postMessage":
		if a.limitOnce {
			a.limitOnce = false
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		if r.Form.Get("channel") == "C_GONE" {
			io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
			return
		}
		var md struct {
			EventPayload map[string]any `json:"event_payload"`
		}
		_ = json.Unmarshal([]byte(r.Form.Get("metadata")), &md)
		ts := fmt.Sprintf("1764151200.%06d", len(a.posted)+1)
		id, _ := md.EventPayload["id"].(string)
		a.posted = append(a.posted, map[string]string{"channel": r.Form.Get("channel"), "text": r.Form.Get("text"),
			"thread_ts": r.Form.Get("thread_ts"), "id": id, "ts": ts})
		if id != "" && id == a.loseOnce {
			a.loseOnce = ""
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.Form.Get("channel"), ts)
	case "/api/users.info":
		a.userInfos++
		email := map[string]string{"U_BY_EMAIL": "Li@Shop.example.com"}[r.Form.Get("user")]
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"profile":{"email":%q}}}`, r.Form.Get("user"), email)
	case "/api/chat.update":
		a.updates = append(a.updates, r.Form.Get("ts"))
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.Form.Get("channel"), r.Form.Get("ts"))
	case "/api/conversations.replies", "/api/conversations.history":
		var msgs []map[string]any
		for _, p := range a.posted {
			if p["channel"] == r.Form.Get("channel") {
				msgs = append(msgs, map[string]any{"type": "message", "text": p["text"], "ts": p["ts"],
					"metadata": map[string]any{"event_type": metadataType, "event_payload": map[string]any{"id": p["id"]}}})
			}
		}
		b, _ := json.Marshal(map[string]any{"ok": true, "messages": msgs, "has_more": false})
		w.Write(b)
	default:
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (a *webAPI) posts() []map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]string(nil), a.posted...)
}

func newTestChannel(t *testing.T, now func() time.Time) (*Channel, *channeltest.Core, *webAPI) {
	t.Helper()
	api := &webAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	core := channeltest.NewCore(now)
	ch, err := New(Config{SigningSecret: testSecret, BotToken: "xoxb-test", APIBase: srv.URL,
		DirectMessages: true, CustomerChannels: []string{"C_SHARED"}, Now: now,
		Logger: slog.New(slog.DiscardHandler)}, Deps{Handler: core, State: core})
	if err != nil {
		t.Fatal(err)
	}
	return ch, core, api
}

// signed is an event as Slack sends it, signed at now.
func signed(body string, now time.Time, header ...string) *http.Request {
	return signedAt("/hooks/slack/events", body, now, header...)
}

// signedAt is a request to path as Slack sends it, signed at now.
func signedAt(path, body string, now time.Time, header ...string) *http.Request {
	ts := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(testSecret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if strings.HasPrefix(body, "command=") || strings.Contains(body, "&command=") {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func dmEvent(eventID, ts, text string) string {
	return fmt.Sprintf(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1764151200,
"event":{"type":"message","channel":"D_CUST","channel_type":"im","user":"U_CUST","text":%q,"ts":%q,"event_ts":%q}}`, eventID, text, ts, ts)
}

func serveEvent(ch *Channel, r *http.Request) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	ch.Register(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

// The same event delivered again with X-Slack-Retry-Num 1..3 is stored
// once: the retries change nothing.
func TestEventRetriesStoredOnce(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, core, _ := newTestChannel(t, func() time.Time { return now })
	body := dmEvent("Ev1", "1764151200.000100", "我的订单 2026112500012345 还没发货")
	for retry := range 4 {
		h := []string{}
		if retry > 0 {
			h = []string{"X-Slack-Retry-Num", strconv.Itoa(retry), "X-Slack-Retry-Reason", "http_timeout"}
		}
		if w := serveEvent(ch, signed(body, now, h...)); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", retry, w.Code, w.Body)
		}
	}
	msgs := core.Messages()
	if len(msgs) != 1 {
		t.Fatalf("stored %d messages, want 1", len(msgs))
	}
	if once, _ := core.Remembered(); once != 1 {
		t.Errorf("%d event ids remembered, want 1", once)
	}
	m := msgs[0]
	if m.Channel != channels.Slack || m.Thread != "D_CUST" || m.From.ID != "U_CUST" || m.ExternalID != "D_CUST:1764151200.000100" || m.SentAt.Unix() != 1764151200 {
		t.Errorf("message %+v", m)
	}
}

// A changed body, a stale timestamp or a wrong secret is 401 with nothing
// stored; the URL check is answered with its challenge; bots, edits and
// channels that are not customers' are not customers.
func TestEventsRefusedAndIgnored(t *testing.T) {
	now := time.Unix(1764151200, 0)
	ch, core, _ := newTestChannel(t, func() time.Time { return now })
	body := dmEvent("Ev2", "1764151201.000100", "hi")
	tampered := signed(body, now)
	tampered.Body = io.NopCloser(strings.NewReader(strings.Replace(body, "hi", "ho", 1)))
	stale := signed(body, now.Add(-6*time.Minute))
	for name, r := range map[string]*http.Request{"body changed": tampered, "stale": stale} {
		if w := serveEvent(ch, r); w.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, w.Code)
		}
	}
	w := serveEvent(ch, signed(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, now))
	if w.Code != http.StatusOK || w.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification: %d %q", w.Code, w.Body)
	}
	for _, ev := range []string{
		strings.Replace(dmEvent("Ev3", "1764151202.000100", "bot"), `"user":"U_CUST"`, `"user":"U_CUST","bot_id":"B1"`, 1),
		strings.Replace(dmEvent("Ev4", "1764151203.000100", "edit"), `"type":"message",`, `"type":"message","subtype":"message_changed",`, 1),
		strings.Replace(dmEvent("Ev5", "1764151204.000100", "internal"), `"channel":"D_CUST","channel_type":"im"`, `"channel":"C_STAFF","channel_type":"channel"`, 1),
	} {
		if w := serveEvent(ch, signed(ev, now)); w.Code != http.StatusOK {
			t.Errorf("ignored event answered %d", w.Code)
		}
	}
	if n := len(core.Messages()); n != 0 {
		t.Errorf("%d messages stored from refused or ignored events", n)
	}
	// A customer channel: a top-level message starts a conversation, its thread continues it.
	shared := strings.Replace(dmEvent("Ev6", "1764151205.000100", "hello"), `"channel":"D_CUST","channel_type":"im"`, `"channel":"C_SHARED","channel_type":"channel"`, 1)
	reply := strings.Replace(strings.Replace(dmEvent("Ev7", "1764151206.000100", "more"), `"channel":"D_CUST","channel_type":"im"`, `"channel":"C_SHARED","channel_type":"channel","thread_ts":"1764151205.000100"`, 1), "", "", 0)
	serveEvent(ch, signed(shared, now))
	serveEvent(ch, signed(reply, now))
	if msgs := core.Messages(); len(msgs) != 2 || msgs[0].Thread != "C_SHARED:1764151205.000100" || msgs[1].Thread != msgs[0].Thread {
		t.Errorf("customer channel threads: %+v", msgs)
	}
}

// Replies go into the conversation with the outbox id in their metadata;
// a retried delivery that got through is not posted again; 429 asks the
// outbox to come back after Retry-After; a gone channel is permanent.
func TestSend(t *testing.T) {
	ch, _, api := newTestChannel(t, time.Now)
	ctx := context.Background()
	out := channels.Outbound{ID: "msg-1", Channel: channels.Slack, Thread: "C_SHARED:1764151205.000100", Text: "您好", Attempt: 1}
	if err := ch.Send(ctx, out); err != nil {
		t.Fatal(err)
	}
	out.Attempt = 2 // the first attempt timed out on our side, yet Slack took it
	if err := ch.Send(ctx, out); err != nil {
		t.Fatal(err)
	}
	if p := api.posts(); len(p) != 1 || p[0]["thread_ts"] != "1764151205.000100" || p[0]["id"] != "msg-1" || p[0]["text"] != "您好" {
		t.Fatalf("posted %v", p)
	}
	api.mu.Lock()
	api.limitOnce = true
	api.mu.Unlock()
	err := ch.Send(ctx, channels.Outbound{ID: "msg-2", Thread: "D_CUST", Text: "x", Attempt: 1})
	if d, ok := channels.RetryDelay(err); !ok || d != 7*time.Second {
		t.Errorf("429: %v, want retry after 7s", err)
	}
	if err := ch.Send(ctx, channels.Outbound{ID: "msg-3", Thread: "C_GONE", Text: "x", Attempt: 1}); !channels.IsPermanent(err) {
		t.Errorf("channel_not_found: %v, want permanent", err)
	}
}

// 200 replies to one Slack channel at once: each turn a pace apart, none
// lost, none repeated. The clock and the waits are the test's own.
func TestPacing(t *testing.T) {
	clk := channeltest.NewClock(time.Unix(1764151200, 0))
	ch, _, api := newTestChannel(t, clk.Now)
	var mu sync.Mutex
	ch.pace.sleep = func(_ context.Context, d time.Duration) bool { return true }
	ch.pace.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clk.Now() }
	var wg sync.WaitGroup
	pending := make(chan int, 200)
	for i := range 200 {
		pending <- i
	}
	close(pending)
	for range 16 {
		wg.Go(func() {
			for i := range pending {
				out := channels.Outbound{ID: fmt.Sprintf("msg-%d", i), Thread: "C_SHARED:1764151205.000100", Text: "x", Attempt: 1}
				for {
					err := ch.Send(context.Background(), out)
					if d, ok := channels.RetryDelay(err); ok { // the outbox comes back later
						mu.Lock()
						clk.Add(d)
						mu.Unlock()
						out.Attempt++
						continue
					}
					if err != nil {
						t.Error(err)
					}
					break
				}
			}
		})
	}
	wg.Wait()
	posts := api.posts()
	seen := map[string]bool{}
	for _, p := range posts {
		if seen[p["id"]] {
			t.Errorf("%s posted twice", p["id"])
		}
		seen[p["id"]] = true
	}
	if len(seen) != 200 {
		t.Errorf("%d of 200 replies posted", len(seen))
	}
	ch.pace.mu.Lock()
	next := ch.pace.next["C_SHARED"]
	ch.pace.mu.Unlock()
	if span := next.Sub(time.Unix(1764151200, 0)); span < 200*pace {
		t.Errorf("200 turns took %v of the channel's time, want at least %v", span, 200*pace)
	}
}

// Acceptance 4 on ticket cards: 200 new tickets for one group at once
// post 200 cards and 200 thread lines into its channel, a pace apart, none
// lost and none twice — also the card whose post Slack made but whose
// answer was lost, and the ones Slack asked to wait (429).
func TestTicketsPaced(t *testing.T) {
	clk := channeltest.NewClock(time.Unix(1764151200, 0))
	ch, _, api := newTestChannel(t, clk.Now)
	ch.cfg.Groups = map[string]string{"after_sales": "C_AFTER"}
	var mu sync.Mutex
	ch.pace.sleep = func(_ context.Context, d time.Duration) bool { return true }
	ch.pace.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clk.Now() }
	api.mu.Lock()
	api.loseOnce, api.limitOnce = "card/T-000077", true
	api.mu.Unlock()
	pending := make(chan int, 200)
	for i := 1; i <= 200; i++ {
		pending <- i
	}
	close(pending)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range pending {
				n := notify.Notice{ID: fmt.Sprintf("msg-%d", i), Kind: notify.KindNewTicket, TicketID: fmt.Sprintf("T-%06d", i),
					Subject: "退款", Text: "新工单", Priority: "normal", Group: "after_sales", Attempt: 1, CreatedAt: clk.Now()}
				for {
					err := ch.Notifier().Notify(context.Background(), n)
					if err == nil {
						break
					}
					if d, ok := channels.RetryDelay(err); ok {
						mu.Lock()
						clk.Add(d)
						mu.Unlock()
					}
					n.Attempt++ // the outbox tries again
				}
			}
		})
	}
	wg.Wait()
	cards, lines := map[string]int{}, map[string]int{}
	for _, p := range api.posts() {
		if p["thread_ts"] == "" {
			cards[p["id"]]++
		} else {
			lines[p["id"]]++
		}
	}
	if len(cards) != 200 || len(lines) != 200 {
		t.Errorf("%d cards and %d lines, want 200 each", len(cards), len(lines))
	}
	api.mu.Lock()
	if api.loseOnce != "" || api.limitOnce {
		t.Error("the lost answer or the 429 never happened; the test proves less than it says")
	}
	api.mu.Unlock()
	for id, n := range cards {
		if n != 1 {
			t.Errorf("%s posted %d times", id, n)
		}
	}
	for id, n := range lines {
		if n != 1 {
			t.Errorf("line %s posted %d times", id, n)
		}
	}
	ch.pace.mu.Lock()
	next := ch.pace.next["C_AFTER"]
	ch.pace.mu.Unlock()
	if span := next.Sub(time.Unix(1764151200, 0)); span < 400*pace {
		t.Errorf("400 posts took %v of the channel's time, want at least %v", span, 400*pace)
	}
}
