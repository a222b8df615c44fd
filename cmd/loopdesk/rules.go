package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// ruleCase is what `loopdesk rules test` reads: a ticket as the API shows
// it (intent, priority, channel, fields, tags, …), optionally the contact,
// the customer's text and the moment to judge it at.
type ruleCase struct {
	Ticket  *ticketcore.Ticket `json:"ticket"`
	Contact ticketcore.Contact `json:"contact"`
	Text    string             `json:"text"`
	At      time.Time          `json:"at"`
}

// rulesTest shows which routing rules a ticket matches and what they
// would do, with the SLA policy and ticket type it would get.
func rulesTest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rules test", stderr)
	cfgPath := fs.String("config", "", "YAML config file whose tickets.desk is tested (default: the embedded desk)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError("rules test: give one ticket.json")
	}
	cfg, err := loadConfig(*cfgPath, os.Environ())
	if err != nil {
		return err
	}
	desk, err := loadDesk(cfg.Tickets.Desk)
	if err != nil {
		return err
	}
	rc, err := readRuleCase(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, desk.Explain(*rc.Ticket, rc.Contact, rc.Text, rc.At))
	return nil
}

// readRuleCase reads {"ticket": …, "contact": …, "text": …, "at": …}, or a
// bare ticket.
func readRuleCase(path string) (ruleCase, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return ruleCase{}, err
	}
	var rc ruleCase
	if err := json.Unmarshal(src, &rc); err != nil {
		return ruleCase{}, fmt.Errorf("%s: %w", path, err)
	}
	if rc.Ticket == nil {
		rc.Ticket = &ticketcore.Ticket{}
		if err := json.Unmarshal(src, rc.Ticket); err != nil {
			return ruleCase{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	if rc.At.IsZero() {
		rc.At = time.Now()
	}
	return rc, nil
}
