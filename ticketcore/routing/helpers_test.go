package routing_test

import (
	"os"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

var shanghai = time.FixedZone("CST", 8*3600)

// Moments of the test week (2025-10-01 is a Wednesday).
var (
	wedMorning = time.Date(2025, 10, 1, 10, 0, 0, 0, shanghai)
	wedNight   = time.Date(2025, 10, 1, 23, 0, 0, 0, shanghai)
)

// shift is a stand-in for a calendar: open from one hour to another.
type shift struct{ from, to int }

func (s shift) Open(t time.Time) bool { return t.Hour() >= s.from && t.Hour() < s.to }

func testShifts() map[string]routing.Shift {
	return map[string]routing.Shift{"day": shift{9, 18}, "night": shift{18, 24}}
}

// loadConfig reads testdata/routing.yaml as cmd would.
func loadConfig(t *testing.T) routing.Config {
	t.Helper()
	raw, err := os.ReadFile("testdata/routing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg routing.Config
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newRouter(t *testing.T) *routing.Router {
	t.Helper()
	r, err := routing.New(loadConfig(t), testShifts())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// ticket is a ticket's condition env at now.
func ticket(now time.Time, edit func(*cond.Env)) cond.Env {
	env := cond.Env{Intent: "other", Priority: "normal", Channel: "wecom", Status: "new"}
	env.SetClock(now, now.Hour() >= 9 && now.Hour() < 18)
	if edit != nil {
		edit(&env)
	}
	return env
}

// state is AgentState from maps: open tickets and agents who are away.
type state struct {
	open map[string]int
	away map[string]bool
}

func (s state) Open(agent string) int       { return s.open[agent] }
func (s state) Available(agent string) bool { return !s.away[agent] }
func ptr[T any](v T) *T                     { return &v }
