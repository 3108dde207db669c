package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
)

func newAccess(st *IO) *cobra.Command {
	c := &cobra.Command{
		Use:   "access",
		Short: "Grant, list and revoke IAM principals' access to the cluster (what makes the EKS console show its resources)",
		Long: `Manage the cluster's access entries. The EKS console shows a cluster's nodes and
workloads only to IAM principals the cluster authorizes; grant the role you sign in to the
console with. up applies spec.access.admins the same way.`,
	}
	c.AddCommand(newAccessGrant(st), newAccessList(st), newAccessRevoke(st))
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
	return c
}

func newAccessGrant(st *IO) *cobra.Command {
	var file, policy string
	var namespaces []string
	var yes bool
	c := &cobra.Command{
		Use:   "grant ARN",
		Short: "Give an IAM role or user access: admin, edit or view, cluster-wide or in namespaces",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sess, err := connect(cmd.Context(), st, file, nil)
			if err != nil {
				return err
			}
			err = sess.Grant(cmd.Context(), args[0], policy, namespaces)
			if errors.Is(err, env.ErrConfigMapOnly) {
				fmt.Fprintf(st.Err, "Cluster %s authenticates only through the aws-auth ConfigMap, which access entries (and the EKS console fix) need to go beyond.\n", sess.Doc.Env.Metadata.Name)
				fmt.Fprintln(st.Err, "eksenv can switch it to API_AND_CONFIG_MAP: the ConfigMap keeps working, but EKS cannot switch back.")
				if err := confirm(st, yes, "Switch the authentication mode to API_AND_CONFIG_MAP?"); err != nil {
					return err
				}
				if err := sess.EnableAccessEntries(cmd.Context()); err != nil {
					return err
				}
				err = sess.Grant(cmd.Context(), args[0], policy, namespaces)
			}
			if err != nil {
				return err
			}
			scope := "cluster-wide"
			if len(namespaces) > 0 {
				scope = "in namespaces " + strings.Join(namespaces, ", ")
			}
			fmt.Fprintf(st.Out, "granted %s %s access to %s %s (access entries take up to a minute to apply)\n", args[0], policy, sess.Doc.Env.Metadata.Name, scope)
			return nil
		},
	}
	fileFlag(c, &file)
	c.Flags().StringVar(&policy, "policy", env.AccessAdmin, "admin, edit or view")
	c.Flags().StringSliceVar(&namespaces, "namespace", nil, "limit the access to these namespaces (repeat or comma-separate)")
	c.Flags().BoolVar(&yes, "yes", false, "switch the authentication mode without asking when the cluster needs it")
	return c
}

func newAccessList(st *IO) *cobra.Command {
	var file, format string
	c := &cobra.Command{
		Use:   "list",
		Short: "List the cluster's access entries and their policies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			sess, err := connect(cmd.Context(), st, file, nil)
			if err != nil {
				return err
			}
			entries, err := sess.AccessEntries(cmd.Context())
			if err != nil {
				return err
			}
			return printData(st.Out, format, entries, func(w io.Writer) error {
				fmt.Fprintln(w, "PRINCIPAL\tTYPE\tPOLICIES\tMANAGED BY")
				for _, e := range entries {
					var pols []string
					for _, p := range e.Policies {
						s := p.Policy + " (" + strings.ToLower(p.Scope)
						if len(p.Namespaces) > 0 {
							s += ": " + strings.Join(p.Namespaces, ",")
						}
						pols = append(pols, s+")")
					}
					by := "someone else"
					if e.Managed {
						by = "eksenv"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", e.Principal, e.Type, strings.Join(pols, ", "), by)
				}
				return nil
			})
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	return c
}

func newAccessRevoke(st *IO) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "revoke ARN",
		Short: "Remove an IAM principal's access entry and its policies",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sess, err := connect(cmd.Context(), st, file, nil)
			if err != nil {
				return err
			}
			if err := sess.Revoke(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(st.Out, "revoked the access of %s to %s\n", args[0], sess.Doc.Env.Metadata.Name)
			return nil
		},
	}
	fileFlag(c, &file)
	return c
}
