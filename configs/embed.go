// Package configs carries the embedded default configuration: the example
// config, the rules extractor's intents and patterns, and the reply templates.
// `loopdesk serve` without a config file runs on these; a company copies and
// edits them.
package configs

import "embed"

// FS holds every file under configs/ except Go sources.
//
//go:embed *.yaml nlu templates desks
var FS embed.FS

// Example is the example config, every key with its default.
const Example = "loopdesk.example.yaml"

// Desk is the embedded industry template: the e-commerce desk.
const Desk = "desks/ecommerce.yaml"
