// Package prompts holds the prompt templates loopdesk sends to language
// models, as versioned text/template files embedded in the binary
// (extract.v1.tmpl, repair.v1.tmpl, …), and renders them.
//
// A template file defines a "user" template and optionally a "system"
// one. A change to what a model is told is a new version file, not an edit
// of an old one, so a figure measured with extract.v1 stays reproducible;
// golden files under testdata show every version as rendered.
//
// It imports only the standard library.
package prompts
