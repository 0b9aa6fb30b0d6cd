package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/dashboard"
	"github.com/octopost/octopost/db/queue"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// boolEnv reads a true/false setting; anything unparsable is a usage error, not a silent false.
func (c *cli) boolEnv(name string) (bool, error) {
	v := c.getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, usagef("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

func (c *cli) logger() (*slog.Logger, error) {
	switch format := c.getenv("OCTOPOST_LOG_FORMAT"); format {
	case "", "json":
		return slog.New(slog.NewJSONHandler(c.stderr, nil)), nil
	case "text":
		return slog.New(slog.NewTextHandler(c.stderr, nil)), nil
	default:
		return nil, usagef("OCTOPOST_LOG_FORMAT must be json or text, not %q", format)
	}
}

func (c *cli) serve(ctx context.Context, args []string) error {
	if err := parseFlags(flag.NewFlagSet("serve", flag.ContinueOnError), args, 0); err != nil {
		return err
	}
	refuseTest, err := c.boolEnv("OCTOPOST_REFUSE_TEST_KEYS")
	if err != nil {
		return err
	}
	allowPrivate, err := c.boolEnv("OCTOPOST_WEBHOOKS_ALLOW_PRIVATE")
	if err != nil {
		return err
	}
	webhookPorts, err := netpolicy.ParsePorts(c.getenv("OCTOPOST_WEBHOOK_PORTS"))
	if err != nil {
		return usagef("OCTOPOST_WEBHOOK_PORTS must list ports separated by commas, such as 8443,9443: %v", err)
	}
	logger, err := c.logger()
	if err != nil {
		return err
	}
	defaultTier, err := c.defaultTier()
	if err != nil {
		return err
	}
	addr := c.getenv("OCTOPOST_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}

	privatePlatforms, err := c.boolEnv("OCTOPOST_PLATFORMS_ALLOW_PRIVATE")
	if err != nil {
		return err
	}
	jobTimeout, err := c.durationEnv("OCTOPOST_JOB_TIMEOUT")
	if err != nil {
		return err
	}
	shutdownDelay, err := c.shutdownDelay()
	if err != nil {
		return err
	}
	timeouts := productionTimeouts
	if c.timeouts != nil {
		timeouts = *c.timeouts
	}
	if err := timeouts.check(); err != nil {
		return err
	}

	oauthConfig, err := c.oauthConfig(addr, netpolicy.Client(privatePlatforms, timeouts.platformCall))
	if err != nil {
		return err
	}

	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	secrets, err := c.secrets(d, logger)
	if err != nil {
		return err
	}
	c.logConfiguration(logger)
	obs, err := newObservability(c.getenv("OCTOPOST_METRICS_ADDR"), d)
	if err != nil {
		return err
	}
	svc := service.New(d, nil, nil, service.Config{
		AllowPrivateWebhooks:      allowPrivate,
		WebhookPorts:              webhookPorts,
		Platforms:                 platforms.All,
		Adapters:                  c.adapters(privatePlatforms, timeouts.platformCall),
		Secrets:                   secrets,
		Render:                    api.Renderer{},
		AllowInsecurePlatformURLs: privatePlatforms,
		ConnectTimeout:            timeouts.connect,
		OAuth:                     oauthConfig,
		Observer:                  obs.service(),
	})
	if err := sealWebhookSecrets(ctx, svc, logger); err != nil {
		return err
	}
	jobs, err := queue.New(d, svc, queue.Options{Instance: queue.InstanceName(c.getenv("OCTOPOST_INSTANCE_ID"), addr), JobTimeout: jobTimeout, StopTimeout: timeouts.queueStop, Logger: logger})
	if err != nil {
		return err
	}
	limiter, err := svc.NewRateLimiter(service.RateLimitConfig{DefaultTier: defaultTier})
	if err != nil {
		return err
	}
	var queueRunning atomic.Bool
	readiness := service.NewReadiness(
		service.ReadinessCheck{Part: service.PartDatabase, Check: d.Ping},
		service.ReadinessCheck{Part: service.PartMigrations, Check: func(ctx context.Context) error {
			pending, err := d.PendingMigrations(ctx)
			if err == nil && len(pending) > 0 {
				err = fmt.Errorf("migrations not applied: %v", pending)
			}
			return err
		}},
		service.ReadinessCheck{Part: service.PartQueue, Check: func(context.Context) error {
			if !queueRunning.Load() {
				return errors.New("publishing queue not running")
			}
			return nil
		}},
	)
	dash, err := dashboard.New(svc, dashboard.Options{Logger: logger, PublicURL: oauthConfig.PublicURL, Platforms: platforms.All})
	if err != nil {
		return err
	}
	handler, err := api.NewHandler(svc, api.Options{Logger: logger, RefuseTestKeys: refuseTest, RateLimiter: limiter, Readiness: readiness, Observer: obs.api(), Pages: dash})
	if err != nil {
		return err
	}

	// The metrics listener stays up until serve returns, so that the shutdown can be watched.
	stopMetrics, err := obs.listen(logger)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), timeouts.margin)
		defer cancel()
		if err := stopMetrics(stopCtx); err != nil {
			logger.Warn("metrics listener", "error", err.Error())
		}
	}()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := timeouts.server(handler)
	srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	logger.Info("octopost listening", "addr", ln.Addr().String(), "database", string(d.Engine),
		"refuse_test_keys", refuseTest, "webhooks_allow_private", allowPrivate, "pid", os.Getpid())

	// The queue's context outlives the signal, so that shutdown can let running
	// publishes finish instead of cutting them off mid-call.
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start publishing queue: %w", err)
	}
	queueRunning.Store(true)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}
	// Readiness fails first, and the server keeps answering for shutdownDelay, so that a
	// load balancer polling /readyz takes the instance out of rotation before it refuses
	// connections. Then the requests in flight, so that none can enqueue a job any more,
	// then the queue: each within its share of the grace (see timeouts.go).
	readiness.Drain()
	logger.Info("shutting down", "grace", (shutdownDelay + timeouts.shutdown).String(), "delay", shutdownDelay.String())
	if serveErr == nil && shutdownDelay > 0 {
		select {
		case serveErr = <-served:
		case <-time.After(shutdownDelay):
		}
	}
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), timeouts.drain)
	defer cancelDrain()
	if serveErr == nil {
		if err := srv.Shutdown(drainCtx); err != nil {
			serveErr = fmt.Errorf("shutdown: %w", errors.Join(err, srv.Close()))
		} else if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			serveErr = err
		}
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), timeouts.queueStop+timeouts.margin)
	defer cancelStop()
	queueRunning.Store(false)
	if err := jobs.Stop(stopCtx); err != nil {
		return errors.Join(serveErr, fmt.Errorf("stop publishing queue: %w", err))
	}
	if serveErr != nil {
		return serveErr
	}
	logger.Info("stopped")
	return nil
}

// defaultShutdownDelay is how long serve keeps answering, with /readyz at 503, between
// the signal and the drain: a load balancer that probes every 2 s and takes an instance
// out after two failures has stopped sending it requests by then.
const defaultShutdownDelay = 5 * time.Second

// shutdownDelay reads OCTOPOST_SHUTDOWN_DELAY: a duration, 0 to drain at once (no load
// balancer in front), default defaultShutdownDelay.
func (c *cli) shutdownDelay() (time.Duration, error) {
	v := c.getenv("OCTOPOST_SHUTDOWN_DELAY")
	if v == "" {
		return defaultShutdownDelay, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, usagef("OCTOPOST_SHUTDOWN_DELAY must be a duration such as 5s, or 0 to drain at once, not %q", v)
	}
	return d, nil
}

func (c *cli) durationEnv(name string) (time.Duration, error) {
	v := c.getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, usagef("%s must be a positive duration such as 30s or 5m, not %q", name, v)
	}
	return d, nil
}

// adapters returns the live adapters of the platforms in the registry that have one, each
// built from its Spec with the settings the operator gave (or their defaults). Their
// outbound calls go through the SSRF-safe client: public addresses only, unless the
// operator allows private ones (to point the platforms at local servers, e.g. a Mastodon
// on the LAN or a fake).
func (c *cli) adapters(allowPrivate bool, callTimeout time.Duration) map[service.Platform]platform.Adapter {
	client := netpolicy.Client(allowPrivate, callTimeout)
	out := make(map[service.Platform]platform.Adapter)
	for _, spec := range platforms.All {
		if spec.New == nil {
			continue
		}
		setting := func(name string) string {
			if v := c.getenv(name); v != "" {
				return v
			}
			for _, st := range spec.Settings {
				if st.Env == name {
					return st.Default
				}
			}
			return ""
		}
		out[service.Platform(spec.ID)] = spec.New(client, setting)
	}
	return out
}
