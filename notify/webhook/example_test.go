package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loopdesk/loopdesk/internal/signature"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/notify/webhook"
)

// An SMS gateway reached through a webhook, registered with the dispatcher
// as the outbox channel "notify.sms". The receiver verifies each notice
// before it trusts it.
func Example() {
	const secret = "shared-with-the-gateway"
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := signature.Verify(secret, r.Header.Get(signature.HeaderTimestamp),
			r.Header.Get(signature.HeaderSignature), body, time.Now(), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("gateway got", r.Header.Get("Idempotency-Key"))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer gateway.Close()

	sms, err := webhook.New(webhook.Config{Name: "sms", URL: gateway.URL + "/send", Secret: secret})
	if err != nil {
		fmt.Println(err)
		return
	}
	ch := notify.Channel(sms)
	out := notify.Outbound("sms", notify.Notice{
		ID: "O-000077", Kind: notify.KindPage, TicketID: "T-000123", Text: "urgent refund waiting",
		To: notify.Recipient{Agent: "agent-7", Address: "+8613800138000"}, Urgent: true, Attempt: 1,
	})
	fmt.Println(ch.Name(), ch.Send(context.Background(), out))
	// Output:
	// gateway got O-000077
	// notify.sms <nil>
}
