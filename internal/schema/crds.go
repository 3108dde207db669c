package schema

import (
	"errors"
	"fmt"

	karpenterapis "github.com/aws/karpenter-provider-aws/pkg/apis"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// KarpenterCRDs returns the Karpenter CustomResourceDefinitions (EC2NodeClass,
// NodeClaim and NodePool) embedded in github.com/aws/karpenter-provider-aws/pkg/apis,
// in that order. Each call returns fresh deep copies, so callers may modify
// them (for instance to apply them with server-side apply). apiVersion and
// kind are always set.
func KarpenterCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	src := karpenterapis.CRDs
	if len(src) == 0 {
		return nil, errors.New("karpenter module embeds no CustomResourceDefinitions")
	}
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(src))
	for i, crd := range src {
		if crd == nil || crd.Name == "" || crd.Spec.Names.Kind == "" || crd.Spec.Group == "" {
			return nil, fmt.Errorf("karpenter CustomResourceDefinition %d is empty or incomplete", i)
		}
		c := crd.DeepCopy()
		c.APIVersion = apiextensionsv1.SchemeGroupVersion.String()
		c.Kind = "CustomResourceDefinition"
		out = append(out, c)
	}
	return out, nil
}
