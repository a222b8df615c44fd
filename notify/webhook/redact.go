package webhook

import "strings"

// redact blanks out what must not reach an error from an answer that
// echoes the request: the secret and the URL's credentials, path and query.
func (n *Notifier) redact(s string) string {
	for _, v := range n.sensitive {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	return s
}
