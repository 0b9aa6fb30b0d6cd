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
	"time"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/service"
)

const shutdownGrace = 15 * time.Second

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
	logger, err := c.logger()
	if err != nil {
		return err
	}
	addr := c.getenv("OCTOPOST_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}

	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	svc := service.New(d, nil, nil, service.Config{AllowPrivateWebhooks: allowPrivate})
	handler, err := api.NewHandler(svc, api.Options{Logger: logger, RefuseTestKeys: refuseTest})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("octopost listening", "addr", ln.Addr().String(), "database", string(d.Engine),
		"refuse_test_keys", refuseTest, "webhooks_allow_private", allowPrivate, "pid", os.Getpid())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
