package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/auth"
)

// Config is the whole configuration: one YAML file, every key documented in
// configs/loopdesk.example.yaml, each one also settable from the environment
// as LOOPDESK_ + the key upper-cased with "." → "_".
type Config struct {
	Server    ServerConfig     `yaml:"server"`
	Data      DataConfig       `yaml:"data"`
	Auth      AuthConfig       `yaml:"auth"`
	Log       LogConfig        `yaml:"log"`
	Channels  ChannelsConfig   `yaml:"channels"`
	NLU       NLUConfig        `yaml:"nlu"`
	Tickets   TicketsConfig    `yaml:"tickets"`
	Delivery  DeliveryConfig   `yaml:"delivery"`
	Notifiers []NotifierConfig `yaml:"notifiers"`
}

type ServerConfig struct {
	Addr            string        `yaml:"addr"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

type DataConfig struct {
	Dir string `yaml:"dir"`
}

type AuthConfig struct {
	AdminToken string       `yaml:"admin_token"`
	Tokens     []auth.Token `yaml:"tokens"`
}

type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

type ChannelsConfig struct {
	API   APIChannelConfig   `yaml:"api"`
	WeCom WeComChannelConfig `yaml:"wecom"`
	Email EmailChannelConfig `yaml:"email"`
	Slack SlackChannelConfig `yaml:"slack"`
}

// SlackChannelConfig turns the Slack channel on when SigningSecret and
// BotToken are set.
type SlackChannelConfig struct {
	SigningSecret    string            `yaml:"signing_secret"`
	BotToken         string            `yaml:"bot_token"`
	AppToken         string            `yaml:"app_token"`
	APIBase          string            `yaml:"api_base"`
	DirectMessages   bool              `yaml:"direct_messages"`
	CustomerChannels []string          `yaml:"customer_channels"`
	Groups           map[string]string `yaml:"groups"`
	NoteMarkers      []string          `yaml:"note_markers"`
}

// EmailChannelConfig turns the email channel on when Address is set: its
// own mailbox, and the further Mailboxes.
type EmailChannelConfig struct {
	Address   string               `yaml:"address"`
	Name      string               `yaml:"name"`
	Group     string               `yaml:"group"`
	AckWindow time.Duration        `yaml:"ack_window"`
	IMAP      EmailIMAPConfig      `yaml:"imap"`
	SMTP      EmailSMTPConfig      `yaml:"smtp"`
	Mailboxes []EmailMailboxConfig `yaml:"mailboxes"`
}

// EmailMailboxConfig is one more support mailbox (售后@, billing@).
type EmailMailboxConfig struct {
	Address string          `yaml:"address" json:"address"`
	Name    string          `yaml:"name" json:"name"`
	Group   string          `yaml:"group" json:"group"`
	IMAP    EmailIMAPConfig `yaml:"imap" json:"imap"`
	SMTP    EmailSMTPConfig `yaml:"smtp" json:"smtp"`
}

type EmailIMAPConfig struct {
	Addr      string        `yaml:"addr" json:"addr"`
	Username  string        `yaml:"username" json:"username"`
	Password  string        `yaml:"password" json:"password"`
	Mailbox   string        `yaml:"mailbox" json:"mailbox"`
	TLS       string        `yaml:"tls" json:"tls"`
	Processed string        `yaml:"processed" json:"processed"`
	Poll      time.Duration `yaml:"poll" json:"poll"`
}

type EmailSMTPConfig struct {
	Addr     string `yaml:"addr" json:"addr"`
	Username string `yaml:"username" json:"username"`
	Password string `yaml:"password" json:"password"`
	TLS      string `yaml:"tls" json:"tls"`
}

type APIChannelConfig struct {
	Token          string `yaml:"token"`
	CallbackURL    string `yaml:"callback_url"`
	CallbackSecret string `yaml:"callback_secret"`
}

// WeComChannelConfig turns the WeCom channel on when CorpID is set:
// 微信客服 with KFSecret, the agents' app with Secret and AgentID.
type WeComChannelConfig struct {
	CorpID     string        `yaml:"corp_id"`
	Token      string        `yaml:"token"`
	AESKey     string        `yaml:"aes_key"`
	AgentID    int           `yaml:"agent_id"`
	Secret     string        `yaml:"secret"`
	KFSecret   string        `yaml:"kf_secret"`
	APIBase    string        `yaml:"api_base"`
	Welcome    string        `yaml:"welcome"`
	ConsoleURL string        `yaml:"console_url"`
	Timeout    time.Duration `yaml:"timeout"`
}

type TicketsConfig struct {
	TemplatesDir string            `yaml:"templates_dir"`
	Workers      int               `yaml:"workers"`
	BatchSize    int               `yaml:"batch_size"`
	BurstRate    float64           `yaml:"burst_rate"`
	IntakeYield  float64           `yaml:"intake_yield"`
	ReopenWindow time.Duration     `yaml:"reopen_window"`
	Desk         string            `yaml:"desk"`
	Attachments  AttachmentsConfig `yaml:"attachments"`
}

type AttachmentsConfig struct {
	MaxBytes int64    `yaml:"max_bytes"`
	Types    []string `yaml:"types"`
}

// NotifierConfig is one notifier agents are reached through.
type NotifierConfig struct {
	Name    string        `yaml:"name" json:"name"`
	Type    string        `yaml:"type" json:"type"`
	URL     string        `yaml:"url" json:"url"`
	Secret  string        `yaml:"secret" json:"secret"`
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
}

type DeliveryConfig struct {
	MaxAttempts int           `yaml:"max_attempts"`
	Backoff     time.Duration `yaml:"backoff"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
	Concurrency int           `yaml:"concurrency"`
	Timeout     time.Duration `yaml:"timeout"`
	MaxHold     time.Duration `yaml:"max_hold"`
}

// defaultConfig is the embedded default: `loopdesk serve` with no file.
// configs/loopdesk.example.yaml shows the same values (a test holds them equal).
func defaultConfig() Config {
	return Config{
		Server: ServerConfig{Addr: "127.0.0.1:8080", MaxBodyBytes: 1 << 20, ShutdownTimeout: 30 * time.Second},
		Data:   DataConfig{Dir: "./data"},
		Channels: ChannelsConfig{WeCom: WeComChannelConfig{Welcome: "您好，这里是客服，请问有什么可以帮您？", Timeout: 10 * time.Second},
			Email: defaultEmail(), Slack: SlackChannelConfig{DirectMessages: true}},
		Log:      LogConfig{Level: "info", Format: "json"},
		NLU:      NLUConfig{Extractor: "rules", Timeout: 10 * time.Second, LLM: llmSettings{Redact: true}},
		Tickets:  TicketsConfig{Workers: 2, BatchSize: 8, BurstRate: 4000, IntakeYield: 8, ReopenWindow: 7 * 24 * time.Hour, Attachments: AttachmentsConfig{MaxBytes: 20 << 20}},
		Delivery: DeliveryConfig{MaxAttempts: 10, Backoff: time.Second, MaxBackoff: 10 * time.Minute, Concurrency: 64, Timeout: 30 * time.Second, MaxHold: 7 * 24 * time.Hour},
	}
}

func defaultEmail() EmailChannelConfig {
	var e EmailChannelConfig
	e.Name, e.AckWindow = "客服", time.Hour
	e.IMAP.Mailbox, e.IMAP.TLS, e.IMAP.Processed, e.IMAP.Poll = "INBOX", "tls", "seen", time.Minute
	e.SMTP.TLS = "starttls"
	return e
}

// loadConfig reads the defaults, then the file (if any), then the
// environment, each overriding the one before.
func loadConfig(path string, environ []string) (Config, error) {
	cfg := defaultConfig()
	if path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("read config: %w", err)
		}
		if err := decodeYAML(src, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

// decodeYAML decodes src into cfg; a key that Config does not have is an
// error, so a misspelt key does not go unnoticed.
func decodeYAML(src []byte, cfg *Config) error {
	if err := decodeStrict(src, cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case c.Server.Addr == "":
		return errors.New("config: server.addr is empty")
	case c.Data.Dir == "":
		return errors.New("config: data.dir is empty")
	case c.Server.MaxBodyBytes <= 0:
		return errors.New("config: server.max_body_bytes must be positive")
	case c.Log.Format != "json" && c.Log.Format != "text":
		return fmt.Errorf("config: log.format %q must be json or text", c.Log.Format)
	}
	if err := c.NLU.validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	names := map[string]bool{}
	for i, n := range c.Notifiers {
		switch {
		case n.Name == "" || names[n.Name]:
			return fmt.Errorf("config: notifiers[%d]: each notifier needs a name of its own", i)
		case n.Type != "webhook":
			return fmt.Errorf("config: notifier %q: type %q is not one of: webhook", n.Name, n.Type)
		}
		names[n.Name] = true
	}
	return nil
}

// configKey is one leaf of Config: its dotted key and where it lives.
type configKey struct {
	key   string
	value reflect.Value
}

// configKeys lists the keys of the struct v points at, in order: every
// scalar, and lists (auth.tokens) as one key whose environment form is the
// list in YAML or JSON.
func configKeys(v reflect.Value, prefix string) []configKey {
	var out []configKey
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		key := prefix + name
		if f := v.Field(i); f.Kind() == reflect.Struct {
			out = append(out, configKeys(f, key+".")...)
		} else {
			out = append(out, configKey{key, f})
		}
	}
	return out
}

// envName is the environment variable of a config key.
func envName(key string) string {
	return "LOOPDESK_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func applyEnv(cfg *Config, environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, k := range configKeys(reflect.ValueOf(cfg).Elem(), "") {
		s, ok := env[envName(k.key)]
		if !ok {
			continue
		}
		if err := setValue(k.value, s); err != nil {
			return fmt.Errorf("config: %s: %w", envName(k.key), err)
		}
	}
	return nil
}

func setValue(v reflect.Value, s string) error {
	switch {
	case v.Type() == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.Slice || v.Kind() == reflect.Map:
		return yaml.Unmarshal([]byte(s), v.Addr().Interface())
	case v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case v.CanFloat():
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	case v.CanInt():
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
