// Command loopdesk is the omnichannel messaging gateway and ticket system:
// `loopdesk serve` runs it, `loopdesk nlu eval` scores an extractor,
// `loopdesk rules test` explains what the routing rules do to a ticket,
// `loopdesk token` makes an agent token, `loopdesk version` says which build
// this is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // calendars need their zones on hosts without zoneinfo (distroless)
)

const usage = `loopdesk — omnichannel messaging gateway and ticket system

Usage:
  loopdesk serve [--config FILE] [--addr HOST:PORT] [--data DIR]
  loopdesk nlu eval [--extractor rules|llm|cascade] [--config FILE] [--json] [-v] FILE.jsonl
  loopdesk rules test [--config FILE] ticket.json
  loopdesk token --name NAME [--role admin|agent|viewer]
  loopdesk version

Every config key can also be set from the environment: LOOPDESK_ + the key
upper-cased with "." turned into "_" (server.addr → LOOPDESK_SERVER_ADDR).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one subcommand and returns the process exit code: 0 done,
// 1 failed, 2 misused.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		err = serve(ctx, rest, stdout, stderr)
	case cmd == "nlu" && len(rest) > 0 && rest[0] == "eval":
		err = nluEval(ctx, rest[1:], stdout)
	case cmd == "rules" && len(rest) > 0 && rest[0] == "test":
		err = rulesTest(rest[1:], stdout, stderr)
	case cmd == "token":
		err = token(rest, stdout)
	case cmd == "version":
		fmt.Fprintln(stdout, "loopdesk", version())
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "loopdesk: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "loopdesk: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "loopdesk: %v\n", err)
	return 1
}

// errUsage marks a command line that cannot be carried out as written.
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// newFlags is a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
