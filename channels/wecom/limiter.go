package wecom

import (
	"sync"
	"time"
)

// WeCom takes at most 30 app messages a minute per member; it drops the
// rest without saying so (docs path 90236), so the channel counts first.
const (
	memberPerMinute = 30
	memberPerHour   = 1000
)

// memberLimiter counts app messages per member over the last hour.
type memberLimiter struct {
	now  func() time.Time
	mu   sync.Mutex
	sent map[string][]time.Time // per member, oldest first, the last hour
}

func newMemberLimiter(now func() time.Time) *memberLimiter {
	return &memberLimiter{now: now, sent: map[string][]time.Time{}}
}

// take counts one message to member if the limits allow it now; else it
// says how long until they do.
func (l *memberLimiter) take(member string) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	times := l.sent[member]
	for len(times) > 0 && !times[0].After(now.Add(-time.Hour)) {
		times = times[1:]
	}
	if len(times) >= memberPerHour {
		l.sent[member] = times
		return times[len(times)-memberPerHour].Add(time.Hour).Sub(now), false
	}
	if n := len(times); n >= memberPerMinute {
		if start := times[n-memberPerMinute]; start.After(now.Add(-time.Minute)) {
			l.sent[member] = times
			return start.Add(time.Minute).Sub(now), false
		}
	}
	l.sent[member] = append(times, now)
	return 0, true
}
