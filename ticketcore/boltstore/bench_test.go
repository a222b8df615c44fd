package boltstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// The benchmarks measure the inbound hot path: the durable write a channel
// waits for before it acknowledges a vendor's message. Every op is a
// dedupe lookup that misses, a ~400-byte message, and an inbox item, as
// ticketcore.Service.HandleMessage does it.

// benchText is about 400 bytes of customer text.
var benchText = strings.Repeat("订单 2026112500012345 还没发货，请帮忙查一下物流。", 6) // 396 bytes

// benchClients is how many callers write at once in the parallel
// benchmark: an HTTP server under load holds many requests in flight.
const benchClients = 256

func inboundWrite(s *Store, n uint64) error {
	ext := fmt.Sprintf("bench-%d", n)
	return s.Update(context.Background(), func(tx ticketcore.Tx) error {
		if _, err := tx.MessageByExternalID(channels.API, ext); !errors.Is(err, ticketcore.ErrNotFound) {
			return fmt.Errorf("dedupe lookup: %v", err)
		}
		m := ticketcore.Message{Channel: channels.API, ExternalID: ext, Thread: fmt.Sprintf("user-%d", n%5000),
			Direction: channels.In, From: channels.Party{ID: "user", Name: "王芳"}, Text: benchText, At: time.Now()}
		if err := tx.AddMessage(&m); err != nil {
			return err
		}
		return tx.EnqueueInbox(m.ID)
	})
}

// report adds throughput, ack latency percentiles and the mean batch size.
func report(b *testing.B, elapsed time.Duration, lat []time.Duration, commits uint64) {
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "writes/s")
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if commits > 0 {
		b.ReportMetric(float64(len(lat))/float64(commits), "writes/commit")
	}
}

func BenchmarkUpdateParallel(b *testing.B) {
	s := openAt(b, tempPath(b), Config{})
	var n atomic.Uint64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
	commits := s.commits.Load()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t := time.Now()
			if err := inboundWrite(s, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, lat, s.commits.Load()-commits)
}

func BenchmarkUpdateSerial(b *testing.B) {
	s := openAt(b, tempPath(b), Config{})
	lat := make([]time.Duration, 0, b.N)
	commits := s.commits.Load()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t := time.Now()
		if err := inboundWrite(s, uint64(i)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, lat, s.commits.Load()-commits)
}

// BenchmarkUpdateAt10kPerSecond offers writes at a fixed 10,000/s (open
// loop, as vendors push regardless of how we keep up) and measures each
// ack from the instant it was due, so a stall counts against every write
// it delays.
func BenchmarkUpdateAt10kPerSecond(b *testing.B) {
	const interval = 100 * time.Microsecond
	s := openAt(b, tempPath(b), Config{})
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	commits := s.commits.Load()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			if err := inboundWrite(s, uint64(i)); err != nil {
				b.Error(err)
			}
			lat[i] = time.Since(due)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, elapsed, lat, s.commits.Load()-commits)
}
