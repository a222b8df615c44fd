// Package fsblobs keeps attachment content on the filesystem, addressed by
// its SHA-256: the embedded default ticketcore.Blobs, under the data dir.
//
// Content lives at <root>/<h[0:2]>/<h[2:4]>/<h>, h the lowercase hex
// SHA-256, so no directory grows past a few thousand entries. Files are
// written once and never changed: Put writes a temp file in the target
// directory, syncs it, renames it into place and syncs the directory, so
// content is complete on disk before loopdesk acknowledges the message that
// carried it, and a crash leaves either the whole file or none (plus a temp
// file, removed at the next Open). Put of content already stored is a stat.
//
// Paths are only ever built from validated ids (64 lowercase hex digits) or
// from hashes Put computes itself.
//
// It imports only ticketcore (for ErrNotFound) and the standard library.
package fsblobs
