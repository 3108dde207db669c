package cli

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/eksenv/eksenv/internal/spec"
)

// VersionInfo is what eksenv version prints.
type VersionInfo struct {
	Version           string `json:"version"`
	Commit            string `json:"commit,omitempty"`
	GoVersion         string `json:"goVersion"`
	KubernetesVersion string `json:"kubernetesVersion"`
	KarpenterVersion  string `json:"karpenterVersion"`
	APIVersion        string `json:"apiVersion"`
}

func newVersion(st *IO) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print eksenv's version and the versions it installs by default",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			info := VersionInfo{
				Version: st.Version, GoVersion: "unknown",
				KubernetesVersion: spec.DefaultKubernetesVersion, KarpenterVersion: spec.DefaultKarpenterVersion,
				APIVersion: spec.APIVersion,
			}
			if bi, ok := debug.ReadBuildInfo(); ok {
				info.GoVersion = bi.GoVersion
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						info.Commit = s.Value
					}
				}
			}
			if info.Version == "" {
				info.Version = "dev"
			}
			return printData(st.Out, format, info, func(w io.Writer) error {
				fmt.Fprintf(w, "eksenv\t%s\n", info.Version)
				if info.Commit != "" {
					fmt.Fprintf(w, "commit\t%s\n", info.Commit)
				}
				fmt.Fprintf(w, "go\t%s\n", info.GoVersion)
				fmt.Fprintf(w, "spec\t%s\n", info.APIVersion)
				fmt.Fprintf(w, "kubernetes (default)\t%s\n", info.KubernetesVersion)
				fmt.Fprintf(w, "karpenter (default)\t%s\n", info.KarpenterVersion)
				return nil
			})
		},
	}
	formatFlag(c, &format)
	return c
}
