// Command loadgen drives loopdesk's generic API channel with an open-loop,
// constant-rate load and reports what loopdesk achieved:
//
//   - acked msgs/s (202 answers per second), ack latency p50/p90/p99/max and
//     answers by status code. Requests go out at -rate for -duration on vegeta's
//     constant pacer, at most -clients at a time over keep-alive connections.
//     Latency is given twice: from the moment a request was sent (vegeta's
//     figure), and from the moment the pacer meant to send it, which keeps
//     the wait for a free client in the figure when loopdesk falls behind
//     (coordinated omission).
//   - with -callback-listen, the end-to-end count: every message opens a
//     thread (or one of -threads), loopdesk answers each new thread with an
//     acknowledgement reply posted to channels.api.callback_url, and loadgen
//     counts distinct reply ids and threads, duplicates, missing threads and
//     delivered replies/s from the first send to the last expected reply,
//     waiting up to -drain for stragglers.
//   - with -baseline, the same attack against a bare net/http handler inside
//     loadgen, and the ratios loopdesk/baseline: what loadgen and loopback
//     cost on this machine. -baseline-only runs just that.
//
// Every run has its own id, so external_id "lg-<run>-<n>" never repeats
// across runs and each message is new to loopdesk.
//
// Against a local server:
//
//	LOOPDESK_CHANNELS_API_TOKEN=secret \
//	LOOPDESK_CHANNELS_API_CALLBACK_URL=http://127.0.0.1:9090/replies \
//	  loopdesk serve --data /tmp/lg-data &
//	LOOPDESK_CHANNELS_API_TOKEN=secret go run ./cmd/loadgen \
//	  -rate 10000 -duration 30s -clients 64 \
//	  -callback-listen 127.0.0.1:9090 -callback-secret secret -baseline -json
//
// The callback secret is channels.api.callback_secret, or the token when
// that is empty. loadgen imports no loopdesk package: it speaks only the
// HTTP contract, as an integrator would.
package main
