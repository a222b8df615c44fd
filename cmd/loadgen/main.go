package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

const defaultText = "订单 " + orderPlaceholder + " 还没发货，麻烦帮我查一下物流"

// options are loadgen's flags.
type options struct {
	URL, Token             string
	Rate, Clients          int
	Duration, Drain        time.Duration
	Timeout                time.Duration
	CallbackListen         string
	CallbackSecret         string
	Threads                int
	Baseline, BaselineOnly bool
	JSON                   bool
	Text, CPUProfile       string

	run        string       // run id; defaults to one derived from the clock
	callbackLn net.Listener // tests hand over a listener instead of an address
}

func main() {
	var o options
	flag.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "loopdesk base URL (or the full messages endpoint)")
	flag.StringVar(&o.Token, "token", os.Getenv("LOOPDESK_CHANNELS_API_TOKEN"), "bearer token of channels.api.token (env LOOPDESK_CHANNELS_API_TOKEN)")
	flag.IntVar(&o.Rate, "rate", 1000, "messages per second, sent open-loop at a constant pace")
	flag.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to send")
	flag.IntVar(&o.Clients, "clients", 64, "concurrent requests and keep-alive connections at most")
	flag.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per-request timeout")
	flag.StringVar(&o.CallbackListen, "callback-listen", "", "HOST:PORT to receive reply callbacks on (channels.api.callback_url); empty skips the end-to-end count")
	flag.StringVar(&o.CallbackSecret, "callback-secret", "", "verify X-Loopdesk-Signature with this secret; empty does not verify")
	flag.DurationVar(&o.Drain, "drain", 60*time.Second, "after sending, how long to wait for missing replies")
	flag.IntVar(&o.Threads, "threads", 0, "spread messages over this many threads; 0: a new thread per message")
	flag.BoolVar(&o.Baseline, "baseline", false, "also run the same load against a bare in-process 202 handler and print the ratios")
	flag.BoolVar(&o.BaselineOnly, "baseline-only", false, "run only the bare-handler attack: loadgen's own ceiling")
	flag.BoolVar(&o.JSON, "json", false, "also print the report as one JSON line")
	flag.StringVar(&o.Text, "text", defaultText, "message text; "+orderPlaceholder+" becomes a per-message order number")
	flag.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of loadgen itself to this file")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		// Collect less often: a collection takes a core from the attack for
		// a moment, and loadgen's live heap is small.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runAndPrint(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}
}

func runAndPrint(ctx context.Context, o options) error {
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep, err := run(ctx, o)
	if err != nil {
		return err
	}
	rep.writeText(os.Stdout)
	if o.JSON {
		return rep.writeJSON(os.Stdout)
	}
	return nil
}

// run performs the attacks o asks for. An interrupt through ctx cuts them
// short; the report then covers what was measured.
func run(ctx context.Context, o options) (*report, error) {
	if o.Rate <= 0 || o.Duration <= 0 || o.Clients <= 0 || o.Threads < 0 || o.Threads > maxThreads {
		return nil, fmt.Errorf("-rate, -duration and -clients must be positive, -threads between 0 and %d", maxThreads)
	}
	target, err := messagesURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.run == "" {
		o.run = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	cfg := attackConfig{URL: target, Token: o.Token, Rate: o.Rate,
		Duration: o.Duration, Clients: o.Clients, Timeout: o.Timeout}
	expect := o.Threads
	if expect == 0 {
		expect = min(int(float64(o.Rate)*o.Duration.Seconds())+1024, 1<<24)
	}
	rep := &report{Run: o.run}

	if !o.BaselineOnly {
		msgs := newMessages(o.run, o.Threads, o.Text)
		led := newLedger(time.Now(), expect)
		var rc *receiver
		ln := o.callbackLn
		if ln == nil && o.CallbackListen != "" {
			if ln, err = net.Listen("tcp", o.CallbackListen); err != nil {
				return nil, fmt.Errorf("listen for callbacks: %w", err)
			}
		}
		if ln != nil {
			rc = newReceiver(msgs, o.CallbackSecret, led.base)
			defer serve(ln, rc)()
		}
		res := attack(ctx, cfg, msgs, led)
		rep.Loopdesk = newAttackReport(res)
		if rc != nil {
			drained := awaitReplies(ctx, led, rc, o.Drain)
			rep.E2E = newE2EReport(ln.Addr().String(), res.metrics.Earliest, compare(led, rc, true), rc.counts(), drained)
		}
	}

	if (o.Baseline || o.BaselineOnly) && ctx.Err() == nil {
		base, stop, err := startBaseline()
		if err != nil {
			return nil, err
		}
		defer stop()
		cfg.URL = base
		res := attack(ctx, cfg, newMessages(o.run+"-b", o.Threads, o.Text), newLedger(time.Now(), expect))
		rep.Baseline = newAttackReport(res)
	}
	if rep.Loopdesk != nil && rep.Baseline != nil {
		rep.Ratio = newRatio(rep.Loopdesk, rep.Baseline)
	}
	return rep, nil
}
