package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/spec"
)

func newValidate(st *IO) *cobra.Command {
	var file, format string
	c := &cobra.Command{
		Use:   "validate",
		Short: "Check the environment offline: the spec, placement, and every rendered object against its schema",
		Long: `Check the environment before any AWS call: the spec's fields and limits, where each
component runs (Fargate or EC2) and whether it can run there, then every Kubernetes
object eksenv would apply: Karpenter's against the embedded v1.6.3 CRDs with their CEL
rules, the others by strict decoding.

Exit status: 0 valid (warnings are printed), 1 invalid, 2 usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			doc, err := env.Load(file)
			if err != nil {
				return err
			}
			rep, err := env.Validate(cmd.Context(), doc, env.CheckOptions{Now: st.Now()})
			if err != nil {
				return err
			}
			if err := printData(st.Out, format, rep, func(w io.Writer) error { return validateTable(w, rep) }); err != nil {
				return err
			}
			if !rep.Valid {
				return silentExit(ExitFailure)
			}
			return nil
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	return c
}

func validateTable(w io.Writer, rep *env.Report) error {
	for _, p := range append(append(spec.Problems{}, rep.Errors...), rep.Warnings...) {
		fmt.Fprintln(w, p.String())
	}
	if rep.Valid {
		fmt.Fprintf(w, "%s: valid (%d objects checked, %s)\n", rep.File, rep.Objects, count(len(rep.Warnings), "warning"))
	} else {
		fmt.Fprintf(w, "%s: invalid (%s, %s)\n", rep.File, count(len(rep.Errors), "error"), count(len(rep.Warnings), "warning"))
	}
	return nil
}

// count says "1 warning" or "2 warnings".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
