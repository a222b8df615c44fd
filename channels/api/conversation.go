package api

import (
	"net/http"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// Conversation is the answer of GET /api/v1/conversations/{thread}/messages.
type Conversation struct {
	// Messages are inbound and outbound, oldest first; never null.
	Messages []channels.ConversationMessage `json:"messages"`
}

func (c *Channel) handleConversation(w http.ResponseWriter, r *http.Request) {
	if !c.authorized(r) {
		writeUnauthorized(w)
		return
	}
	thread := r.PathValue("thread")
	if e := checkID("thread", thread); e != nil {
		httpjson.WriteError(w, e)
		return
	}
	msgs, err := c.conv.Conversation(r.Context(), channels.API, thread)
	if err != nil {
		c.log.ErrorContext(r.Context(), "read api conversation", "thread", thread, "err", err)
		writeUnavailable(w, "the conversation could not be read; retry shortly")
		return
	}
	if msgs == nil {
		msgs = []channels.ConversationMessage{}
	}
	// Delivery states change; a cache must not answer a stale copy.
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusOK, Conversation{Messages: msgs})
}
