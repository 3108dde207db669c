package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/placement"
)

// ComponentRow is one line of the component table.
type ComponentRow struct {
	Component string             `json:"component"`
	Decision  placement.Decision `json:"decision"`
}

func newExplain(st *IO) *cobra.Command {
	var file, format string
	c := &cobra.Command{
		Use:   "explain [MANIFEST]",
		Short: "Say where pods run (Fargate profile or NodePools), with which credentials, and why",
		Long: `Without MANIFEST, print where each of eksenv's own components runs in the environment.
With MANIFEST (a file of Pods, Deployments, StatefulSets, DaemonSets, Jobs or CronJobs),
print the decision for each: the Fargate profile and the selector that takes it, or the
NodePools whose requirements admit it; the credentials it would get (Pod Identity on
EC2, IRSA on Fargate); and what would stop it from running there.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			doc, err := env.Load(file)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				var rows []ComponentRow
				for _, p := range env.ExplainComponents(doc) {
					rows = append(rows, ComponentRow{Component: p.Title, Decision: p.Decision})
				}
				return printData(st.Out, format, rows, func(w io.Writer) error { return componentTable(w, rows) })
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("read manifest: %w", err)
			}
			ds, err := env.Explain(doc, args[0], data)
			if err != nil {
				return err
			}
			return printData(st.Out, format, ds, func(w io.Writer) error { return decisionsText(w, ds) })
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	return c
}

func componentTable(w io.Writer, rows []ComponentRow) error {
	fmt.Fprintln(w, "COMPONENT\tRUNS ON\tCREDENTIALS\tWHY")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Component, where(r.Decision), r.Decision.Credentials, strings.Join(r.Decision.Reasons, "; "))
	}
	return nil
}

func where(d placement.Decision) string {
	switch d.Where {
	case placement.OnFargate:
		return "Fargate/" + d.Fargate.Profile
	case placement.OnEC2:
		return "EC2 " + strings.Join(d.NodePoolNames(), ",")
	}
	return "nowhere"
}

func decisionsText(w io.Writer, ds []placement.Decision) error {
	for i, d := range ds {
		if i > 0 {
			fmt.Fprintln(w)
		}
		wl := d.Workload
		fmt.Fprintf(w, "%s (namespace %s)\n", wl.Name, wl.Namespace)
		switch d.Where {
		case placement.OnFargate:
			fmt.Fprintf(w, "  runs on:\tFargate, profile %s, selector %d (%s)\n", d.Fargate.Profile, d.Fargate.SelectorIndex, d.Fargate.Selector)
			if s := d.FargateSize; s != nil {
				fmt.Fprintf(w, "  size:\t%g vCPU, %g GB (billed per pod)\n", s.VCPU, s.MemoryGiB)
			}
		case placement.OnEC2:
			fmt.Fprintf(w, "  runs on:\tEC2 through Karpenter, NodePools %s\n", strings.Join(d.NodePoolNames(), ", "))
		default:
			fmt.Fprintf(w, "  runs on:\tnowhere\n")
		}
		for _, p := range d.NodePools {
			verdict := "no"
			if p.Admits {
				verdict = "yes"
			}
			fmt.Fprintf(w, "  nodepool %s:\t%s, %s\n", p.NodePool, verdict, p.Reason)
		}
		fmt.Fprintf(w, "  credentials:\t%s\n", d.Credentials)
		for _, r := range d.Reasons {
			fmt.Fprintf(w, "  because:\t%s\n", r)
		}
		for _, b := range d.Blockers {
			fmt.Fprintf(w, "  cannot run:\t%s\n", b)
		}
	}
	return nil
}
