package routing_test

import (
	"fmt"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

// A VIP's refund goes to after-sales with high priority; the group's round
// robin then picks the next free member.
func Example() {
	cfg := routing.Config{
		Groups: []routing.Group{{Name: "after_sales", Display: "售后组", Lead: "bob", Members: []string{"alice", "carol"}}},
		Agents: []routing.Agent{{Name: "alice", Capacity: 20}, {Name: "bob"}, {Name: "carol"}},
		Rules: []routing.Rule{{
			Name: "vip-refund",
			When: `intent == "refund" && contact.tier == "vip"`,
			Set:  routing.Actions{Group: "after_sales", Priority: "high", Type: "refund", Tags: []string{"vip"}},
			Stop: true,
		}},
		Escalations: []routing.EscalationRule{{Name: "customer-chasing", When: "waiting >= 3", Raise: 1}},
	}
	r, err := routing.New(cfg, nil)
	if err != nil {
		panic(err) // cmd stops start-up here, naming the rule
	}

	env := cond.Env{Intent: "refund", Priority: "normal", Contact: cond.Contact{Tier: "vip"}}
	env.SetClock(time.Date(2025, 10, 3, 17, 55, 0, 0, time.FixedZone("CST", 8*3600)), true)
	d := r.Route(env)
	fmt.Println(d.Group, d.Priority, d.Type, d.AddTags)

	agent, cursor, reason := r.Assign(d.Group, env.Now, nil, "alice")
	fmt.Println(agent, cursor, "|", reason)

	env.Priority, env.Waiting = d.Priority, 3
	for _, e := range r.Escalate(env, routing.CustomerMessage) {
		fmt.Println(e.From, "→", e.Priority, "|", e.Reason)
	}
	// Output:
	// after_sales high refund [vip]
	// carol carol | carol is next in after_sales (round robin)
	// high → urgent | customer-chasing: the customer wrote 3 times while waiting
}
