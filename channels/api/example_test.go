package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/channels/api"
)

// An integrator's receiver: verify the signature over the raw body, then
// decode the callback and deduplicate on its id.
func ExampleVerify() {
	const secret = "the channels.api.token, or the callback secret"

	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := api.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized) // 4xx: loopdesk stops retrying
			return
		}
		var cb api.Callback
		if err := json.Unmarshal(body, &cb); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		// A repeat of cb.ID was delivered before: answer 2xx again, do nothing.
		fmt.Printf("%s %s to %s: %s\n", cb.ID, cb.Kind, cb.Thread, cb.Text)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(receiver)
	defer srv.Close()

	ch, err := api.New(api.Config{Token: "app-token", CallbackURL: srv.URL, CallbackSecret: secret},
		noHandler{}, noConversations{})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = ch.Send(context.Background(), channels.Outbound{
		ID: "O-000001", Thread: "user-42", Kind: "reply", Text: "您的订单已发货", Attempt: 1,
	})
	fmt.Println("send error:", err)
	// Output:
	// O-000001 reply to user-42: 您的订单已发货
	// send error: <nil>
}

// The signature is an HMAC any language can compute: hex HMAC-SHA256 of
// timestamp + "." + body, prefixed with "v1=".
func ExampleSign() {
	fmt.Println(api.Sign("cb-secret", "1767225600", []byte(`{"id":"o-1"}`)))
	// Output:
	// v1=83c5aeff1116b84bc08c8941bf56c93602f4b1974b20cb38189c6fb46029a699
}

type noHandler struct{}

func (noHandler) HandleMessage(context.Context, channels.Message) (channels.Receipt, error) {
	return channels.Receipt{}, channels.Invalid("this example takes no messages")
}

type noConversations struct{}

func (noConversations) Conversation(context.Context, string, string) ([]channels.ConversationMessage, error) {
	return nil, nil
}
