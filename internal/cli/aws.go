package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/infra"
)

// connect loads the environment and reaches the account.
func connect(ctx context.Context, st *IO, file string, events func(infra.Event)) (*env.Session, error) {
	doc, err := env.Load(file)
	if err != nil {
		return nil, err
	}
	opts := st.AWS
	opts.Now = st.Now()
	opts.Events = events
	return env.Connect(ctx, doc, opts)
}

func actionMark(a infra.Action) string {
	switch a {
	case infra.ActionCreate:
		return "+"
	case infra.ActionUpdate:
		return "~"
	case infra.ActionDelete:
		return "-"
	case infra.ActionRefused:
		return "!"
	case infra.ActionKeep:
		return "="
	}
	return " "
}

// planTable prints the steps that change, then a summary line.
func planTable(w io.Writer, res *infra.Result, verb string) {
	counts := map[infra.Action]int{}
	for _, s := range res.Steps {
		counts[s.Action]++
		if s.Action == infra.ActionNone {
			continue
		}
		fmt.Fprintf(w, "%s %s\t%s\t%s\n", actionMark(s.Action), s.Key, s.Description, strings.Join(s.Reasons, "; "))
	}
	if res.Changes() == 0 && counts[infra.ActionRefused] == 0 {
		fmt.Fprintf(w, "No changes: %d resources are as the spec says.\n", counts[infra.ActionNone])
		return
	}
	fmt.Fprintf(w, "%s: %d to create, %d to update, %d to delete, %d unchanged", verb,
		counts[infra.ActionCreate], counts[infra.ActionUpdate], counts[infra.ActionDelete], counts[infra.ActionNone])
	if n := counts[infra.ActionRefused]; n > 0 {
		fmt.Fprintf(w, ", %d refused (not owned by eksenv)", n)
	}
	if n := counts[infra.ActionKeep]; n > 0 {
		fmt.Fprintf(w, ", %d kept", n)
	}
	fmt.Fprintln(w, ".")
}

// confirm asks on a terminal; without one it refuses unless --yes.
func confirm(st *IO, yes bool, question string) error {
	if yes {
		return nil
	}
	f, ok := st.In.(*os.File)
	if !ok || !isTerminal(f) {
		return &exitError{code: ExitFailure, err: errors.New("no terminal to confirm on: run again with --yes to go ahead")}
	}
	fmt.Fprintf(st.Out, "%s [y/N] ", question)
	line, _ := bufio.NewReader(st.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return &exitError{code: ExitFailure, err: errors.New("not confirmed; nothing was changed")}
	}
	return nil
}

func newPlan(st *IO) *cobra.Command {
	var file, format string
	var detailed bool
	c := &cobra.Command{
		Use:   "plan",
		Short: "Show what up would create, change or delete in the account",
		Long: `Observe every resource of the environment in the account and compare it with the spec.
Nothing is changed. With --detailed-exitcode: exit 0 when nothing would change, 2 when
something would, 1 on error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			sess, err := connect(cmd.Context(), st, file, nil)
			if err != nil {
				return err
			}
			res, err := sess.Plan(cmd.Context())
			if perr := printData(st.Out, format, res, func(w io.Writer) error { planTable(w, res, "Plan"); return nil }); perr != nil {
				return perr
			}
			if err != nil {
				return runFailed(st, res, err, "plan")
			}
			if detailed && res.Changes() > 0 {
				return silentExit(ExitChanges)
			}
			return nil
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	c.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when nothing would change, 2 when something would, 1 on error")
	return c
}

// runFailed reports a failed run: what failed with the AWS error, what is
// done, and the command that resumes or cleans.
func runFailed(st *IO, res *infra.Result, err error, verb string) error {
	if res != nil {
		done := 0
		for _, s := range res.Steps {
			if s.Outcome == infra.OutcomeDone {
				done++
			}
		}
		for _, s := range res.Failed() {
			fmt.Fprintf(st.Err, "✗ %s: %s\n", s.Description, s.Error)
		}
		fmt.Fprintf(st.Err, "%d of %d steps are done.\n", done, len(res.Steps))
	}
	switch verb {
	case "up":
		fmt.Fprintln(st.Err, "Run eksenv up again to resume (nothing is created twice), or eksenv down to remove what exists.")
	case "down":
		fmt.Fprintln(st.Err, "Run eksenv down again to finish the teardown.")
	}
	return &exitError{code: ExitFailure, err: err}
}

func newUp(st *IO) *cobra.Command {
	var file, format string
	var yes bool
	c := &cobra.Command{
		Use:   "up",
		Short: "Create the environment (or bring it in line with the spec)",
		Long: `Show the plan, ask for confirmation (on a terminal; --yes otherwise), and apply it:
independent steps run in parallel, throttling and eventual consistency are retried, and
an interrupted up is resumed by running up again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			prog := newProgress(st.Out, format, st.Now)
			defer prog.Close()
			sess, err := connect(cmd.Context(), st, file, prog.Event)
			if err != nil {
				return err
			}
			plan, err := sess.Plan(cmd.Context())
			if err != nil {
				return runFailed(st, plan, err, "plan")
			}
			if format == FormatTable {
				planTable(st.Out, plan, "Plan")
			}
			if plan.Changes() == 0 {
				if st.AWS.Kubernetes == nil {
					return nil
				}
			} else if err := confirm(st, yes, fmt.Sprintf("Apply %d changes to %s?", plan.Changes(), sess.Doc.Env.Metadata.Name)); err != nil {
				return err
			}
			res, err := sess.Apply(cmd.Context())
			if err != nil {
				return runFailed(st, res, err, "up")
			}
			if format == FormatTable {
				fmt.Fprintf(st.Out, "Environment %s is up: %d changes applied.\n", sess.Doc.Env.Metadata.Name, res.Changes())
			}
			return nil
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	c.Flags().BoolVar(&yes, "yes", false, "apply without asking")
	return c
}

func newDown(st *IO) *cobra.Command {
	var file, format string
	var yes, deleteData, force bool
	c := &cobra.Command{
		Use:   "down",
		Short: "Remove the environment and prove nothing is left",
		Long: `Remove everything eksenv created, in dependency order: the Kubernetes side first
(workloads, load balancers, claims, NodePools), then what the controllers created in AWS
(instances, launch templates, instance profiles, load balancers, volumes, network
interfaces), then the environment's own resources; finally list anything still tagged for
the environment. A non-empty bucket and a file system holding data are kept unless
--delete-data. Exit 1 when anything is left.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			prog := newProgress(st.Out, format, st.Now)
			defer prog.Close()
			sess, err := connect(cmd.Context(), st, file, prog.Event)
			if err != nil {
				return err
			}
			if err := confirm(st, yes, fmt.Sprintf("Delete environment %s and everything in it?", sess.Doc.Env.Metadata.Name)); err != nil {
				return err
			}
			rep, err := sess.Down(cmd.Context(), env.DownOptions{DeleteData: deleteData, Force: force, Report: func(s string) {
				fmt.Fprintf(st.Out, "%s  %s\n", st.Now().Format("15:04:05"), s)
			}})
			if err != nil {
				return runFailed(st, rep.Result, err, "down")
			}
			if perr := printData(st.Out, format, rep, func(w io.Writer) error { downTable(w, rep); return nil }); perr != nil {
				return perr
			}
			if !rep.Clean() {
				return silentExit(ExitFailure)
			}
			return nil
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	c.Flags().BoolVar(&yes, "yes", false, "delete without asking")
	c.Flags().BoolVar(&deleteData, "delete-data", false, "also delete a non-empty S3 bucket and an EFS file system holding data")
	c.Flags().BoolVar(&force, "force", false, "go on when a Kubernetes-side wait fails; the sweep removes what is left in AWS")
	return c
}

func downTable(w io.Writer, rep *env.DownReport) {
	deleted := 0
	if rep.Result != nil {
		for _, s := range rep.Result.Steps {
			if s.Action == infra.ActionDelete {
				deleted++
			}
		}
	}
	fmt.Fprintf(w, "Deleted %d resources; swept %d that controllers created.\n", deleted, len(rep.Swept))
	for _, k := range rep.Kept {
		fmt.Fprintf(w, "kept\t%s\t%s\n", k.Description, strings.Join(k.Reasons, "; "))
	}
	if rep.Clean() {
		fmt.Fprintln(w, "Nothing is left of the environment.")
		return
	}
	fmt.Fprintf(w, "%d resources are still tagged for the environment:\n", len(rep.Left))
	for _, l := range rep.Left {
		fmt.Fprintf(w, "left\t%s\n", l)
	}
}

func newStatus(st *IO) *cobra.Command {
	var file, format string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show what exists of the environment, what is missing and what drifted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			sess, err := connect(cmd.Context(), st, file, nil)
			if err != nil {
				return err
			}
			res, err := sess.Plan(cmd.Context())
			rows := statusRows(res)
			if perr := printData(st.Out, format, rows, func(w io.Writer) error { return statusTable(w, rows) }); perr != nil {
				return perr
			}
			if err != nil {
				return runFailed(st, res, err, "status")
			}
			return nil
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	return c
}

// StatusRow is one resource in eksenv status.
type StatusRow struct {
	Key         infra.Key `json:"key"`
	Description string    `json:"description"`
	State       string    `json:"state"`
	Detail      string    `json:"detail,omitempty"`
}

func statusRows(res *infra.Result) []StatusRow {
	var rows []StatusRow
	if res == nil {
		return rows
	}
	for _, s := range res.Steps {
		r := StatusRow{Key: s.Key, Description: s.Description, Detail: strings.Join(s.Reasons, "; ")}
		switch s.Action {
		case infra.ActionNone:
			r.State = "ok"
		case infra.ActionCreate:
			r.State, r.Detail = "missing", ""
		case infra.ActionUpdate:
			r.State = "drifted"
		case infra.ActionRefused:
			r.State = "foreign"
		default:
			r.State = string(s.Action)
		}
		if s.Outcome == infra.OutcomeFailed || s.Outcome == infra.OutcomeSkipped {
			r.State, r.Detail = "unknown", s.Error
		}
		rows = append(rows, r)
	}
	return rows
}

func statusTable(w io.Writer, rows []StatusRow) error {
	fmt.Fprintln(w, "STATE\tRESOURCE\tDETAIL")
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.State]++
		fmt.Fprintf(w, "%s\t%s\t%s\n", r.State, r.Description, r.Detail)
	}
	fmt.Fprintf(w, "%d ok, %d missing, %d drifted, %d foreign, %d unknown\n", counts["ok"], counts["missing"], counts["drifted"], counts["foreign"], counts["unknown"])
	return nil
}
