package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// A first start with no config, no flags but a free port, and no LOOPDESK_
// environment, in an empty directory: the banner's curl lines work as
// printed, and the data lands in ./data.
func TestFirstRunBanner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real loopdesk process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Env = []string{"LOOPDESK_TEST_AS_MAIN=1", "HOME=" + dir}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LOOPDESK_") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	var banner strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() { // up to the last curl line
		banner.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), "/conversations/") {
			break
		}
	}
	go io.Copy(io.Discard, stdout)
	text := banner.String()

	send := regexp.MustCompile(`curl -s (\S+/messages) \\\s+-H "Authorization: Bearer (\S+)".*\\\s+-d '([^']+)'`).FindStringSubmatch(text)
	read := regexp.MustCompile(`curl -s (\S+/conversations/\S+) -H "Authorization: Bearer (\S+)"`).FindStringSubmatch(text)
	if send == nil || read == nil || !strings.Contains(text, "admin token") {
		t.Fatalf("banner lacks the first-message lines or the tokens:\n%s", text)
	}
	req, _ := http.NewRequest("POST", send[1], strings.NewReader(send[3]))
	req.Header.Set("Authorization", "Bearer "+send[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("send as printed: %v %v", resp, err)
	}
	resp.Body.Close()
	waitFor(t, "the acknowledgement in the conversation", func() bool {
		req, _ := http.NewRequest("GET", read[1], nil)
		req.Header.Set("Authorization", "Bearer "+read[2])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var conv struct {
			Messages []struct{ Direction, Text string }
		}
		json.NewDecoder(resp.Body).Decode(&conv)
		return len(conv.Messages) == 2 && strings.Contains(conv.Messages[1].Text, "T-000001")
	})
	if _, err := os.Stat(filepath.Join(dir, "data", "loopdesk.db")); err != nil {
		t.Errorf("no data in ./data: %v", err)
	}
}
