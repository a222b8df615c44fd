package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestZZProbe(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	url, stop, _ := startBaseline()
	defer stop()
	msgs := newMessages("p", 0, defaultText)
	led := newLedger(time.Now(), 200000)
	cfg := attackConfig{URL: url, Rate: 10000, Duration: 10 * time.Second, Clients: 64, Timeout: 10 * time.Second}
	// replicate attack but keep per-result
	transportRes := attack
	_ = transportRes
	var lat [20][]time.Duration
	type big struct{ at, l time.Duration }
	var bigs []big
	began := time.Now()
	res := attackWith(context.Background(), cfg, msgs, led, func(r *vegeta.Result) {
		s := int(r.Timestamp.Sub(began) / time.Second)
		if r.Latency > 5*time.Millisecond {
			bigs = append(bigs, big{r.Timestamp.Sub(began), r.Latency})
		}
		if s < 20 {
			lat[s] = append(lat[s], r.Latency)
		}
	})
	_ = res
	last := time.Duration(-1)
	for _, b := range bigs {
		if b.at-last > 2*time.Millisecond {
			fmt.Printf("spike at %v lat %v\n", b.at, b.l)
		}
		last = b.at
	}
	for s, l := range lat {
		if len(l) == 0 {
			continue
		}
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		fmt.Printf("sec %d n=%d p50=%v p99=%v max=%v\n", s, len(l), l[len(l)/2], l[len(l)*99/100], l[len(l)-1])
	}
}
