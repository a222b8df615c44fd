package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels/api"
)

// callbackCounter is an integrator's callback endpoint: it verifies each
// signed reply, refuses the first delivery of every id with a 503 (so that
// retries are pending when the server is killed), and counts the
// deliveries it accepts by outbound id.
type callbackCounter struct {
	mu       sync.Mutex
	refused  map[string]bool
	byID     map[string]int
	byTicket map[string]map[string]bool // ticket → outbound ids accepted
	bad      int
}

func newCallbackCounter() *callbackCounter {
	return &callbackCounter{refused: map[string]bool{}, byID: map[string]int{}, byTicket: map[string]map[string]bool{}}
}

func (c *callbackCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cb api.Callback
	ok := api.Verify(testAPIToken, r.Header, body, time.Now(), time.Minute) == nil && json.Unmarshal(body, &cb) == nil
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !ok:
		c.bad++
		http.Error(w, "bad callback", http.StatusBadRequest)
	case !c.refused[cb.ID]:
		c.refused[cb.ID] = true
		http.Error(w, "try again", http.StatusServiceUnavailable)
	default:
		c.byID[cb.ID]++
		if c.byTicket[cb.TicketID] == nil {
			c.byTicket[cb.TicketID] = map[string]bool{}
		}
		c.byTicket[cb.TicketID][cb.ID] = true
		w.WriteHeader(http.StatusNoContent)
	}
}

func (c *callbackCounter) accepted() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byID)
}

// loopdeskProcess is a real loopdesk serve process (this test binary
// re-executed as main).
type loopdeskProcess struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

var listenRe = regexp.MustCompile(`listening on (http://\S+)`)

func startLoopdesk(t *testing.T, dataDir, callbackURL string) *loopdeskProcess {
	t.Helper()
	return startLoopdeskEnv(t, dataDir, callbackURL, nil)
}

// startLoopdeskEnv starts loopdesk serve with extra environment settings.
func startLoopdeskEnv(t *testing.T, dataDir, callbackURL string, env []string) *loopdeskProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", dataDir)
	cmd.Env = append(append(os.Environ(), env...), "LOOPDESK_TEST_AS_MAIN=1",
		"LOOPDESK_CHANNELS_API_TOKEN="+testAPIToken, "LOOPDESK_AUTH_ADMIN_TOKEN="+testAdminToken,
		"LOOPDESK_CHANNELS_API_CALLBACK_URL="+callbackURL, "LOOPDESK_LOG_LEVEL=warn",
		"LOOPDESK_DELIVERY_BACKOFF=50ms", "LOOPDESK_DELIVERY_MAX_BACKOFF=200ms")
	p := &loopdeskProcess{cmd: cmd, logs: &bytes.Buffer{}}
	cmd.Stderr = p.logs
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
			p.url = m[1]
			break
		}
	}
	if p.url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("loopdesk did not start:\n%s", p.logs)
	}
	go io.Copy(io.Discard, stdout)
	return p
}

type sendResult struct {
	messageID string
	acked     bool
	duplicate bool
}

// postMessage sends message i once; only a 202 counts as acknowledged.
func postMessage(client *http.Client, url string, i int) sendResult {
	body := fmt.Sprintf(`{"external_id":"crash-%d","thread":"thread-%d","from":{"id":"thread-%d"},"text":"订单 %016d 还没发货，第%d条"}`,
		i, i%1500, i%1500, 2026112500000000+i, i)
	req, _ := http.NewRequest("POST", url+"/api/v1/channels/api/messages", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAPIToken)
	resp, err := client.Do(req)
	if err != nil {
		return sendResult{}
	}
	defer resp.Body.Close()
	var a struct {
		MessageID string `json:"message_id"`
		Duplicate bool   `json:"duplicate"`
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&a) != nil {
		return sendResult{}
	}
	return sendResult{messageID: a.MessageID, acked: true, duplicate: a.Duplicate}
}

const crashMessages = 2000

// sendAll posts every message from 64 clients at once. With kill, p gets
// SIGKILL once killAfter messages were acknowledged (or at the end).
func sendAll(p *loopdeskProcess, kill bool, killAfter int) []sendResult {
	results := make([]sendResult, crashMessages)
	var acked, next atomic.Int64
	var once sync.Once
	killOnce := func() { once.Do(func() { p.cmd.Process.Signal(syscall.SIGKILL) }) }
	client := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < crashMessages; i = int(next.Add(1) - 1) {
				results[i] = postMessage(client, p.url, i)
				if kill && results[i].acked && acked.Add(1) == int64(killAfter) {
					killOnce()
				}
			}
		})
	}
	wg.Wait()
	if kill {
		killOnce()
		p.cmd.Wait()
	}
	return results
}

// TestKill9LosesNothing: kill -9 during 2,000 concurrent messages, restart,
// let the client resend, kill -9 again while tickets are being filed and
// acknowledgements delivered (the receiver refuses each first delivery, so
// retries are pending), restart. Every message answered 202 is on exactly
// one ticket, and every ticket's acknowledgement reaches the receiver under
// exactly one outbound id.
func TestKill9LosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real loopdesk processes")
	}
	counter := newCallbackCounter()
	receiver := httptest.NewServer(counter)
	defer receiver.Close()
	dataDir := t.TempDir()

	results := sendAll(startLoopdesk(t, dataDir, receiver.URL), true, 700)
	acked := 0
	for _, r := range results {
		if r.acked {
			acked++
		}
	}
	t.Logf("first kill -9: %d of %d messages acknowledged", acked, crashMessages)

	second := startLoopdesk(t, dataDir, receiver.URL)
	// The client resends everything: what was not acknowledged, and more.
	for i, r := range sendAll(second, false, 0) {
		switch {
		case !r.acked:
			t.Fatalf("resend %d after restart failed", i)
		case results[i].acked && (r.messageID != results[i].messageID || !r.duplicate):
			t.Fatalf("message %d: %s before the crash, %+v after", i, results[i].messageID, r)
		}
		results[i] = r
	}
	waitFor(t, "some acknowledgements delivered", func() bool { return counter.accepted() >= 100 })
	second.cmd.Process.Signal(syscall.SIGKILL)
	second.cmd.Wait()
	t.Logf("second kill -9: %d acknowledgements accepted", counter.accepted())

	third := startLoopdesk(t, dataDir, receiver.URL)
	defer func() {
		third.cmd.Process.Signal(syscall.SIGTERM)
		if err := third.cmd.Wait(); err != nil {
			t.Errorf("graceful stop: %v\n%s", err, third.logs)
		}
	}()
	checkEveryMessageOnOneTicket(t, third.url, results, counter)
}

func checkEveryMessageOnOneTicket(t *testing.T, url string, results []sendResult, counter *callbackCounter) {
	t.Helper()
	waitFor(t, "the inbox and the outbox drain", func() bool {
		m := call(t, "GET", url+"/metrics", "", nil).raw
		return strings.Contains(m, "\nloopdesk_inbox_pending 0\n") && strings.Contains(m, "\nloopdesk_outbox_pending 0\n")
	})
	tickets := allTickets(t, url)
	onTicket := map[string][]string{}
	for _, tk := range tickets {
		for _, e := range tk["timeline"].([]any) {
			e := e.(map[string]any)
			if e["type"] == "message" {
				id := e["message_id"].(string)
				onTicket[id] = append(onTicket[id], tk["id"].(string))
			}
		}
	}
	for i, r := range results {
		if got := onTicket[r.messageID]; len(got) != 1 {
			t.Errorf("message %d (%s) is on tickets %v, want exactly one", i, r.messageID, got)
		}
	}
	if len(onTicket) != len(results) {
		t.Errorf("%d messages on tickets, %d sent", len(onTicket), len(results))
	}
	counter.mu.Lock()
	defer counter.mu.Unlock()
	for _, tk := range tickets {
		if ids := counter.byTicket[tk["id"].(string)]; len(ids) != 1 {
			t.Errorf("ticket %s: acknowledgements under %d outbound ids, want 1", tk["id"], len(ids))
		}
	}
	if len(tickets) != 1500 || counter.bad != 0 {
		t.Errorf("%d tickets (want 1500, one per thread), %d bad callbacks", len(tickets), counter.bad)
	}
	redelivered := 0
	for _, n := range counter.byID {
		redelivered += n - 1
	}
	t.Logf("%d tickets, %d acknowledgements, %d redelivered under the same id", len(tickets), len(counter.byID), redelivered)
}

func allTickets(t *testing.T, url string) []map[string]any {
	var out []map[string]any
	cursor := ""
	for {
		a := call(t, "GET", url+"/api/v1/tickets?limit=200&cursor="+cursor, testAdminToken, nil)
		for _, tk := range a.body["tickets"].([]any) {
			id := tk.(map[string]any)["id"].(string)
			out = append(out, call(t, "GET", url+"/api/v1/tickets/"+id, testAdminToken, nil).body)
		}
		next, _ := a.body["next_cursor"].(string)
		if next == "" {
			return out
		}
		cursor = next
	}
}

func countEntries(tk map[string]any, typ string) int {
	n := 0
	for _, e := range tk["timeline"].([]any) {
		if e.(map[string]any)["type"] == typ {
			n++
		}
	}
	return n
}
