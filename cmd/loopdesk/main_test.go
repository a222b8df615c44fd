package main

import (
	"os"
	"testing"
)

// TestMain lets tests run this test binary as the loopdesk command itself
// (LOOPDESK_TEST_AS_MAIN=1), so a test can start, kill -9 and restart a real
// loopdesk process without building it separately.
func TestMain(m *testing.M) {
	if os.Getenv("LOOPDESK_TEST_AS_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}
