package aws

import (
	"context"
	"fmt"
	"time"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/spec"
)

// Cloud is what every resource shares: the clients, the environment, the
// account, and how often to poll asynchronous states.
type Cloud struct {
	C         *Clients
	Env       *spec.Environment
	AccountID string
	// Poll is the base polling interval of waits (default 10 s); tests
	// against the emulator use milliseconds.
	Poll time.Duration
	// DeleteData allows deleting a non-empty bucket and a file system with data.
	DeleteData bool
}

// Names are the environment's derived names.
func (c *Cloud) Names() spec.Names { return c.Env.Names() }

// Params are the render parameters for this account: the IAM documents and
// ARNs are rendered from the same functions as the exported files.
func (c *Cloud) Params() render.Params {
	p := render.Placeholders()
	p.AccountID = c.AccountID
	return p
}

// RoleARN is the ARN of an IAM role of this account.
func (c *Cloud) RoleARN(name string) string { return roleARN(c, name) }

func (c *Cloud) poll() time.Duration {
	if c.Poll <= 0 {
		return 10 * time.Second
	}
	return c.Poll
}

// wait polls check until it reports done, reporting the status and the time
// waited so far; it ends with the context (the executor's per-resource
// timeout).
func (c *Cloud) wait(ctx context.Context, s *infra.State, k infra.Key, what string, check func(context.Context) (done bool, status string, err error)) error {
	start := time.Now()
	for {
		done, status, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		s.Report(k, fmt.Sprintf("waiting for %s: %s, %s so far", what, status, time.Since(start).Round(time.Second)))
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s (last status %s): %w", what, status, ctx.Err())
		case <-time.After(c.poll()):
		}
	}
}
