package main

import (
	"fmt"
	"io"
	"path/filepath"
)

// printBanner tells a person who just started loopdesk where it listens,
// where its data is, and how to send a first message. Secrets made by this
// start are shown here, once.
func printBanner(w io.Writer, cfg Config, addr string, made firstStart) {
	dataDir, _ := filepath.Abs(cfg.Data.Dir)
	apiToken := "$LOOPDESK_API_TOKEN"
	fmt.Fprintf(w, "loopdesk %s\n  listening on http://%s\n  data in     %s\n", version(), addr, dataDir)
	if made.AdminToken != "" || made.APIToken != "" || made.CallbackSecret != "" {
		fmt.Fprintf(w, "\nFirst start: these secrets were made for you and are shown only now; only their hashes are kept.\n")
		if made.AdminToken != "" {
			fmt.Fprintf(w, "  admin token (agent API):   %s\n", made.AdminToken)
		}
		if made.APIToken != "" {
			fmt.Fprintf(w, "  api channel token:         %s\n", made.APIToken)
			apiToken = made.APIToken
		}
		if made.CallbackSecret != "" {
			fmt.Fprintf(w, "  callback signing secret:   %s\n", made.CallbackSecret)
		}
		fmt.Fprintf(w, "  Lost one? Configure your own (LOOPDESK_AUTH_ADMIN_TOKEN, LOOPDESK_CHANNELS_API_TOKEN): it replaces the one made here.\n")
	}
	fmt.Fprintf(w, `
Send a first message:
  curl -s http://%s/api/v1/channels/api/messages \
    -H "Authorization: Bearer %s" -H 'Content-Type: application/json' \
    -d '{"external_id":"hello-1","from":{"id":"user-42","name":"王芳"},"text":"订单 2026112500012345 还没发货"}'
Then read the conversation:
  curl -s http://%s/api/v1/conversations/user-42/messages -H "Authorization: Bearer %s"

`, addr, apiToken, addr, apiToken)
}
