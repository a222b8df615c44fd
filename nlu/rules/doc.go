// Package rules is the embedded default nlu.Extractor: it reads intent,
// priority and the fields of the labeling guide (LABELS.md) from Chinese and
// English customer messages without any network call.
//
// The Go code holds mechanisms only: one normalization pass (NFKC, lower
// case), one Aho-Corasick scan for every configured phrase, weighted keyword
// and example-sentence scoring for intents with negation, a small text model
// (logistic regression over character and word n-grams) trained at New from
// labeled messages, the fixed priority rules of the guide (U1, U2, H1–H4,
// L1, L2), numeral parsing and field validators. All vocabulary — intents
// with their keywords and example sentences, labeled training messages, the
// trigger words of each priority rule, field labels and formats — comes from
// configuration files (configs/nlu in this repository; see its README), so a
// company adds an intent, a word or labeled messages without touching code.
//
// It imports only the nlu contract, the standard library, golang.org/x/text
// and gopkg.in/yaml.v3 (to read the configuration files).
package rules
