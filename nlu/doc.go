// Package nlu is the contract between the ticket core and the extractors that
// read a customer message: the intent and field schema of the labeling guide,
// the Extractor interface, the fallback reasons an extraction records, language
// detection, and the scoring used by `loopdesk nlu eval`.
//
// It imports only the standard library and the channels contract.
// Implementations live in subpackages (rules, llm, cascade) and are wired by
// cmd; they never import each other.
package nlu
