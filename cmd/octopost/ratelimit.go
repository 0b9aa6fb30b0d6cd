package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/octopost/octopost/service"
)

// defaultTier reads OCTOPOST_DEFAULT_TIER: the rate-limit tier of users without one of
// their own (`octopost users set-tier`); free when unset.
func (c *cli) defaultTier() (service.Tier, error) {
	v := c.getenv("OCTOPOST_DEFAULT_TIER")
	if v == "" {
		return service.TierFree, nil
	}
	t, err := service.ParseTier(v)
	if err != nil {
		return "", usagef("OCTOPOST_DEFAULT_TIER: %v", err)
	}
	return t, nil
}

func (c *cli) usersSetTier(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users set-tier", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	tierName := fs.String("tier", "", "free, starter, pro or unlimited")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *email == "" || *tierName == "" {
		return usagef("users set-tier: --email and --tier are required")
	}
	tier, err := service.ParseTier(*tierName)
	if err != nil {
		return usagef("users set-tier: %v", err)
	}
	d, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	u, err := service.New(d, nil, nil, service.Config{}).SetUserTier(ctx, *email, tier)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s %s\n", u.ID, tier)
	return nil
}
