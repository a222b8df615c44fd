// Command loadgen drives loopdesk's generic API channel with an open-loop,
// constant-rate load and reports acknowledged messages per second and ack
// latency; with -callback-listen it also counts the acknowledgement replies
// loopdesk posts back, and with -baseline it runs the same load against a
// bare handler to show what loadgen itself costs on this machine.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
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
	Text                   string

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
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of loadgen to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, _ := os.Create(*cpuprofile)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}
	rep.writeText(os.Stdout)
	if o.JSON {
		if err := rep.writeJSON(os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
			os.Exit(1)
		}
	}
}

// run performs the attacks o asks for. An interrupt through ctx cuts them
// short; the report then covers what was measured.
func run(ctx context.Context, o options) (*report, error) {
	if o.Rate <= 0 || o.Duration <= 0 || o.Clients <= 0 || o.Threads < 0 {
		return nil, errors.New("-rate, -duration and -clients must be positive and -threads not negative")
	}
	target, err := messagesURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.run == "" {
		o.run = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	cfg := attackConfig{Name: "loopdesk", URL: target, Token: o.Token, Rate: o.Rate,
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
		cfg.Name, cfg.URL = "baseline", base
		res := attack(ctx, cfg, newMessages(o.run+"-b", o.Threads, o.Text), newLedger(time.Now(), expect))
		rep.Baseline = newAttackReport(res)
	}
	if rep.Loopdesk != nil && rep.Baseline != nil {
		rep.Ratio = newRatio(rep.Loopdesk, rep.Baseline)
	}
	return rep, nil
}

// messagesURL accepts loopdesk's base URL or the full endpoint.
func messagesURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("-url %q: want an absolute http(s) URL", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = messagesPath
	}
	return u.String(), nil
}
