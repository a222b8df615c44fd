// Package httpjson holds what every loopdesk HTTP handler shares: reading a
// JSON body within a size limit and answering with JSON, errors in the one
// shape CONTRACT.md fixes: {"error": {"code": "snake_case", "message": "…"}}.
//
// It imports only the standard library.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// DefaultMaxBody is the body limit when a handler is given none (1 MiB).
const DefaultMaxBody = 1 << 20

// Error is an HTTP error answer.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Decode reads r's body as one JSON value into v. The body may be at most
// maxBody bytes (DefaultMaxBody when 0). It answers *Error: 413
// body_too_large past the limit, 400 invalid_json for anything that is not
// one JSON value of v's shape.
func Decode(w http.ResponseWriter, r *http.Request, maxBody int64, v any) *Error {
	return decode(w, r, maxBody, v, false)
}

// DecodeStrict is Decode that also rejects object keys v does not have, so a
// misspelt key is an error rather than silently ignored.
func DecodeStrict(w http.ResponseWriter, r *http.Request, maxBody int64, v any) *Error {
	return decode(w, r, maxBody, v, true)
}

func decode(w http.ResponseWriter, r *http.Request, maxBody int64, v any, strict bool) *Error {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if r.ContentLength > maxBody {
		return tooLarge(maxBody)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(maxBody)
		}
		if errors.Is(err, io.EOF) {
			return Errorf(http.StatusBadRequest, "invalid_json", "the request body is empty; send a JSON object")
		}
		return Errorf(http.StatusBadRequest, "invalid_json", "the request body is not valid JSON: %s", cleanJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return tooLarge(maxBody)
		}
		return Errorf(http.StatusBadRequest, "invalid_json", "the request body holds more than one JSON value")
	}
	return nil
}

func tooLarge(limit int64) *Error {
	return Errorf(http.StatusRequestEntityTooLarge, "body_too_large",
		"the request body is larger than the limit of %d bytes", limit)
}

func cleanJSONError(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Write answers status with v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// WriteError answers e in the error shape.
func WriteError(w http.ResponseWriter, e *Error) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	Write(w, e.Status, map[string]body{"error": {Code: e.Code, Message: e.Message}})
}
