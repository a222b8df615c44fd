package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/sashabaranov/go-openai/jsonschema"
)

// schemaName names the schema in response_format and the forced tool.
const schemaName = "record_ticket_fields"

// buildSchema is the answer's JSON schema: intent and priority from their
// sets, every configured field a string or null, and a confidence. It is
// strict (every property required, no others) because OpenAI's strict
// structured output demands exactly that; optional fields are nullable
// instead of absent.
func buildSchema(intents, priorities []string, fields []Field) *jsonschema.Definition {
	props := make(map[string]jsonschema.Definition, len(fields))
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		props[f.Key] = jsonschema.Definition{AnyOf: []jsonschema.Definition{
			{Type: jsonschema.String, Description: f.Description}, {Type: jsonschema.Null}}}
		keys = append(keys, f.Key)
	}
	return &jsonschema.Definition{
		Type: jsonschema.Object,
		Properties: map[string]jsonschema.Definition{
			"intent":   {Type: jsonschema.String, Enum: intents},
			"priority": {Type: jsonschema.String, Enum: priorities},
			"fields": {Type: jsonschema.Object, Properties: props, Required: keys,
				AdditionalProperties: false},
			"confidence": {Type: jsonschema.Number, Description: "confidence in the intent, 0 to 1"},
		},
		Required:             []string{"intent", "priority", "fields", "confidence"},
		AdditionalProperties: false,
	}
}

// answer is the model's answer as parsed, before validation.
type answer struct {
	Intent     string
	Priority   string
	Fields     map[string]string
	Unusable   []string // keys whose value was neither a string, a number nor null
	Confidence float64
}

// parseAnswer reads the model's JSON. A missing intent or priority is a
// shape error like a syntax error: the repair request can fix both. Values
// that are numbers (an amount written 268) are taken as their text.
func parseAnswer(content string) (answer, error) {
	var raw struct {
		Intent     string                     `json:"intent"`
		Priority   string                     `json:"priority"`
		Fields     map[string]json.RawMessage `json:"fields"`
		Confidence *float64                   `json:"confidence"`
	}
	if err := json.Unmarshal([]byte(stripFence(content)), &raw); err != nil {
		return answer{}, err
	}
	if raw.Intent == "" || raw.Priority == "" {
		return answer{}, errors.New(`the object lacks "intent" or "priority"`)
	}
	a := answer{Intent: raw.Intent, Priority: raw.Priority, Fields: map[string]string{}, Confidence: 0.5}
	if raw.Confidence != nil && !math.IsNaN(*raw.Confidence) {
		a.Confidence = min(1, max(0, *raw.Confidence))
	}
	for k, v := range raw.Fields {
		v = bytes.TrimSpace(v)
		var s string
		switch {
		case string(v) == "null":
		case json.Unmarshal(v, &s) == nil:
			if s = strings.TrimSpace(s); s != "" {
				a.Fields[k] = s
			}
		case json.Valid(v) && len(v) > 0 && (v[0] == '-' || '0' <= v[0] && v[0] <= '9'):
			a.Fields[k] = string(v)
		default:
			a.Unusable = append(a.Unusable, k)
		}
	}
	return a, nil
}

// stripFence removes a Markdown code fence around JSON, which models in
// json_object mode on some servers add despite being told not to.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 && !strings.ContainsAny(s[:i], "{[") {
		s = s[i+1:] // the fence's language tag
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
}

// encodeSchema is the schema as compact JSON, encoded once: the requests
// and the prompt carry these bytes, because Definition.MarshalJSON writes
// to the definition and so cannot run from concurrent calls.
func encodeSchema(d *jsonschema.Definition) (json.RawMessage, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("llm: encode schema: %w", err)
	}
	return b, nil
}
