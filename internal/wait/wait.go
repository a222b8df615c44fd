// Package wait holds the one way loopdesk's background loops pause: for a
// while, unless their context ends first.
package wait

import (
	"context"
	"time"
)

// Sleep waits d unless ctx ends first; it reports whether to go on.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
