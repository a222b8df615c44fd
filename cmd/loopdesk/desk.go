package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/notify/webhook"
	"github.com/loopdesk/loopdesk/ticketcore"
	"gopkg.in/yaml.v3"
)

// loadDesk reads the desk (groups, agents, rules, SLA, ticket types) from
// path, or the embedded e-commerce template when path is empty.
func loadDesk(path string) (*ticketcore.Desk, error) {
	name := path
	src, err := readDesk(path)
	if err != nil {
		return nil, err
	}
	if path == "" {
		name = "embedded " + configs.Desk
	}
	var cfg ticketcore.DeskConfig
	if err := decodeStrict(src, &cfg); err != nil {
		return nil, fmt.Errorf("desk %s: %w", name, err)
	}
	desk, err := ticketcore.NewDesk(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return desk, nil
}

func readDesk(path string) ([]byte, error) {
	if path == "" {
		return configs.FS.ReadFile(configs.Desk)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read desk: %w", err)
	}
	return src, nil
}

// decodeStrict decodes YAML refusing keys v does not have.
func decodeStrict(src []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// newNotifiers builds the configured notifiers.
func newNotifiers(cfgs []NotifierConfig) ([]notify.Notifier, error) {
	var out []notify.Notifier
	for _, c := range cfgs {
		n, err := webhook.New(webhook.Config{Name: c.Name, URL: c.URL, Secret: c.Secret, Timeout: c.Timeout})
		if err != nil {
			return nil, fmt.Errorf("config: notifier %q: %w", c.Name, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func notifierNames(ns []notify.Notifier) []string {
	names := make([]string, len(ns))
	for i, n := range ns {
		names[i] = n.Name()
	}
	return names
}
