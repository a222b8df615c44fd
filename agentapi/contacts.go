package agentapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/loopdesk/loopdesk/auth"
	"github.com/loopdesk/loopdesk/internal/httpjson"
	"github.com/loopdesk/loopdesk/ticketcore"
)

type contactsAnswer struct {
	Contacts   []ticketcore.Contact `json:"contacts"`
	NextCursor *string              `json:"next_cursor"`
}

func (a *API) listContacts(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	v := r.URL.Query()
	q := ticketcore.ContactQuery{Text: strings.TrimSpace(v.Get("q")), Cursor: v.Get("cursor")}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return invalid("limit must be a positive number")
		}
		q.Limit = n
	}
	if _, ok := ticketcore.ParseContactID(q.Cursor); q.Cursor != "" && !ok {
		return invalid("cursor %q is not a contact id", q.Cursor)
	}
	list, next, err := a.tickets.Contacts(r.Context(), q)
	if err != nil {
		return a.fail(r, err)
	}
	ans := contactsAnswer{Contacts: list}
	if ans.Contacts == nil {
		ans.Contacts = []ticketcore.Contact{}
	}
	if next != "" {
		ans.NextCursor = &next
	}
	httpjson.Write(w, http.StatusOK, ans)
	return nil
}

// contactID reads the {id} path value; anything that is not a contact id
// is a contact that does not exist.
func contactID(r *http.Request) (string, *httpjson.Error) {
	id := r.PathValue("id")
	if _, ok := ticketcore.ParseContactID(id); !ok {
		return "", httpjson.Errorf(http.StatusNotFound, "not_found", "there is no contact %q", id)
	}
	return id, nil
}

func (a *API) getContact(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	id, e := contactID(r)
	if e != nil {
		return e
	}
	c, err := a.tickets.Contact(r.Context(), id)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusOK, c)
	return nil
}

func (a *API) changeContact(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	id, e := contactID(r)
	if e != nil {
		return e
	}
	var patch ticketcore.ContactPatch
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &patch); e != nil {
		return e
	}
	if err := patch.Validate(); err != nil {
		return invalid("%s", strings.TrimPrefix(err.Error(), ticketcore.ErrInvalid.Error()+": "))
	}
	c, err := a.tickets.ChangeContact(r.Context(), id, patch)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusOK, c)
	return nil
}

func (a *API) linkIdentity(w http.ResponseWriter, r *http.Request, _ auth.Principal) *httpjson.Error {
	id, e := contactID(r)
	if e != nil {
		return e
	}
	var ident ticketcore.Identity
	if e := httpjson.DecodeStrict(w, r, a.cfg.MaxBodyBytes, &ident); e != nil {
		return e
	}
	ident.Channel, ident.ID = strings.TrimSpace(ident.Channel), strings.TrimSpace(ident.ID)
	if ident.Channel == "" || ident.ID == "" {
		return invalid("an identity needs a channel and an id")
	}
	c, err := a.tickets.LinkIdentity(r.Context(), id, ident)
	if err != nil {
		return a.fail(r, err)
	}
	httpjson.Write(w, http.StatusOK, c)
	return nil
}
