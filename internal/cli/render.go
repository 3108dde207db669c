package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/render"
)

func newRender(st *IO) *cobra.Command {
	var file, dir string
	c := &cobra.Command{
		Use:   "render -o DIR",
		Short: "Write the environment as files: the eksctl ClusterConfig, IAM documents, Helm values, NodePools, storage, Portainer and the smoke tests",
		Long: `Write every artifact of the environment under DIR, in the seed's layout (eks/,
karpenter/, portainer/, tests/) plus iam/ and a README.md describing the environment.
The output is deterministic: the same file gives byte-identical output. Values that
exist only once the AWS side does are placeholders such as ${AWS_ACCOUNT_ID}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usageError("render needs -o DIR, the folder to write to")
			}
			doc, err := env.Load(file)
			if err != nil {
				return err
			}
			tree, problems, err := env.Render(doc, render.Placeholders(), env.CheckOptions{Now: st.Now()})
			for _, p := range problems.Warnings() {
				fmt.Fprintln(st.Err, p.String())
			}
			if err != nil {
				return err
			}
			if err := env.WriteTree(dir, tree); err != nil {
				return err
			}
			for _, f := range tree {
				fmt.Fprintf(st.Out, "%s\n", f.Path)
			}
			fmt.Fprintf(st.Out, "wrote %d files to %s\n", len(tree), dir)
			return nil
		},
	}
	fileFlag(c, &file)
	c.Flags().StringVarP(&dir, "output", "o", "", "folder to write the tree to (required)")
	return c
}
