package ticketcore

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

// metaAddress + agent + "/" + notifier → the agent's address on that
// notifier, set through the API; it takes the place of the desk's
// `notify` entry (an empty value clears the desk's one).
const metaAddress = "agent.address."

// SetAgentAddress sets agent's address on notifier (their WeCom userid,
// a phone for SMS), in place of what the desk configures; address ""
// removes the agent from that notifier, and unset (reset true) returns to
// the desk's entry. An address another agent has on the same notifier is
// ErrConflict: a chat user must map to one agent.
func (s *Service) SetAgentAddress(ctx context.Context, agent, notifier, address string, reset bool) error {
	if s.desk == nil {
		return fmt.Errorf("set address: %w: no desk is configured", ErrNotFound)
	}
	if _, ok := s.desk.router.Agent(agent); !ok {
		return fmt.Errorf("set address: %w: no agent %q", ErrNotFound, agent)
	}
	notifier, address = strings.TrimSpace(notifier), strings.TrimSpace(address)
	if notifier == "" || strings.ContainsAny(notifier, "/\x00") || len(notifier) > 64 || len(address) > 256 {
		return fmt.Errorf("set address: %w: a notifier name and an address of at most 256 characters", ErrInvalid)
	}
	if reset {
		a, _ := s.desk.router.Agent(agent)
		address = a.Notify[notifier] // what the agent will have again
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if address != "" {
			owners, err := s.agentsWithAddress(tx, notifier, address)
			if err != nil {
				return err
			}
			for _, owner := range owners {
				if owner != agent {
					return fmt.Errorf("%w: %s already has %q on %s", ErrConflict, owner, address, notifier)
				}
			}
		}
		if reset {
			return tx.DeleteMeta(metaAddress + agent + "/" + notifier)
		}
		return tx.PutMeta(metaAddress+agent+"/"+notifier, []byte("="+address))
	})
	if err != nil {
		return fmt.Errorf("set address of %s on %s: %w", agent, notifier, err)
	}
	return nil
}

// agentAddresses is an agent's address on each notifier: the desk's, with
// the API's changes over them.
func agentAddresses(tx ReadTx, a routing.Agent) (map[string]string, error) {
	out := maps.Clone(a.Notify)
	if out == nil {
		out = map[string]string{}
	}
	prefix := metaAddress + a.Name + "/"
	err := tx.MetaRange(prefix, func(key string, value []byte) bool {
		notifier := strings.TrimPrefix(key, prefix)
		if addr := strings.TrimPrefix(string(value), "="); addr == "" {
			delete(out, notifier)
		} else {
			out[notifier] = addr
		}
		return true
	})
	return out, err
}

// agentsWithAddress are the agents whose address on notifier is address:
// one, or none; more only when the desk's file gives two agents the same.
func (s *Service) agentsWithAddress(tx ReadTx, notifier, address string) ([]string, error) {
	var names []string
	for _, a := range s.desk.router.Agents() {
		addrs, err := agentAddresses(tx, a)
		if err != nil {
			return nil, err
		}
		if addrs[notifier] == address {
			names = append(names, a.Name)
		}
	}
	return names, nil
}
