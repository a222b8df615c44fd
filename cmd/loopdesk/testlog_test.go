package main

import (
	"log/slog"
	"os"
)

// testLog is the gateway's logger in tests: silent, or with
// LOOPDESK_TEST_LOG=1 everything to stderr (to see why a test waits).
func testLog() *slog.Logger {
	if os.Getenv("LOOPDESK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return discardLog()
}
