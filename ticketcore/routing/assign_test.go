package routing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

func TestAssignRoundRobin(t *testing.T) {
	r := newRouter(t)
	// after_sales: alice (day shift, capacity 2), carol (night shift), dave (capacity 3).
	for _, tc := range []struct {
		name      string
		now       time.Time
		st        routing.AgentState
		cursor    string
		want      string
		reasonHas []string
	}{
		{"empty cursor starts at the first member", wedMorning, state{}, "", "alice",
			[]string{"alice is next in after_sales (round robin)"}},
		{"starts after the cursor", wedMorning, state{}, "alice", "dave",
			[]string{"dave is next", `skipped carol (off shift "night")`}},
		{"wraps around", wedMorning, state{}, "dave", "alice", []string{"alice is next in after_sales (round robin)"}},
		{"unknown cursor starts over", wedMorning, state{}, "mallory", "alice", nil},
		{"off shift at night", wedNight, state{}, "", "carol", []string{`skipped alice (off shift "day")`}},
		{"night wrap-around skips day shift", wedNight, state{}, "carol", "dave", nil},
		{"at capacity", wedMorning, state{open: map[string]int{"alice": 2}}, "dave", "dave",
			[]string{"skipped alice (at capacity 2/2)", `carol (off shift "night")`}},
		{"unavailable", wedMorning, state{away: map[string]bool{"dave": true}}, "alice", "alice",
			[]string{`carol (off shift "night")`, "dave (unavailable)"}},
		{"nil state is a dry run", wedMorning, nil, "alice", "dave", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agent, next, reason := r.Assign("after_sales", tc.now, tc.st, tc.cursor)
			if agent != tc.want || next != tc.want {
				t.Errorf("Assign = %q, cursor %q (%s); want %q", agent, next, reason, tc.want)
			}
			for _, w := range tc.reasonHas {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
		})
	}
}

func TestAssignLeastOpen(t *testing.T) {
	r := newRouter(t)
	// finance: erin (day shift), frank (capacity 5), gina.
	for _, tc := range []struct {
		name      string
		now       time.Time
		st        state
		want      string
		reasonHas []string
	}{
		{"ties go to member order", wedMorning, state{}, "erin", []string{"erin has the fewest open tickets in finance (0)"}},
		{"fewest open wins", wedMorning, state{open: map[string]int{"erin": 4, "frank": 2, "gina": 3}}, "frank", nil},
		{"off shift erin is skipped though idle", wedNight, state{open: map[string]int{"frank": 2, "gina": 3}}, "frank",
			[]string{`skipped erin (off shift "day")`}},
		{"at capacity frank is skipped", wedMorning, state{open: map[string]int{"erin": 9, "frank": 5, "gina": 6}}, "gina",
			[]string{"frank (at capacity 5/5)"}},
		{"unavailable", wedMorning, state{away: map[string]bool{"erin": true}, open: map[string]int{"gina": 1}}, "frank",
			[]string{"erin (unavailable)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agent, next, reason := r.Assign("finance", tc.now, tc.st, "gina")
			if agent != tc.want || next != tc.want {
				t.Errorf("Assign = %q, cursor %q (%s); want %q", agent, next, reason, tc.want)
			}
			for _, w := range tc.reasonHas {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
		})
	}
}

func TestAssignNobodyFree(t *testing.T) {
	r := newRouter(t)
	st := state{open: map[string]int{"dave": 3}, away: map[string]bool{"carol": true}}
	agent, next, reason := r.Assign("after_sales", wedNight, st, "carol")
	want := `nobody free in after_sales: dave (at capacity 3/3), alice (off shift "day"), carol (unavailable)`
	if agent != "" || next != "carol" || reason != want {
		t.Errorf("Assign = %q, %q, %q\nwant reason %q and the cursor kept", agent, next, reason, want)
	}
	agent, next, reason = r.Assign("legal", wedMorning, st, "x")
	if agent != "" || next != "x" || reason != `no group "legal"` {
		t.Errorf("Assign(legal) = %q, %q, %q", agent, next, reason)
	}
}

func TestAssignRotates(t *testing.T) {
	r := newRouter(t)
	cursor, got := "", []string{}
	for range 5 {
		var agent string
		agent, cursor, _ = r.Assign("after_sales", wedMorning, state{}, cursor)
		got = append(got, agent)
	}
	if strings.Join(got, " ") != "alice dave alice dave alice" {
		t.Errorf("five morning tickets went to %v", got)
	}
}
