package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/configs"
)

// The example config documents the embedded default: the same values.
func TestExampleConfigIsTheDefault(t *testing.T) {
	src, err := configs.FS.ReadFile(configs.Example)
	if err != nil {
		t.Fatal(err)
	}
	var got Config
	if err := decodeYAML(src, &got); err != nil {
		t.Fatalf("example config: %v", err)
	}
	// Empty lists in YAML are empty slices; the defaults have none.
	if len(got.Auth.Tokens) == 0 {
		got.Auth.Tokens = nil
	}
	if len(got.Notifiers) == 0 {
		got.Notifiers = nil
	}
	if len(got.Channels.Email.Mailboxes) == 0 {
		got.Channels.Email.Mailboxes = nil
	}
	if len(got.Channels.Slack.CustomerChannels) == 0 {
		got.Channels.Slack.CustomerChannels = nil
	}
	if len(got.Channels.Slack.Groups) == 0 {
		got.Channels.Slack.Groups = nil
	}
	if len(got.NLU.Cascade.Required) == 0 {
		got.NLU.Cascade.Required = nil
	}
	if len(got.Channels.Slack.NoteMarkers) == 0 {
		got.Channels.Slack.NoteMarkers = nil
	}
	if len(got.Tickets.Attachments.Types) == 0 {
		got.Tickets.Attachments.Types = nil
	}
	if want := defaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("example config differs from the default:\n got %+v\nwant %+v", got, want)
	}
}

// Every key of Config appears in the example, and nothing else does.
func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	src, _ := configs.FS.ReadFile(configs.Example)
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		t.Fatal(err)
	}
	var documented []string
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := prefix+n.Content[i].Value, n.Content[i+1]
			if val.Kind == yaml.MappingNode && len(val.Content) > 0 { // an empty map ({}) is a key of its own
				walk(val, key+".")
			} else {
				documented = append(documented, key)
			}
		}
	}
	walk(root.Content[0], "")
	var cfg Config
	var want []string
	for _, k := range configKeys(reflect.ValueOf(&cfg).Elem(), "") {
		want = append(want, k.key)
	}
	slices.Sort(documented)
	slices.Sort(want)
	if !slices.Equal(documented, want) {
		t.Errorf("documented keys\n %v\nConfig keys\n %v", documented, want)
	}
}

func TestLoadConfigLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("server:\n  addr: 127.0.0.1:9000\ndelivery:\n  backoff: 5s\nchannels:\n  api:\n    token: from-file\n"), 0o600)
	cfg, err := loadConfig(path, []string{
		"LOOPDESK_CHANNELS_API_TOKEN=from-env",
		"LOOPDESK_DELIVERY_MAX_ATTEMPTS=3",
		"LOOPDESK_DELIVERY_MAX_BACKOFF=1m",
		"LOOPDESK_SERVER_MAX_BODY_BYTES=2048",
		`LOOPDESK_AUTH_TOKENS=[{"name": "alice", "role": "agent", "token_sha256": "` + strings.Repeat("ab", 32) + `"}]`,
		"LOOPDESK_TICKETS_INTAKE_YIELD=2.5",
		"UNRELATED=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "127.0.0.1:9000" || cfg.Delivery.Backoff != 5*time.Second {
		t.Errorf("file values not applied: %+v", cfg)
	}
	if cfg.Channels.API.Token != "from-env" || cfg.Delivery.MaxAttempts != 3 ||
		cfg.Delivery.MaxBackoff != time.Minute || cfg.Server.MaxBodyBytes != 2048 ||
		len(cfg.Auth.Tokens) != 1 || cfg.Auth.Tokens[0].Name != "alice" || cfg.Tickets.IntakeYield != 2.5 {
		t.Errorf("environment values not applied: %+v", cfg)
	}
	if cfg.Data.Dir != "./data" {
		t.Errorf("default lost: data.dir = %q", cfg.Data.Dir)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		file string
		env  []string
		want string
	}{
		"misspelt key":   {"server:\n  adr: x\n", nil, "adr"},
		"bad duration":   {"", []string{"LOOPDESK_DELIVERY_BACKOFF=soon"}, "LOOPDESK_DELIVERY_BACKOFF"},
		"bad number":     {"", []string{"LOOPDESK_TICKETS_WORKERS=many"}, "LOOPDESK_TICKETS_WORKERS"},
		"bad extractor":  {"nlu:\n  extractor: magic\n", nil, "magic"},
		"empty data dir": {"", []string{"LOOPDESK_DATA_DIR="}, "data.dir"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yaml")
		os.WriteFile(path, []byte(c.file), 0o600)
		_, err := loadConfig(path, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to name %q", name, err, c.want)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := envName("channels.slack.signing_secret"); got != "LOOPDESK_CHANNELS_SLACK_SIGNING_SECRET" {
		t.Errorf("envName = %s", got)
	}
}

// serve's logger masks phones and emails whatever the format.
func TestLoggerMasks(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf strings.Builder
		log, err := newLogger(LogConfig{Level: "info", Format: format}, &buf)
		if err != nil {
			t.Fatal(err)
		}
		log.Info("customer 13800138000 wrote", "text", "mail me at wf@example.com")
		if out := buf.String(); strings.Contains(out, "13800138000") || strings.Contains(out, "wf@example.com") {
			t.Errorf("%s log leaks: %s", format, out)
		}
	}
	if _, err := newLogger(LogConfig{Level: "loud", Format: "json"}, io.Discard); err == nil {
		t.Error("an unknown level was accepted")
	}
}
