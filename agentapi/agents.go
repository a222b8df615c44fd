package agentapi

import (
	"net/http"
	"strings"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

type agentsAnswer struct {
	Agents []ticketcore.AgentStatus `json:"agents"`
}

func (a *API) agents(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	list, err := a.tickets.Agents(r.Context())
	if err != nil {
		return a.fail(r, err)
	}
	if list == nil {
		list = []ticketcore.AgentStatus{}
	}
	if !p.AtLeast(auth.RoleAdmin) { // addresses are phone numbers and chat ids: an admin's to see
		for i := range list {
			list[i].Notify = nil
		}
	}
	httpjson.Write(w, http.StatusOK, agentsAnswer{Agents: list})
	return nil
}

// setAvailability lets an agent go away or come back; an admin may do it
// for anyone (the agent forgot before leaving).
func (a *API) setAvailability(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	name := r.PathValue("name")
	if p.Name != name && !p.AtLeast(auth.RoleAdmin) {
		return forbidden("%s may set only their own availability; an admin may set anyone's", p.Name)
	}
	var body struct {
		Available *bool `json:"available"`
	}
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
		return e
	}
	if body.Available == nil {
		return invalid("available (true or false) is required")
	}
	if err := a.tickets.SetAvailable(r.Context(), name, *body.Available); err != nil {
		return a.fail(r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// setAddress maps an agent to their address on a notifier (PUT
// {"address": "zhangsan"}; "" takes them off it) or returns to the desk's
// configured one (DELETE). Admins only: it decides who acts as whom in chat.
func (a *API) setAddress(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	var body struct {
		Address *string `json:"address"`
	}
	reset := r.Method == http.MethodDelete
	if !reset {
		if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &body); e != nil {
			return e
		}
		if body.Address == nil {
			return invalid("address is required (\"\" takes the agent off the notifier)")
		}
	} else {
		body.Address = new(string)
	}
	err := a.tickets.SetAgentAddress(r.Context(), r.PathValue("name"), r.PathValue("notifier"), *body.Address, reset)
	if err != nil {
		return a.fail(r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ackPage acknowledges an urgent page on behalf of the caller, which stops
// its repeats and its escalation to the group lead.
func (a *API) ackPage(w http.ResponseWriter, r *http.Request, p auth.Principal) *httpjson.Error {
	id := r.PathValue("id")
	if strings.TrimSpace(id) == "" || len(id) > 128 {
		return httpjson.Errorf(http.StatusNotFound, "not_found", "there is no page %q", id)
	}
	if err := a.tickets.AckPage(r.Context(), id, p.Name); err != nil {
		return a.fail(r, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
