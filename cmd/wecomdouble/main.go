// Command wecomdouble runs the WeCom (企业微信) server double of package
// wecomtest on a fixed address, for trying loopdesk's WeCom channel by hand:
// point loopdesk's WeCom API base URL at it, and drive customers and agents
// with curl through the /double/ control endpoints.
//
//	wecomdouble -addr 127.0.0.1:9300 \
//	  -kf-callback http://127.0.0.1:8080/hooks/wecom/kf \
//	  -app-callback http://127.0.0.1:8080/hooks/wecom
//
// The defaults for the corp ID, callback token and EncodingAESKey are
// Tencent's published sample values, so they are fine for a local
// walk-through and nothing else.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/loopdesk/loopdesk/channels/wecom/wecomtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wecomdouble:", err)
		}
		os.Exit(2)
	}
}

// options is the command line.
type options struct {
	addr        string
	cfg         wecomtest.Config
	kfCallback  string
	appCallback string
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("wecomdouble", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9300", "address to serve the double on")
	fs.StringVar(&o.cfg.CorpID, "corp-id", "wx5823bf96d3bd56c7", "corp ID (corpid, and receiveid of callbacks)")
	fs.StringVar(&o.cfg.Token, "token", "QDG6eK", "callback token for msg_signature")
	fs.StringVar(&o.cfg.EncodingAESKey, "aes-key", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "callback EncodingAESKey (43 characters)")
	fs.StringVar(&o.cfg.AppSecret, "app-secret", "app-secret", "corpsecret of the self-built app")
	fs.StringVar(&o.cfg.KFSecret, "kf-secret", "kf-secret", "corpsecret of 微信客服")
	fs.IntVar(&o.cfg.AgentID, "agent-id", 1000002, "agentid of the self-built app")
	fs.StringVar(&o.kfCallback, "kf-callback", "http://127.0.0.1:8080/hooks/wecom/kf", "loopdesk's 微信客服 callback URL")
	fs.StringVar(&o.appCallback, "app-callback", "http://127.0.0.1:8080/hooks/wecom", "loopdesk's app callback URL")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(o.cfg.EncodingAESKey) != 43 {
		return o, fmt.Errorf("-aes-key must be 43 characters, got %d", len(o.cfg.EncodingAESKey))
	}
	return o, nil
}

// run serves the double until ctx is done.
func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s := start(o, ln)
	defer s.Close()
	printBanner(out, s, o)
	<-ctx.Done()
	return nil
}

// start serves the double and its control endpoints on ln.
func start(o options, ln net.Listener) *wecomtest.Server {
	s := wecomtest.NewOn(o.cfg, ln)
	s.SetCallbacks(o.kfCallback, o.appCallback)
	mountControl(s)
	return s
}

func printBanner(out io.Writer, s *wecomtest.Server, o options) {
	cfg := s.Config()
	fmt.Fprintf(out, `WeCom double on %[1]s (stands in for https://qyapi.weixin.qq.com)

loopdesk settings:
  api base URL     %[1]s
  corp ID          %[2]s
  callback token   %[3]s
  EncodingAESKey   %[4]s
  app secret       %[5]s   agent ID %[6]d
  kf secret        %[7]s
callbacks go to:
  kf               %[8]s
  app              %[9]s

try:
  curl -s %[1]s/double/customer -d '{"open_kfid":"wkdouble","user":"wmalice","text":"Where is my parcel?"}'
  curl -s %[1]s/double/sent
  curl -s %[1]s/double/agent -d '{"user":"zhangsan","text":"I will check"}'
  curl -s %[1]s/double/app
  curl -s %[1]s/double/click -d '{"user":"zhangsan","task_id":"TASK","key":"KEY"}'
`, s.URL(), cfg.CorpID, cfg.Token, cfg.EncodingAESKey, cfg.AppSecret, cfg.AgentID, cfg.KFSecret, o.kfCallback, o.appCallback)
}
