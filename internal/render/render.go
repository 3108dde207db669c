package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/eksenv/eksenv/internal/render/iam"
	"github.com/eksenv/eksenv/internal/spec"
)

// Params are the values that exist only once the AWS side does: account,
// VPC, OIDC issuer, file system and access point ids. Offline they are
// placeholders such as ${AWS_ACCOUNT_ID}; up passes the real ones.
type Params struct {
	AccountID              string
	VPCID                  string
	OIDCIssuer             string
	EFSFileSystemID        string
	PortainerAccessPointID string
}

// Placeholders are the Params of an offline render.
func Placeholders() Params {
	return Params{
		AccountID:              "${AWS_ACCOUNT_ID}",
		VPCID:                  "${VPC_ID}",
		OIDCIssuer:             "${OIDC_ISSUER}",
		EFSFileSystemID:        "${EFS_FILE_SYSTEM_ID}",
		PortainerAccessPointID: "${PORTAINER_ACCESS_POINT_ID}",
	}
}

// IAM returns the iam.Params for the environment.
func (p Params) IAM(e *spec.Environment) iam.Params {
	n := e.Names()
	return iam.Params{
		Partition:    e.Partition(),
		Region:       e.Spec.Region,
		AccountID:    p.AccountID,
		ClusterName:  n.Cluster,
		QueueName:    n.InterruptionQueue,
		NodeRoleName: n.KarpenterNodeRole,
		OIDCIssuer:   p.OIDCIssuer,
		BucketName:   e.BucketName(p.AccountID),
	}
}

// Manifest is one file of Kubernetes objects in the exported tree.
type Manifest struct {
	// Path in the tree, e.g. karpenter/nodepool-arm64.yaml.
	Path string
	// Objects in the order they are written and applied.
	Objects []runtime.Object
}

// File is one file of the exported tree.
type File struct {
	Path string
	Data []byte
}

// Tree is the exported file tree, sorted by path.
type Tree []File

// Get returns the file at path.
func (t Tree) Get(path string) (File, bool) {
	for _, f := range t {
		if f.Path == path {
			return f, true
		}
	}
	return File{}, false
}

// Render derives the whole exported tree from the environment: the seed's
// layout (eks/, karpenter/, portainer/, tests/) plus the Helm values and
// IAM documents eksenv uses itself. Same input, byte-identical output.
func Render(e *spec.Environment, p Params) (Tree, error) {
	var t Tree
	add := func(path string, data []byte) { t = append(t, File{Path: path, Data: data}) }
	ms, err := Manifests(e, p)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		data, err := MarshalObjects(m.Objects...)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", m.Path, err)
		}
		add(m.Path, data)
	}
	docs, err := Documents(e, p)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		add(d.Path, d.Data)
	}
	sort.Slice(t, func(i, j int) bool { return t[i].Path < t[j].Path })
	t = append(t, File{Path: "eks/fix-eks-web-console-access.md", Data: ConsoleAccessGuide(e)})
	sort.Slice(t, func(i, j int) bool { return t[i].Path < t[j].Path })
	readme := Readme(e, t)
	t = append(t, File{Path: "README.md", Data: readme})
	sort.Slice(t, func(i, j int) bool { return t[i].Path < t[j].Path })
	return t, nil
}

// Manifests returns every file of Kubernetes objects, in apply order.
func Manifests(e *spec.Environment, p Params) ([]Manifest, error) {
	var ms []Manifest
	np, err := NodePoolManifests(e)
	if err != nil {
		return nil, err
	}
	ms = append(ms, np...)
	ms = append(ms, StorageManifests(e, p)...)
	ms = append(ms, PortainerManifests(e, p)...)
	ms = append(ms, TestManifests(e, p)...)
	return ms, nil
}

// Documents returns the non-Kubernetes files: IAM documents, Helm values,
// the eksctl ClusterConfig and the interruption rules.
func Documents(e *spec.Environment, p Params) ([]File, error) {
	var out []File
	fs, err := IAMFiles(e, p)
	if err != nil {
		return nil, err
	}
	out = append(out, fs...)
	vs, err := ValuesFiles(e, p)
	if err != nil {
		return nil, err
	}
	out = append(out, vs...)
	cc, err := ClusterConfig(e, p)
	if err != nil {
		return nil, err
	}
	out = append(out, File{Path: "eks/cluster-config.yaml", Data: cc})
	rules, err := InterruptionRulesFile(e)
	if err != nil {
		return nil, err
	}
	out = append(out, rules)
	return out, nil
}

// MarshalObjects writes objects as a YAML stream, each document starting
// with ---. Empty fields, creation timestamps and status are left out.
func MarshalObjects(objs ...runtime.Object) ([]byte, error) {
	var b bytes.Buffer
	for _, o := range objs {
		m, err := ToMap(o)
		if err != nil {
			return nil, err
		}
		data, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", describe(o), err)
		}
		b.WriteString("---\n")
		b.Write(data)
	}
	return b.Bytes(), nil
}

// ToMap converts a typed object into its unstructured form without status
// and creationTimestamp, the form eksenv writes and applies.
func ToMap(o runtime.Object) (map[string]any, error) {
	// A JSON round trip honours the types' own marshalers (Karpenter's
	// NillableDuration), which the unstructured converter does not.
	data, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", describe(o), err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("convert %s: %w", describe(o), err)
	}
	delete(m, "status")
	if meta, ok := m["metadata"].(map[string]any); ok {
		delete(meta, "creationTimestamp")
	}
	dropNulls(m)
	return m, nil
}

// dropNulls removes null values (nil slices and maps of fields without
// omitempty), which the API server and the CRD schemas would refuse.
func dropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if x == nil {
				delete(t, k)
				continue
			}
			dropNulls(x)
		}
	case []any:
		for _, x := range t {
			dropNulls(x)
		}
	}
}

// MarshalYAML writes any value as YAML with sorted keys.
func MarshalYAML(v any) ([]byte, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshal yaml: %w", err)
	}
	return data, nil
}

func describe(o runtime.Object) string {
	gvk := o.GetObjectKind().GroupVersionKind()
	if acc, ok := o.(interface{ GetName() string }); ok {
		return gvk.Kind + "/" + acc.GetName()
	}
	return gvk.Kind
}
