package ticketcore

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Service's Prometheus collectors.
type metrics struct {
	received   *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	created    *prometheus.CounterVec
	sent       *prometheus.CounterVec
	failed     *prometheus.CounterVec
	retried    *prometheus.CounterVec
	held       *prometheus.CounterVec
	processing prometheus.Histogram
	delivery   *prometheus.HistogramVec
}

// latencyBuckets span a millisecond to a minute.
var latencyBuckets = prometheus.ExponentialBuckets(0.001, 2.5, 13)

func newMetrics(reg prometheus.Registerer, store Store) (*metrics, error) {
	byChannel := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, []string{"channel"})
	}
	m := &metrics{
		received:   byChannel("loopdesk_messages_received_total", "Inbound messages stored, by channel."),
		duplicates: byChannel("loopdesk_messages_duplicate_total", "Inbound messages whose idempotency key was seen before, by channel."),
		created:    byChannel("loopdesk_tickets_created_total", "Tickets created, by channel."),
		sent:       byChannel("loopdesk_outbox_sent_total", "Outbound messages delivered, by channel."),
		failed:     byChannel("loopdesk_outbox_failed_total", "Outbound messages given up on, by channel."),
		retried:    byChannel("loopdesk_outbox_retries_total", "Failed delivery attempts that will be retried, by channel."),
		held:       byChannel("loopdesk_outbox_held_total", "Sends a channel held until the customer writes again, by channel."),
		processing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "loopdesk_message_processing_seconds",
			Help:    "Time from storing an inbound message to committing it on a ticket.",
			Buckets: latencyBuckets,
		}),
		delivery: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "loopdesk_delivery_seconds",
			Help:    "Time from enqueuing an outbound message to its delivery, by channel.",
			Buckets: latencyBuckets,
		}, []string{"channel"}),
	}
	if reg == nil {
		return m, nil
	}
	queue := func(name, help string, pick func(Stats) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			st, err := store.Stats(context.Background())
			if err != nil {
				return -1
			}
			return float64(pick(st))
		})
	}
	for _, c := range []prometheus.Collector{m.received, m.duplicates, m.created, m.sent,
		m.failed, m.retried, m.held, m.processing, m.delivery,
		queue("loopdesk_inbox_pending", "Inbound messages waiting to be worked.", func(s Stats) int { return s.Inbox }),
		queue("loopdesk_outbox_pending", "Outbound messages waiting to be delivered.", func(s Stats) int { return s.Outbox }),
		queue("loopdesk_timers_pending", "Durable timers (SLA warnings and breaches, pages) not yet fired.", func(s Stats) int { return s.Timers }),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func seconds(from, to time.Time) float64 { return max(to.Sub(from).Seconds(), 0) }
