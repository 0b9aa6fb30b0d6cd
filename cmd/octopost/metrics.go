package main

// The metrics listener: when OCTOPOST_METRICS_ADDR is set, serve exposes GET /metrics in
// the Prometheus format on that address, on a server of its own, so that nothing internal
// is ever reachable on the API's port and the metrics can be bound to a private interface
// (or to localhost, for a sidecar) while the API faces the world. Unset, nothing is
// observed at all: the API and the service run without an observer.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/queue"
	"github.com/octopost/octopost/metrics"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

// metricsTimeout bounds reading a scrape and writing its answer: a scrape is small, and
// a client that stalls must not hold a connection.
const metricsTimeout = 10 * time.Second

// observability is serve's metrics, or none when OCTOPOST_METRICS_ADDR is unset.
type observability struct {
	addr string
	m    *metrics.Metrics
}

// newObservability declares the metrics of d's server, when addr is set.
func newObservability(addr string, d *db.DB) (*observability, error) {
	if addr == "" {
		return &observability{}, nil
	}
	ops, err := api.OperationIDs()
	if err != nil {
		return nil, err
	}
	pls := make([]service.Platform, 0, len(platforms.All))
	for _, spec := range platforms.All {
		pls = append(pls, service.Platform(spec.ID))
	}
	return &observability{addr: addr, m: metrics.New(metrics.Config{
		Operations: ops,
		Platforms:  pls,
		JobKinds:   queue.JobKinds(),
		QueueDepth: func(ctx context.Context) (map[string]int, error) { return queue.Depth(ctx, d) },
	})}, nil
}

// service is the service's Observer: nil, not a nil *Metrics, when metrics are off.
func (o *observability) service() service.Observer {
	if o.m == nil {
		return nil
	}
	return o.m
}

// api is the API's Observer: nil when metrics are off.
func (o *observability) api() api.Observer {
	if o.m == nil {
		return nil
	}
	return o.m
}

// listen starts the metrics server, and returns how to stop it; a no-op when metrics
// are off.
func (o *observability) listen(logger *slog.Logger) (stop func(context.Context) error, err error) {
	if o.m == nil {
		return func(context.Context) error { return nil }, nil
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("listen on OCTOPOST_METRICS_ADDR %s: %w", o.addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.m.Handler())
	srv := &http.Server{
		Handler: mux, ReadHeaderTimeout: metricsTimeout, ReadTimeout: metricsTimeout, WriteTimeout: metricsTimeout,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("metrics listening", "addr", ln.Addr().String())
	return func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil {
			return fmt.Errorf("stop metrics server: %w", errors.Join(err, srv.Close()))
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}
