// Package cli is eksenv's command line: cobra commands that turn flags into
// option structs, call the library in internal/env, and print the result as
// a table, JSON or YAML. It holds no business logic. Exit codes: 0 success,
// 1 failure (an invalid environment, a failed operation), 2 usage error.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	// ExitChanges is plan --detailed-exitcode's "something would change".
	ExitChanges = 2
)

// IO is where a command reads and writes, and its clock.
type IO struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Now is the clock (tests fix it).
	Now func() time.Time
	// Version is the build's version string.
	Version string
	// AWS says how commands reach AWS (tests point it at the sandbox).
	AWS env.AWSOptions
}

// exitError carries an exit code; its message, if any, was not yet printed.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad command-line input (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends with a code after the command printed everything itself.
func silentExit(code int) error { return &exitError{code: code} }

// Run executes eksenv with args (without the program name) and returns the
// exit code.
func Run(ctx context.Context, args []string, st IO) int {
	if st.Now == nil {
		st.Now = time.Now
	}
	root := newRoot(&st)
	root.SetArgs(args)
	root.SetIn(st.In)
	root.SetOut(st.Out)
	root.SetErr(st.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(st.Err, "Error:", ee.err)
		}
		return ee.code
	}
	var pe *env.ProblemsError
	if errors.As(err, &pe) {
		for _, p := range pe.Problems {
			fmt.Fprintln(st.Err, p.String())
		}
		return ExitFailure
	}
	if isUsage(err) {
		fmt.Fprintln(st.Err, "Error:", err)
		fmt.Fprintln(st.Err, "Run 'eksenv --help' for usage.")
		return ExitUsage
	}
	fmt.Fprintln(st.Err, "Error:", err)
	return ExitFailure
}

// usageMarker wraps cobra's own flag and argument errors.
type usageMarker struct{ err error }

func (u usageMarker) Error() string { return u.err.Error() }
func (u usageMarker) Unwrap() error { return u.err }

func isUsage(err error) bool {
	var u usageMarker
	if errors.As(err, &u) {
		return true
	}
	// cobra reports unknown commands without a typed error.
	return strings.HasPrefix(err.Error(), "unknown command ")
}

func newRoot(st *IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "eksenv",
		Short: "One declarative file to a complete, verified Amazon EKS environment, and back to nothing",
		Long: `eksenv turns one eksenv.yaml into a complete Amazon EKS environment: an EKS cluster
over several zones, Fargate for the system components, Karpenter for the EC2 data plane
(arm64 and amd64, Spot and On-Demand), EBS gp3, EFS and S3 storage, the AWS Load Balancer
Controller, Portainer, EKS Pod Identity, smoke tests and console access.

Without -f, commands read ./eksenv.yaml, or the embedded default environment when
there is none.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageMarker{err} })
	root.AddCommand(
		newVersion(st),
		newInit(st),
		newValidate(st),
		newRender(st),
		newExplain(st),
		newPlan(st),
		newUp(st),
		newDown(st),
		newStatus(st),
		newToken(st),
		newKubeconfig(st),
		newAccess(st),
	)
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs marks argument-count errors as usage errors.
func wrapArgs(c *cobra.Command) {
	if c.Args == nil {
		return
	}
	check := c.Args
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageMarker{err}
		}
		return nil
	}
}

// fileFlag adds -f/--file.
func fileFlag(c *cobra.Command, target *string) {
	c.Flags().StringVarP(target, "file", "f", "", "environment file (default ./eksenv.yaml, else the embedded default)")
}
