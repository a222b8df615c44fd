package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// report is everything one loadgen run measured. Sections that did not run
// are nil.
type report struct {
	Run      string        `json:"run"`
	Loopdesk *attackReport `json:"loopdesk,omitempty"`
	E2E      *e2eReport    `json:"e2e,omitempty"`
	Baseline *attackReport `json:"baseline,omitempty"`
	Ratio    *ratioReport  `json:"ratio,omitempty"`
}

// attackReport summarizes one attack.
type attackReport struct {
	Target           string  `json:"target"`
	Rate             int     `json:"rate"`
	DurationS        float64 `json:"duration_s"`
	Clients          int     `json:"clients"`
	Sent             uint64  `json:"sent"`
	SendRate         float64 `json:"send_rate"` // requests/s actually sent
	Acked            uint64  `json:"acked"`     // 202 answers
	AckedPerSec      float64 `json:"acked_per_sec"`
	DuplicateAnswers uint64  `json:"duplicate_answers"`
	// Latency runs from sending a request to reading its answer;
	// FromSchedule from when the constant pacer meant to send it.
	Latency      latencyReport  `json:"ack_latency_ms"`
	FromSchedule latencyReport  `json:"ack_latency_from_schedule_ms"`
	StatusCodes  map[string]int `json:"status_codes"` // "0": no answer (see errors)
	Errors       []string       `json:"errors,omitempty"`
}

// latencyReport holds latency quantiles in milliseconds.
type latencyReport struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// e2eReport compares acknowledged threads with delivered replies.
type e2eReport struct {
	CallbackAddr    string        `json:"callback_addr"`
	ExpectedThreads int           `json:"expected_threads"` // threads with a 202
	RepliedThreads  int           `json:"replied_threads"`
	MissingThreads  int           `json:"missing_threads"`
	UnackedThreads  int           `json:"unacked_threads"` // replied to without a 202
	Replies         uint64        `json:"replies"`         // distinct reply ids
	Duplicates      uint64        `json:"duplicates"`      // same id again
	ExtraReplies    uint64        `json:"extra_replies"`   // more than one id for a thread
	Foreign         uint64        `json:"foreign"`         // not this run's threads
	BadSignature    uint64        `json:"bad_signature"`
	Malformed       uint64        `json:"malformed"`
	Drained         bool          `json:"drained"`  // every expected reply came
	WindowS         float64       `json:"window_s"` // first send → last expected reply
	DeliveredPerSec float64       `json:"delivered_per_sec"`
	Latency         latencyReport `json:"reply_latency_ms"` // first send → first reply
}

// ratioReport is loopdesk's figures divided by the baseline's.
type ratioReport struct {
	AckedPerSec float64 `json:"acked_per_sec"`
	P99         float64 `json:"p99"`
}

func newAttackReport(res *attackResult) *attackReport {
	m := &res.metrics
	r := &attackReport{
		Target:           res.cfg.URL,
		Rate:             res.cfg.Rate,
		DurationS:        res.cfg.Duration.Seconds(),
		Clients:          res.cfg.Clients,
		Sent:             m.Requests,
		SendRate:         m.Rate,
		Acked:            res.acked,
		DuplicateAnswers: res.dupAnswers,
		Latency:          newLatencyReport(m.Latencies),
		FromSchedule:     newLatencyReport(res.fromSchedule),
		StatusCodes:      m.StatusCodes,
		Errors:           m.Errors[:min(len(m.Errors), 5)],
	}
	if r.StatusCodes == nil {
		r.StatusCodes = map[string]int{}
	}
	if span := m.End.Sub(m.Earliest); span > 0 {
		r.AckedPerSec = float64(res.acked) / span.Seconds()
	}
	return r
}

func newLatencyReport(l vegeta.LatencyMetrics) latencyReport {
	if l.Max == 0 {
		return latencyReport{}
	}
	return latencyReport{
		P50:  ms(l.Quantile(0.50)),
		P90:  ms(l.Quantile(0.90)),
		P99:  ms(l.Quantile(0.99)),
		Max:  ms(l.Max),
		Mean: ms(l.Mean),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func newE2EReport(addr string, began time.Time, d delivery, c deliveryCounts, drained bool) *e2eReport {
	if d.replied > 0 {
		d.latency.Mean = d.latency.Total / time.Duration(d.replied)
	}
	r := &e2eReport{
		CallbackAddr:    addr,
		ExpectedThreads: d.expected,
		RepliedThreads:  d.replied,
		MissingThreads:  d.missing(),
		UnackedThreads:  d.unacked,
		Replies:         c.DistinctIDs,
		Duplicates:      c.DupIDs,
		Foreign:         c.Foreign,
		BadSignature:    c.BadSig,
		Malformed:       c.Malformed,
		Drained:         drained,
		Latency:         newLatencyReport(d.latency),
	}
	if ours := c.DistinctIDs - c.Foreign; ours > uint64(c.Threads) {
		r.ExtraReplies = ours - uint64(c.Threads)
	}
	if !d.last.IsZero() {
		window := d.last.Sub(began)
		r.WindowS = window.Seconds()
		r.DeliveredPerSec = float64(d.replied) / window.Seconds()
	}
	return r
}

func newRatio(loopdesk, baseline *attackReport) *ratioReport {
	var r ratioReport
	if baseline.AckedPerSec > 0 {
		r.AckedPerSec = loopdesk.AckedPerSec / baseline.AckedPerSec
	}
	if baseline.Latency.P99 > 0 {
		r.P99 = loopdesk.Latency.P99 / baseline.Latency.P99
	}
	return &r
}

// writeText prints the report as an aligned, human-readable table.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "loadgen run %s\n", r.Run)
	if r.Loopdesk != nil {
		r.Loopdesk.writeText(w, "loopdesk")
	}
	if r.E2E != nil {
		r.E2E.writeText(w)
	}
	if r.Baseline != nil {
		r.Baseline.writeText(w, "baseline")
	}
	if r.Ratio != nil {
		fmt.Fprintf(w, "\nloopdesk / baseline   acked/s %.2f   p99 %.2fx\n", r.Ratio.AckedPerSec, r.Ratio.P99)
	}
}

func (a *attackReport) writeText(w io.Writer, name string) {
	fmt.Fprintf(w, "\n%s  POST %s\n", name, a.Target)
	row(w, "load", "%d msgs/s for %gs, %d clients", a.Rate, a.DurationS, a.Clients)
	row(w, "sent", "%d (%.1f/s)", a.Sent, a.SendRate)
	if a.SendRate < 0.95*float64(a.Rate) {
		row(w, "warning", "below the target rate: all %d clients busy or loadgen short of CPU (see from schedule)", a.Clients)
	}
	row(w, "acked (202)", "%d (%.1f/s), %d duplicate answers", a.Acked, a.AckedPerSec, a.DuplicateAnswers)
	row(w, "ack latency", "%s   from send", a.Latency)
	row(w, "", "%s   from schedule", a.FromSchedule)
	row(w, "status codes", "%s", formatCodes(a.StatusCodes))
	for _, e := range a.Errors {
		row(w, "error", "%s", e)
	}
}

func (e *e2eReport) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nend-to-end  callbacks on %s\n", e.CallbackAddr)
	state := "all replies in"
	if !e.Drained {
		state = "drain timed out"
	}
	row(w, "threads", "%d expected, %d replied, %d missing, %d replied without a 202 (%s)",
		e.ExpectedThreads, e.RepliedThreads, e.MissingThreads, e.UnackedThreads, state)
	row(w, "replies", "%d distinct ids, %d duplicates, %d extra per thread, %d foreign, %d bad signature, %d malformed",
		e.Replies, e.Duplicates, e.ExtraReplies, e.Foreign, e.BadSignature, e.Malformed)
	row(w, "delivered", "%.1f replies/s over %.2fs (first send to last expected reply)", e.DeliveredPerSec, e.WindowS)
	row(w, "reply latency", "%s   first send to first reply", e.Latency)
}

func row(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "  %-14s %s\n", label, fmt.Sprintf(format, args...))
}

func (l latencyReport) String() string {
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.Max))
}

func fmtMS(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	default:
		return fmt.Sprintf("%.2fms", v)
	}
}

func formatCodes(codes map[string]int) string {
	if len(codes) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(codes))
	for _, code := range slices.Sorted(maps.Keys(codes)) {
		parts = append(parts, fmt.Sprintf("%s: %d", code, codes[code]))
	}
	return strings.Join(parts, ", ")
}

// writeJSON prints the report as one line of JSON.
func (r *report) writeJSON(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
