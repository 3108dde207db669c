package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/spf13/cobra"

	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/kube"
	"github.com/eksenv/eksenv/internal/spec"
)

func newToken(st *IO) *cobra.Command {
	var cluster, region string
	c := &cobra.Command{
		Use:   "token",
		Short: "Print an EKS bearer token as a kubectl exec credential",
		Long: `Print a client.authentication.k8s.io/v1 ExecCredential holding a bearer token for the
EKS cluster, as aws eks get-token does: an STS GetCallerIdentity URL presigned with the
AWS credentials of the standard chain (nothing is sent to AWS). The kubeconfig entry that
eksenv kubeconfig writes runs this command; kubectl caches the token until it expires,
14 minutes after it was made.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cluster == "" {
				return usageError("--cluster is required")
			}
			var cfg sdk.Config
			if st.AWS.Config != nil {
				cfg = st.AWS.Config.Copy()
			} else {
				c, err := awsinfra.LoadConfig(cmd.Context(), region)
				if err != nil {
					return err
				}
				cfg = c
			}
			if region != "" {
				cfg.Region = region
			}
			if cfg.Region == "" {
				return usageError("no region: pass --region or set AWS_REGION")
			}
			cred, err := kube.Token(cmd.Context(), kube.NewPresigner(cfg), cluster, st.Now())
			if err != nil {
				return err
			}
			b, err := json.Marshal(kube.NewExecCredential(cred))
			if err != nil {
				return fmt.Errorf("encode the exec credential: %w", err)
			}
			_, err = fmt.Fprintf(st.Out, "%s\n", b)
			return err
		},
	}
	c.Flags().StringVar(&cluster, "cluster", "", "EKS cluster name (required)")
	c.Flags().StringVar(&region, "region", "", "AWS region of the cluster (default: the AWS configuration's)")
	return c
}

// KubeconfigResult is what eksenv kubeconfig wrote.
type KubeconfigResult struct {
	Path    string `json:"path"`
	Context string `json:"context"`
	Cluster string `json:"cluster"`
	Region  string `json:"region"`
	Server  string `json:"server"`
	Current bool   `json:"current"`
}

func newKubeconfig(st *IO) *cobra.Command {
	var file, path, format string
	var setCurrent bool
	c := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Write the environment's cluster into a kubeconfig for kubectl",
		Long: `Read the environment's EKS cluster (endpoint and certificate authority) and merge a
cluster, user and context named <cluster>.<region>.eksenv into a kubeconfig: --kubeconfig,
else the first path of $KUBECONFIG, else ~/.kube/config. Other entries are kept; the file is
replaced atomically with mode 0600. The user runs this eksenv binary (eksenv token) for
its credentials, so kubectl needs no AWS CLI.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			ctx := cmd.Context()
			sess, err := connect(ctx, st, file, nil)
			if err != nil {
				return err
			}
			name, region := sess.Cloud.Names().Cluster, sess.Doc.Env.Spec.Region
			out, err := sess.Cloud.C.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(name)})
			var nf *ekstypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				return &exitError{code: ExitFailure, err: fmt.Errorf("cluster %s does not exist yet: run eksenv up", name)}
			}
			if err != nil {
				return fmt.Errorf("read EKS cluster %s: %w", name, err)
			}
			cl := out.Cluster
			if !sess.Cloud.Owned(cl.Tags) {
				return &exitError{code: ExitFailure, err: fmt.Errorf("EKS cluster %s exists but is not tagged %s=%s: it is not this environment's; eksenv writes no kubeconfig for it",
					name, spec.OwnerTagKey, sess.Doc.Env.Metadata.Name)}
			}
			endpoint, ca := sdk.ToString(cl.Endpoint), ""
			if cl.CertificateAuthority != nil {
				ca = sdk.ToString(cl.CertificateAuthority.Data)
			}
			if err := kube.CheckCluster(endpoint, ca); err != nil {
				if cl.Status != ekstypes.ClusterStatusActive {
					return &exitError{code: ExitFailure, err: fmt.Errorf("EKS cluster %s is %s, not ACTIVE: %w; run eksenv up and let it finish", name, cl.Status, err)}
				}
				return &exitError{code: ExitFailure, err: fmt.Errorf("EKS cluster %s: DescribeCluster reports an unusable endpoint or CA: %w", name, err)}
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find the eksenv binary for the kubeconfig's credential plugin: %w", err)
			}
			if path == "" {
				if path, err = kube.DefaultKubeconfigPath(os.Getenv, os.UserHomeDir); err != nil {
					return err
				}
			}
			kc := kube.Kubeconfig(name, region, endpoint, ca, exe)
			if err := kube.Merge(path, kc, setCurrent); err != nil {
				return err
			}
			res := KubeconfigResult{Path: path, Context: kc.CurrentContext, Cluster: name, Region: region, Server: endpoint, Current: setCurrent}
			return printData(st.Out, format, res, func(w io.Writer) error {
				fmt.Fprintf(w, "Wrote context %s (EKS cluster %s in %s, %s) to %s.\n", res.Context, name, region, endpoint, path)
				if setCurrent {
					fmt.Fprintf(w, "It is the current context: kubectl get nodes\n")
				} else {
					fmt.Fprintf(w, "Use it with: kubectl --context %s get nodes\n", res.Context)
				}
				return nil
			})
		},
	}
	fileFlag(c, &file)
	formatFlag(c, &format)
	c.Flags().StringVar(&path, "kubeconfig", "", "kubeconfig file to write (default: the first path of $KUBECONFIG, else ~/.kube/config)")
	c.Flags().BoolVar(&setCurrent, "set-current", true, "make the environment's context the current one")
	return c
}
