package cond_test

import (
	"fmt"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

func Example() {
	vip, err := cond.Compile("vip-refund", `intent == "refund" && contact.tier == "vip"`)
	if err != nil {
		panic(err)
	}
	env := cond.Env{Intent: "refund", Contact: cond.Contact{Tier: "vip"}}
	env.SetClock(time.Date(2025, 10, 3, 17, 55, 0, 0, time.FixedZone("CST", 8*3600)), true)
	fmt.Println(vip.Eval(env))

	_, err = cond.Compile("typo", `contact.teir == "vip"`)
	fmt.Println(err)
	// Output:
	// true <nil>
	// rule "typo": type cond.Contact has no field teir (1:9)
	//  | contact.teir == "vip"
	//  | ........^
}
