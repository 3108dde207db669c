package env

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/kube"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/schema"
)

// Manifests is the part of the Kubernetes half that applies eksenv's own
// objects by server-side apply (field manager eksenv): Karpenter's v1.6.3
// CRDs (waiting until they are Established), then the rendered NodePools
// and EC2NodeClasses, StorageClasses, the S3 volume and Portainer, with the
// account's real ids. The smoke tests are verify's. Charts (Karpenter, the
// load balancer controller) are not part of it yet.
type Manifests struct {
	// Timeout bounds each wait (default 5 minutes).
	Timeout time.Duration
}

func (h Manifests) timeout() time.Duration {
	if h.Timeout <= 0 {
		return 5 * time.Minute
	}
	return h.Timeout
}

// RESTConfig is a client configuration for the environment's cluster, from
// DescribeCluster's endpoint and CA, authenticated with EKS tokens signed
// by the session's credentials.
func (s *Session) RESTConfig() (*rest.Config, error) {
	endpoint := s.State.Output(awsinfra.KeyCluster, awsinfra.OutClusterEndpoint)
	ca := s.State.Output(awsinfra.KeyCluster, awsinfra.OutClusterCA)
	if endpoint == "" {
		return nil, fmt.Errorf("cluster %s has no endpoint yet: run eksenv up", s.Cloud.Names().Cluster)
	}
	tokens := kube.STSTokenSource(sts.NewPresignClient(s.Cloud.C.STS), s.Cloud.Names().Cluster, time.Now)
	return kube.RESTConfig(endpoint, ca, tokens)
}

// renderParams are the render parameters with the account's real values.
func (s *Session) renderParams() render.Params {
	p := s.Cloud.Params()
	p.VPCID = s.State.Output(awsinfra.KeyVPC, "id")
	p.OIDCIssuer = strings.TrimPrefix(s.State.Output(awsinfra.KeyCluster, awsinfra.OutOIDCIssuer), "https://")
	p.EFSFileSystemID = s.State.Output(awsinfra.KeyEFS, "id")
	p.PortainerAccessPointID = s.State.Output(awsinfra.KeyAccessPoint, "id")
	return p
}

// objects are the manifests the half applies, in order, tests left out.
func (s *Session) objects() ([]*unstructured.Unstructured, error) {
	ms, err := render.Manifests(s.Doc.Env, s.renderParams())
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	var out, namespaces []*unstructured.Unstructured
	for _, m := range ms {
		if strings.HasPrefix(m.Path, "tests/") {
			continue
		}
		for _, o := range m.Objects {
			obj, err := render.ToMap(o)
			if err != nil {
				return nil, err
			}
			u := &unstructured.Unstructured{Object: obj}
			if u.GetKind() == "Namespace" {
				if !slices.ContainsFunc(namespaces, func(n *unstructured.Unstructured) bool { return n.GetName() == u.GetName() }) {
					namespaces = append(namespaces, u)
				}
				continue
			}
			out = append(out, u)
		}
	}
	return append(namespaces, out...), nil
}

// connect builds the applier and checks, before anything is applied, that
// the API server answers and accepts eksenv's token.
func (h Manifests) connect(ctx context.Context, s *Session) (*kube.Applier, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, err
	}
	if err := kube.Reach(ctx, cfg); err != nil {
		return nil, fmt.Errorf("%w; the AWS side is done: run eksenv up again once the cluster is reachable", err)
	}
	return kube.NewApplier(cfg)
}

// Up applies the CRDs, then every object.
func (h Manifests) Up(ctx context.Context, s *Session) error {
	a, err := h.connect(ctx, s)
	if err != nil {
		return err
	}
	crds, err := schema.KarpenterCRDs()
	if err != nil {
		return err
	}
	if err := a.ApplyCRDs(ctx, crds, h.timeout()); err != nil {
		return err
	}
	objs, err := s.objects()
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := a.Apply(ctx, o, false); err != nil {
			return err
		}
	}
	return nil
}

// Down deletes the objects in reverse order, the claims while the CSI
// controllers still run and the NodePools (whose nodes Karpenter then
// terminates) before everything else goes; with force a failed wait is
// skipped and the rest left to the cluster's deletion and the sweep.
func (h Manifests) Down(ctx context.Context, s *Session, force bool) error {
	a, err := h.connect(ctx, s)
	if err != nil {
		return err
	}
	objs, err := s.objects()
	if err != nil {
		return err
	}
	for i := len(objs) - 1; i >= 0; i-- {
		if err := a.Delete(ctx, objs[i], h.timeout()); err != nil && !force {
			return err
		}
	}
	return nil
}
