package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/spec"
	"github.com/eksenv/eksenv/internal/spec/specdoc"
)

func newInit(st *IO) *cobra.Command {
	var path, name, region string
	var force bool
	c := &cobra.Command{
		Use:   "init",
		Short: "Write a commented eksenv.yaml with every default filled in",
		Long: `Write a commented eksenv.yaml: every field with its default value and its
documentation. Edit what you need and delete the rest; a field left out takes its default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e := &spec.Environment{APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.Metadata{Name: name}}
			e.Spec.Region = region
			spec.SetDefaults(e)
			if ps := spec.Validate(e, spec.Options{}).Errors(); len(ps) > 0 {
				return usageError("%s", ps.Error())
			}
			data, err := specdoc.InitFile(e)
			if err != nil {
				return err
			}
			if path == "-" {
				_, err := st.Out.Write(data)
				return err
			}
			if !force {
				if _, err := os.Stat(path); err == nil {
					return fmt.Errorf("%s exists; use --force to overwrite it", path)
				} else if !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("check %s: %w", path, err)
				}
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			fmt.Fprintf(st.Out, "wrote %s (environment %s in %s); next: eksenv validate -f %s\n", path, name, e.Spec.Region, path)
			return nil
		},
	}
	c.Flags().StringVar(&path, "file", env.DefaultFile, "where to write; - for standard output")
	c.Flags().StringVar(&name, "name", spec.DefaultName, "environment (and cluster) name")
	c.Flags().StringVar(&region, "region", spec.DefaultRegion, "AWS region")
	c.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return c
}
