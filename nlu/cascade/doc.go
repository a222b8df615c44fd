// Package cascade is the nlu.Extractor that combines a cheap, local
// extractor (the rules) with an expensive one (an LLM): the rules read
// every message; the LLM is asked only when the rules are unsure of the
// intent or a field the intent requires is missing — or for every message
// in Always mode (the "llm" extractor of the config). An LLM failure never
// fails the extraction: the rules' result is returned with
// Extraction.Fallback saying why.
//
// Who decided what stays visible: Extraction.Extractor names the extractor
// whose intent was kept ("rules" or "llm"), and FieldSources names the
// extractor of each field. The cascade's own name ("cascade", or "llm" in
// Always mode) is only its configuration name (Extractor.Name).
//
// It imports only the nlu contract; cmd passes the rules and LLM
// extractors in.
package cascade
