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
// signed reply and counts deliveries by outbound id.
type callbackCounter struct {
	mu       sync.Mutex
	byID     map[string]int
	byTicket map[string]map[string]bool // ticket → outbound ids received
	bad      int
}

func (c *callbackCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var cb api.Callback
	if api.Verify(testAPIToken, r.Header, body, time.Now(), time.Minute) != nil || json.Unmarshal(body, &cb) != nil {
		c.mu.Lock()
		c.bad++
		c.mu.Unlock()
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID[cb.ID]++
	if c.byTicket[cb.TicketID] == nil {
		c.byTicket[cb.TicketID] = map[string]bool{}
	}
	c.byTicket[cb.TicketID][cb.ID] = true
	w.WriteHeader(http.StatusNoContent)
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
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--data", dataDir)
	cmd.Env = append(os.Environ(), "LOOPDESK_TEST_AS_MAIN=1",
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
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&a) != nil {
		return sendResult{}
	}
	return sendResult{messageID: a.MessageID, acked: true}
}

// TestKill9LosesNothing: kill -9 during 2,000 concurrent messages, restart.
// Every message answered 202 is on exactly one ticket, and every ticket's
// acknowledgement reaches the callback receiver under exactly one outbound id.
func TestKill9LosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills real loopdesk processes")
	}
	const total, clients, killAfter = 2000, 64, 700
	counter := &callbackCounter{byID: map[string]int{}, byTicket: map[string]map[string]bool{}}
	receiver := httptest.NewServer(counter)
	defer receiver.Close()
	dataDir := t.TempDir()

	first := startLoopdesk(t, dataDir, receiver.URL)
	results := make([]sendResult, total)
	var acked atomic.Int64
	next := atomic.Int64{}
	killed := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for range clients {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < total; i = int(next.Add(1) - 1) {
				results[i] = postMessage(client, first.url, i)
				if results[i].acked && acked.Add(1) == killAfter {
					once.Do(func() {
						first.cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
			}
		})
	}
	wg.Wait()
	<-killed
	first.cmd.Wait()
	t.Logf("before kill -9: %d of %d messages acknowledged", acked.Load(), total)

	second := startLoopdesk(t, dataDir, receiver.URL)
	defer func() {
		second.cmd.Process.Signal(syscall.SIGTERM)
		if err := second.cmd.Wait(); err != nil {
			t.Errorf("graceful stop: %v\n%s", err, second.logs)
		}
	}()
	// A client retries what was not acknowledged; resending acknowledged
	// ones must change nothing.
	for i := range total {
		r := postMessage(client, second.url, i)
		if !r.acked {
			t.Fatalf("resend %d after restart failed", i)
		}
		if results[i].acked && r.messageID != results[i].messageID {
			t.Fatalf("message %d: id %s before the crash, %s after", i, results[i].messageID, r.messageID)
		}
		results[i] = r
	}
	checkEveryMessageOnOneTicket(t, second.url, results, counter)
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
