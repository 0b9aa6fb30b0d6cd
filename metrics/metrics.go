// Package metrics exposes Octopost's metrics in the Prometheus format, on a listener of
// their own (OCTOPOST_METRICS_ADDR), never on the API's port.
//
// The API and the service know no metrics library: each declares a small observer
// interface at the place its events happen (api.Observer, service.Observer), and
// Metrics implements both with client_golang. Labels carry only bounded values the code
// chooses: an operation id of openapi.yaml (never a path, which holds ids), a status
// code, a platform id of the registry, an outcome or a result from a fixed list, a job
// kind. No user, key, post or account id reaches a label.
//
// Every series a label set allows is declared at start (zero until it happens), so that a
// rate() over a series that has not happened yet is 0 rather than missing, and so that a
// dashboard sees every operation and platform from the first scrape.
//
// The queue's depth is read from River's job table when Prometheus scrapes, bounded in
// time (queueDepthTimeout) and in rows (db/queue.Depth), so a scrape costs one indexed
// count and a slow database cannot pile scrapes up.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/service"
)

// queueDepthTimeout bounds reading the queue's depth on a scrape.
const queueDepthTimeout = 2 * time.Second

// DepthFunc counts the jobs waiting to run, by kind.
type DepthFunc func(ctx context.Context) (map[string]int, error)

// Config says which series to declare at start, and where the queue's depth comes from.
type Config struct {
	// Operations are the operation ids of openapi.yaml.
	Operations []string
	// Platforms are the platform ids of the registry.
	Platforms []service.Platform
	// JobKinds are the queue's job kinds, reported as 0 when none waits.
	JobKinds []string
	// QueueDepth counts the waiting jobs; nil: no queue depth is reported.
	QueueDepth DepthFunc
}

// Metrics holds Octopost's metrics in a registry of its own (not the global one, so that
// tests and several servers in one process do not collide).
type Metrics struct {
	registry        *prometheus.Registry
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	publishAttempts *prometheus.CounterVec
	schedulingDelay *prometheus.HistogramVec
	keyChecks       *prometheus.CounterVec

	// The series of the request path, looked up without hashing labels: a map filled in
	// New and only read afterwards, and per operation the counters by status as they come.
	operations map[string]*operationSeries
	keyResults map[service.KeyCheckResult]prometheus.Counter
}

type operationSeries struct {
	duration prometheus.Observer
	codes    sync.Map // status code → prometheus.Counter
}

var (
	_ api.Observer     = (*Metrics)(nil)
	_ service.Observer = (*Metrics)(nil)
)

// schedulingBuckets span a post that goes out on the next poll (250 ms) to one an hour
// late (a queue that was down, or a long wait for a cross-linked post's primary).
var schedulingBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}

// New returns the metrics, with every series of config declared.
func New(config Config) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "octopost_http_requests_total",
			Help: "HTTP requests answered, by operation id of openapi.yaml and status code.",
		}, []string{"operation", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "octopost_http_request_duration_seconds",
			Help:    "Time from receiving an HTTP request to having answered it, by operation id.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		publishAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "octopost_publish_attempts_total",
			Help: "Sends of one part of a post to a platform, by platform and outcome (success, retry, failure, token_rejected).",
		}, []string{"platform", "outcome"}),
		schedulingDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "octopost_scheduling_delay_seconds",
			Help:    "Time from a post's due time to the start of its first send to a platform, by platform.",
			Buckets: schedulingBuckets,
		}, []string{"platform"}),
		keyChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "octopost_key_checks_total",
			Help: "API keys checked, by result (valid, malformed, unknown, revoked, error).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.requests, m.requestDuration, m.publishAttempts, m.schedulingDelay, m.keyChecks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.operations = make(map[string]*operationSeries, len(config.Operations))
	for _, op := range config.Operations {
		m.operations[op] = &operationSeries{duration: m.requestDuration.WithLabelValues(op)}
	}
	for _, pl := range config.Platforms {
		m.schedulingDelay.WithLabelValues(string(pl))
		for _, o := range service.PublishOutcomes {
			m.publishAttempts.WithLabelValues(string(pl), string(o))
		}
	}
	m.keyResults = make(map[service.KeyCheckResult]prometheus.Counter, len(service.KeyCheckResults))
	for _, r := range service.KeyCheckResults {
		m.keyResults[r] = m.keyChecks.WithLabelValues(string(r))
	}
	if config.QueueDepth != nil {
		m.registry.MustRegister(&queueDepth{kinds: config.JobKinds, count: config.QueueDepth})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format. A failure to read the queue's
// depth leaves that metric out of the scrape and serves the others.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Registry is the registry the metrics are in, for tests to gather from.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// ObserveRequest implements api.Observer.
func (m *Metrics) ObserveRequest(operationID string, status int, elapsed time.Duration) {
	s, ok := m.operations[operationID]
	if !ok {
		m.requests.WithLabelValues(operationID, statusLabel(status)).Inc()
		m.requestDuration.WithLabelValues(operationID).Observe(elapsed.Seconds())
		return
	}
	s.duration.Observe(elapsed.Seconds())
	c, ok := s.codes.Load(status)
	if !ok {
		c, _ = s.codes.LoadOrStore(status, m.requests.WithLabelValues(operationID, statusLabel(status)))
	}
	c.(prometheus.Counter).Inc()
}

// PublishAttempt implements service.Observer.
func (m *Metrics) PublishAttempt(pl service.Platform, outcome service.PublishOutcome) {
	m.publishAttempts.WithLabelValues(string(pl), string(outcome)).Inc()
}

// SchedulingDelay implements service.Observer.
func (m *Metrics) SchedulingDelay(pl service.Platform, delay time.Duration) {
	m.schedulingDelay.WithLabelValues(string(pl)).Observe(delay.Seconds())
}

// KeyCheck implements service.Observer.
func (m *Metrics) KeyCheck(result service.KeyCheckResult) {
	if c, ok := m.keyResults[result]; ok {
		c.Inc()
		return
	}
	m.keyChecks.WithLabelValues(string(result)).Inc()
}

// statusLabels are the texts of the status codes, so that labelling a request does not
// format one.
var statusLabels = func() map[int]string {
	out := make(map[int]string, 500)
	for code := 100; code < 600; code++ {
		out[code] = strconv.Itoa(code)
	}
	return out
}()

func statusLabel(code int) string {
	if s, ok := statusLabels[code]; ok {
		return s
	}
	return "other"
}

// queueDepth is a collector that counts the waiting jobs when scraped.
type queueDepth struct {
	kinds []string
	count DepthFunc
}

var queueDepthDesc = prometheus.NewDesc("octopost_queue_depth",
	"Jobs waiting to run (available, scheduled, retryable or pending), by job kind, read when scraped.",
	[]string{"kind"}, nil)

func (q *queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

func (q *queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
	defer cancel()
	counts, err := q.count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	for _, kind := range q.kinds {
		if _, ok := counts[kind]; !ok {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, 0, kind)
		}
	}
	for kind, n := range counts {
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), kind)
	}
}
