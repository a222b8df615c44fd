package sla

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPolicyValidate(t *testing.T) {
	if err := standard.Validate(); err != nil {
		t.Fatalf("standard: %v", err)
	}
	edit := func(f func(*Policy)) Policy {
		p := standard
		p.Stages = map[string]time.Duration{"finance": 8 * time.Hour}
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    Policy
		want []string
	}{
		{"no name", edit(func(p *Policy) { p.Name = "" }), []string{"name is required"}},
		{"negative", edit(func(p *Policy) { p.Resolution = -time.Hour }), []string{`sla policy "standard"`, "resolution -1h0m0s"}},
		{"negative stage", edit(func(p *Policy) { p.Stages["refund"] = -time.Minute }), []string{"stages refund"}},
		{"empty stage", edit(func(p *Policy) { p.Stages[" "] = time.Hour }), []string{"empty stage name"}},
		{"zero fraction", edit(func(p *Policy) { p.Warn = []float64{0} }), []string{"warn_at 0:"}},
		{"whole budget", edit(func(p *Policy) { p.Warn = []float64{1} }), []string{"warn_at 1:"}},
		{"percent", edit(func(p *Policy) { p.Warn = []float64{75} }), []string{"warn_at 75:"}},
		{"NaN", edit(func(p *Policy) { p.Warn = []float64{math.NaN()} }), []string{"warn_at NaN"}},
		{"twice", edit(func(p *Policy) { p.Warn = []float64{0.5, 0.9, 0.5} }), []string{"warn_at 0.5: listed twice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if err == nil {
				t.Fatal("Validate = nil")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestPolicyWarnAt(t *testing.T) {
	p := standard
	if got := p.WarnAt(); !slices.Equal(got, []float64{DefaultWarnAt}) {
		t.Errorf("default WarnAt = %v", got)
	}
	p.Warn = []float64{}
	if got := p.WarnAt(); len(got) != 0 {
		t.Errorf("empty WarnAt = %v, want none", got)
	}
	p.Warn = []float64{0.9, 0.5}
	if got := p.WarnAt(); !slices.Equal(got, []float64{0.5, 0.9}) || p.Warn[0] != 0.9 {
		t.Errorf("WarnAt = %v (policy now %v)", got, p.Warn)
	}
}

func TestPolicyBudget(t *testing.T) {
	for name, want := range map[string]time.Duration{
		FirstResponse:            4 * time.Hour,
		NextResponse:             2 * time.Hour,
		Resolution:               24 * time.Hour,
		StageTarget("finance"):   8 * time.Hour,
		StageTarget("logistics"): 0,
		"unknown":                0,
	} {
		if got := standard.Budget(name); got != want {
			t.Errorf("Budget(%s) = %v, want %v", name, got, want)
		}
	}
}
