package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestControlCustomer(t *testing.T) {
	var hooked atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hooks/wecom/kf" && r.URL.Query().Get("msg_signature") != "" {
			hooked.Add(1)
		}
		_, _ = io.WriteString(w, "success")
	}))
	defer hook.Close()

	o, err := parseFlags([]string{"-kf-callback", hook.URL + "/hooks/wecom/kf", "-app-callback", hook.URL + "/hooks/wecom"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := start(o, ln)
	defer s.Close()

	resp, err := http.Post(s.URL()+"/double/customer", "application/json",
		strings.NewReader(`{"open_kfid":"wkdouble","user":"wmalice","text":"Where is my parcel?"}`))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		MsgID          string `json:"msgid"`
		CallbackStatus int    `json:"callback_status"`
		Error          string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || out.CallbackStatus != http.StatusOK || out.MsgID == "" || out.Error != "" {
		t.Fatalf("HTTP %d %+v", resp.StatusCode, out)
	}
	if hooked.Load() != 1 {
		t.Errorf("kf hook called %d times, want 1", hooked.Load())
	}

	resp, err = http.Get(s.URL() + "/double/sent")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("/double/sent = %s, want []", body)
	}

	resp, err = http.Post(s.URL()+"/double/agent", "application/json", strings.NewReader(`{"user":"zhangsan"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("agent without text got %d", resp.StatusCode)
	}
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := run(ctx, []string{"-addr", "127.0.0.1:0"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/double/customer") {
		t.Errorf("banner:\n%s", out.String())
	}
	if _, err := parseFlags([]string{"-aes-key", "short"}, io.Discard); err == nil {
		t.Error("accepted a short -aes-key")
	}
}
