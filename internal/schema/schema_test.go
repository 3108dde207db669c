package schema

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const validNodePool = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: arm64
spec:
  template:
    metadata:
      labels:
        eksenv.io/pool: arm64
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      expireAfter: 720h
      requirements:
        - key: kubernetes.io/arch
          operator: In
          values: ["arm64"]
        - key: karpenter.sh/capacity-type
          operator: In
          values: ["spot", "on-demand"]
        - key: karpenter.k8s.aws/instance-generation
          operator: Gt
          values: ["2"]
  limits:
    cpu: "1000"
  disruption:
    consolidationPolicy: WhenEmptyOrUnderutilized
    consolidateAfter: 1m
`

const validEC2NodeClass = `
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  role: KarpenterNodeRole-demo
  amiSelectorTerms:
    - alias: al2023@latest
  subnetSelectorTerms:
    - tags:
        karpenter.sh/discovery: demo
  securityGroupSelectorTerms:
    - tags:
        karpenter.sh/discovery: demo
  tags:
    team: platform
`

const validStorageClass = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
parameters:
  type: gp3
`

// want is an expected problem: Path must be equal, Message must contain Msg.
type want struct{ Path, Msg string }

func newValidator(tb testing.TB) *Validator {
	tb.Helper()
	v, err := New()
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return v
}

func parse(tb testing.TB, doc string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		tb.Fatalf("parsing test document: %v", err)
	}
	return m
}

// node walks obj along path (string keys and int indexes) and returns what it finds.
func node(tb testing.TB, obj any, path ...any) any {
	tb.Helper()
	cur := obj
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				tb.Fatalf("node %v: %q is not in an object", path, k)
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				tb.Fatalf("node %v: index %d out of range", path, k)
			}
			cur = l[k]
		}
	}
	return cur
}

func obj(tb testing.TB, o any, path ...any) map[string]any {
	tb.Helper()
	m, ok := node(tb, o, path...).(map[string]any)
	if !ok {
		tb.Fatalf("node %v is not an object", path)
	}
	return m
}

// checkProblems asserts that got holds exactly the wanted problems, in any order.
func checkProblems(t *testing.T, got []Problem, wants []want) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range wants {
		found := false
		for i, p := range got {
			if !used[i] && p.Path == w.Path && strings.Contains(p.Message, w.Msg) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("missing problem at %q containing %q", w.Path, w.Msg)
		}
	}
	for i, p := range got {
		if !used[i] {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

func TestValidObjects(t *testing.T) {
	v := newValidator(t)
	for name, doc := range map[string]string{
		"NodePool":     validNodePool,
		"EC2NodeClass": validEC2NodeClass,
		"StorageClass": validStorageClass,
		"NodeClaim": `
apiVersion: karpenter.sh/v1
kind: NodeClaim
metadata: {name: arm64-abcde}
spec:
  nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
  requirements:
    - {key: kubernetes.io/arch, operator: In, values: [arm64]}
  resources:
    requests: {cpu: "1"}
`,
		"ConfigMap": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: kube-system}\ndata: {a: b}\n",
		"Deployment": `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 2
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
`,
	} {
		t.Run(name, func(t *testing.T) {
			checkProblems(t, v.ValidateObject(context.Background(), parse(t, doc)), nil)
		})
	}
}

func TestValidateObjectCustomResources(t *testing.T) {
	v := newValidator(t)
	const reqs = "spec.template.spec.requirements"
	tests := []struct {
		name   string
		doc    string
		mutate func(t *testing.T, o map[string]any)
		want   []want
	}{
		{
			name: "requirement key in kubernetes.io domain",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 0)["key"] = "kubernetes.io/foo"
			},
			want: []want{{reqs + "[0].key", `Invalid value: "string": label domain "kubernetes.io" is restricted`}},
		},
		{
			name: "requirement key in karpenter.sh domain",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 1)["key"] = "karpenter.sh/foo"
			},
			want: []want{{reqs + "[1].key", `label domain "karpenter.sh" is restricted`}},
		},
		{
			name: "label in karpenter.sh domain",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "metadata", "labels")["karpenter.sh/nodepool"] = "x"
			},
			want: []want{{"spec.template.metadata.labels", `label "karpenter.sh/nodepool" is restricted`}},
		},
		{
			name: "operator In with empty values",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 0)["values"] = []any{}
			},
			want: []want{{reqs, "requirements with operator 'In' must have a value defined"}},
		},
		{
			name: "operator In without values",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				delete(obj(t, o, "spec", "template", "spec", "requirements", 0), "values")
			},
			want: []want{{reqs, "requirements with operator 'In' must have a value defined"}},
		},
		{
			name: "operator Gt with a non-integer",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 2)["values"] = []any{"two"}
			},
			want: []want{{reqs, "type conversion error from 'string' to 'int' evaluating rule: requirements operator 'Gt' or 'Lt' must have a single positive integer value"}},
		},
		{
			name: "operator Gt with two values",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 2)["values"] = []any{"2", "3"}
			},
			want: []want{{reqs, "requirements operator 'Gt' or 'Lt' must have a single positive integer value"}},
		},
		{
			name: "unsupported operator",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec", "requirements", 0)["operator"] = "Within"
			},
			want: []want{
				{reqs + "[0].operator", `Unsupported value: "Within": supported values: "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"`},
				{"", skippedCELMessage},
			},
		},
		{
			name: "unknown fields",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec")["nodeSelector"] = map[string]any{"a": "b"}
				obj(t, o, "spec")["replicas"] = 3
				obj(t, o, "metadata")["labelz"] = map[string]any{"a": "b"}
			},
			want: []want{
				{"metadata.labelz", `unknown field "metadata.labelz"`},
				{"spec.replicas", `unknown field "spec.replicas"`},
				{"spec.template.spec.nodeSelector", `unknown field "spec.template.spec.nodeSelector"`},
			},
		},
		{
			name: "wrong type",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec")["weight"] = "heavy"
			},
			want: []want{
				{"spec.weight", `Invalid value: "string": spec.weight in body must be of type integer: "string"`},
				{"", skippedCELMessage},
			},
		},
		{
			name: "bad duration pattern",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "template", "spec")["expireAfter"] = "30d"
			},
			want: []want{{"spec.template.spec.expireAfter", `spec.template.spec.expireAfter in body should match '^(([0-9]+(s|m|h))+|Never)$'`}},
		},
		{
			name: "missing name",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				delete(obj(t, o, "metadata"), "name")
			},
			want: []want{
				{"metadata.name", "Required value: name or generateName is required"},
				{"", skippedCELMessage},
			},
		},
		{
			name: "metadata of the wrong type",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "metadata")["labels"] = "team=platform"
			},
			want: []want{{"metadata.labels", "json: cannot unmarshal string into Go struct field ObjectMeta.labels of type map[string]string"}},
		},
		{
			name: "namespace on a cluster-scoped kind is ignored like the API server does",
			doc:  validNodePool,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "metadata")["namespace"] = "karpenter"
			},
		},
		{
			name: "alias with another amiSelectorTerm",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				s := obj(t, o, "spec")
				s["amiSelectorTerms"] = append(s["amiSelectorTerms"].([]any), map[string]any{"id": "ami-0123456789abcdef0"})
			},
			want: []want{{"spec.amiSelectorTerms", `Invalid value: "array": 'alias' is mutually exclusive, cannot be set with a combination of other amiSelectorTerms`}},
		},
		{
			name: "alias with another field in the same term",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "amiSelectorTerms", 0)["owner"] = "amazon"
			},
			want: []want{{"spec.amiSelectorTerms", "'alias' is mutually exclusive, cannot be set with a combination of other fields in amiSelectorTerms"}},
		},
		{
			name: "unsupported alias family",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "amiSelectorTerms", 0)["alias"] = "ubuntu@latest"
			},
			want: []want{{"spec.amiSelectorTerms[0].alias", "family is not supported, must be one of the following: 'al2', 'al2023', 'bottlerocket', 'windows2019', 'windows2022'"}},
		},
		{
			name: "neither role nor instanceProfile",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				delete(obj(t, o, "spec"), "role")
			},
			want: []want{{"spec", `Invalid value: "object": must specify exactly one of ['role', 'instanceProfile']`}},
		},
		{
			name: "both role and instanceProfile",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec")["instanceProfile"] = "KarpenterNodeInstanceProfile"
			},
			want: []want{{"spec", "must specify exactly one of ['role', 'instanceProfile']"}},
		},
		{
			name: "forbidden tag key",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec", "tags")["kubernetes.io/cluster/x"] = "owned"
			},
			want: []want{{"spec.tags", "tag contains a restricted tag matching kubernetes.io/cluster/"}},
		},
		{
			name: "empty subnetSelectorTerms",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				obj(t, o, "spec")["subnetSelectorTerms"] = []any{}
			},
			want: []want{
				{"spec.subnetSelectorTerms", "subnetSelectorTerms cannot be empty"},
				// Quirk of the Karpenter rule !self.all(x, has(x.id) && has(x.tags)):
				// all() is true for an empty list.
				{"spec.subnetSelectorTerms", "'id' is mutually exclusive, cannot be set with a combination of other fields in a subnet selector term"},
			},
		},
		{
			name: "defaults are applied before validation",
			doc:  validEC2NodeClass,
			mutate: func(t *testing.T, o map[string]any) {
				// metadataOptions is defaulted as a whole; a partial object gets
				// the remaining defaults, and httpTokens is then checked by its enum.
				obj(t, o, "spec")["metadataOptions"] = map[string]any{"httpTokens": "sometimes"}
			},
			want: []want{
				{"spec.metadataOptions.httpTokens", `Unsupported value: "sometimes": supported values: "required", "optional"`},
				{"", skippedCELMessage},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := parse(t, tc.doc)
			tc.mutate(t, o)
			got := v.ValidateObject(context.Background(), o)
			checkProblems(t, got, tc.want)
			kind, name := o["kind"].(string), obj(t, o, "metadata")["name"]
			for _, p := range got {
				if p.Kind != kind || (name != nil && p.Name != name) || p.Document != 0 {
					t.Errorf("problem %s has Kind=%q Name=%q Document=%d, want %q %v 0", p, p.Kind, p.Name, p.Document, kind, name)
				}
			}
		})
	}
}

func TestValidateObjectCoreObjects(t *testing.T) {
	v := newValidator(t)
	crds, err := KarpenterCRDs()
	if err != nil {
		t.Fatal(err)
	}
	crdYAML, err := yaml.Marshal(crds[2])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		doc    string
		mutate func(t *testing.T, o map[string]any)
		want   []want
	}{
		{
			name:   "StorageClass with an unknown field",
			doc:    validStorageClass,
			mutate: func(t *testing.T, o map[string]any) { o["parameterz"] = map[string]any{"type": "gp3"} },
			want:   []want{{"parameterz", `unknown field "parameterz"`}},
		},
		{
			name:   "StorageClass with an unknown metadata field",
			doc:    validStorageClass,
			mutate: func(t *testing.T, o map[string]any) { obj(t, o, "metadata")["label"] = "x" },
			want:   []want{{"metadata.label", `unknown field "metadata.label"`}},
		},
		{
			name:   "StorageClass with a wrong type",
			doc:    validStorageClass,
			mutate: func(t *testing.T, o map[string]any) { o["allowVolumeExpansion"] = "yes" },
			want:   []want{{"allowVolumeExpansion", "json: cannot unmarshal string into Go struct field StorageClass.allowVolumeExpansion of type bool"}},
		},
		{
			name:   "StorageClass without a name",
			doc:    validStorageClass,
			mutate: func(t *testing.T, o map[string]any) { delete(o, "metadata") },
			want:   []want{{"metadata.name", "Required value: name or generateName is required"}},
		},
		{
			name: "Deployment with a nested unknown field",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers: [{name: c, image: nginx, imagePullPolicy: Always, port: 80}]
`,
			want: []want{{"spec.template.spec.containers[0].port", `unknown field "spec.template.spec.containers[0].port"`}},
		},
		{
			name: "Deployment with a nested wrong type",
			doc: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: two
  selector: {matchLabels: {app: d}}
`,
			want: []want{{"spec.replicas", "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"}},
		},
		{
			name: "Karpenter CRD decodes strictly",
			doc:  string(crdYAML),
		},
		{
			name:   "CRD with an unknown field",
			doc:    string(crdYAML),
			mutate: func(t *testing.T, o map[string]any) { obj(t, o, "spec")["preserveUnknownFieldz"] = true },
			want:   []want{{"spec.preserveUnknownFieldz", `unknown field "spec.preserveUnknownFieldz"`}},
		},
		{
			name: "unknown kind",
			doc:  "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
			want: []want{{"", "no schema for example.com/v1/Widget"}},
		},
		{
			name: "unknown kind in a known group",
			doc:  "apiVersion: apps/v1\nkind: Deploymint\nmetadata: {name: w}\n",
			want: []want{{"", "no schema for apps/v1/Deploymint"}},
		},
		{
			name: "unserved Karpenter version",
			doc:  "apiVersion: karpenter.sh/v1beta1\nkind: NodePool\nmetadata: {name: w}\n",
			want: []want{{"", "no schema for karpenter.sh/v1beta1/NodePool (served versions: v1)"}},
		},
		{
			name: "v1beta1 CRD is not served any more",
			doc:  "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: w}\n",
			want: []want{{"", "no schema for apiextensions.k8s.io/v1beta1/CustomResourceDefinition"}},
		},
		{
			name: "missing apiVersion and kind",
			doc:  "metadata: {name: w}\n",
			want: []want{
				{"apiVersion", "Required value"},
				{"kind", "Required value"},
			},
		},
		{
			name: "List items are validated one by one",
			doc: `
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: v}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, dta: {k: v}}
`,
			want: []want{{"dta", `unknown field "dta"`}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := parse(t, tc.doc)
			if tc.mutate != nil {
				tc.mutate(t, o)
			}
			checkProblems(t, v.ValidateObject(context.Background(), o), tc.want)
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Kind: "NodePool", Name: "arm64", Path: "spec.template.spec.requirements[0]", Message: "bad"}, "NodePool/arm64: spec.template.spec.requirements[0]: bad"},
		{Problem{Kind: "Widget", Name: "w", Message: "no schema for example.com/v1/Widget"}, "Widget/w: no schema for example.com/v1/Widget"},
		{Problem{Kind: "NodePool", Path: "metadata.name", Message: "Required value"}, "NodePool: metadata.name: Required value"},
		{Problem{Document: 3, Path: "kind", Message: "Required value"}, "document 3: kind: Required value"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestValidateYAMLStream(t *testing.T) {
	v := newValidator(t)
	stream := "---\n# leading comment only\n---\n" + validNodePool + "---\n" + validEC2NodeClass + `---
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: gp3
  name: gp2
provisioner: ebs.csi.aws.com
parameterz: {}
---
- just
- a list
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
`
	got, err := v.ValidateYAML(context.Background(), []byte(stream))
	if err != nil {
		t.Fatalf("ValidateYAML: %v", err)
	}
	line := slices.Index(strings.Split(stream, "\n"), "  name: gp3") + 1 // 1-based line in the stream
	wantProblems := []Problem{
		{Document: 2, Kind: "StorageClass", Name: "gp2", Path: "metadata.name", Message: fmt.Sprintf(`duplicate field "metadata.name" (lines %d and %d)`, line, line+1)},
		{Document: 2, Kind: "StorageClass", Name: "gp2", Path: "parameterz", Message: `unknown field "parameterz"`},
		{Document: 3, Message: "document is not a Kubernetes object: expected a mapping, got array"},
		{Document: 4, Kind: "Widget", Name: "w", Message: "no schema for example.com/v1/Widget"},
	}
	if !reflect.DeepEqual(got, wantProblems) {
		t.Errorf("ValidateYAML problems:\n got %s\nwant %s", fmtProblems(got), fmtProblems(wantProblems))
	}
}

func TestValidateYAMLIndexesAndNames(t *testing.T) {
	v := newValidator(t)
	bad := strings.Replace(validNodePool, "kubernetes.io/arch", "kubernetes.io/foo", 1)
	got, err := v.ValidateYAML(context.Background(), []byte(validEC2NodeClass+"---\n"+bad))
	if err != nil {
		t.Fatal(err)
	}
	want := "NodePool/arm64: spec.template.spec.requirements[0].key: Invalid value: \"string\": label domain \"kubernetes.io\" is restricted"
	if len(got) != 1 || got[0].Document != 1 || got[0].String() != want {
		t.Errorf("got %s, want document 1: %s", fmtProblems(got), want)
	}
}

func TestValidateYAMLErrors(t *testing.T) {
	v := newValidator(t)
	if _, err := v.ValidateYAML(context.Background(), []byte(validNodePool+"---\nkind: [unclosed\n")); err == nil || !strings.Contains(err.Error(), "document 1") {
		t.Errorf("syntax error: got err %v, want a parse error naming document 1", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := v.ValidateYAML(ctx, []byte(validNodePool)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got err %v, want context.Canceled", err)
	}
	if got := v.ValidateObject(ctx, parse(t, validNodePool)); len(got) != 1 || !strings.Contains(got[0].Message, "context canceled") {
		t.Errorf("cancelled context: ValidateObject = %s", fmtProblems(got))
	}
	got, err := v.ValidateYAML(context.Background(), []byte("\n---\n# nothing\n---\n"))
	if err != nil || len(got) != 0 {
		t.Errorf("empty stream: got %s, %v", fmtProblems(got), err)
	}
}

func TestValidateObjectDoesNotModifyInput(t *testing.T) {
	v := newValidator(t)
	o := parse(t, validNodePool)
	obj(t, o, "spec")["unknown"] = true
	before := fmt.Sprint(o)
	v.ValidateObject(context.Background(), o)
	if after := fmt.Sprint(o); after != before {
		t.Errorf("input modified:\nbefore %s\nafter  %s", before, after)
	}
}

func TestValidateObjectAcceptsGoTypes(t *testing.T) {
	v := newValidator(t)
	o := parse(t, validNodePool)
	obj(t, o, "spec")["weight"] = 10                                                       // int, not int64
	obj(t, o, "spec", "template", "spec", "requirements", 0)["values"] = []string{"arm64"} // not []any
	checkProblems(t, v.ValidateObject(context.Background(), o), nil)
}

func TestKarpenterCRDs(t *testing.T) {
	a, err := KarpenterCRDs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range a {
		names = append(names, c.Name)
		if c.APIVersion != "apiextensions.k8s.io/v1" || c.Kind != "CustomResourceDefinition" {
			t.Errorf("%s: TypeMeta = %q %q", c.Name, c.APIVersion, c.Kind)
		}
	}
	if want := []string{"ec2nodeclasses.karpenter.k8s.aws", "nodeclaims.karpenter.sh", "nodepools.karpenter.sh"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names = %v, want %v", names, want)
	}
	a[0].Spec.Group = "changed"
	b, err := KarpenterCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if b[0].Spec.Group != "karpenter.k8s.aws" {
		t.Errorf("KarpenterCRDs returned shared objects")
	}
}

func TestConcurrentValidation(t *testing.T) {
	v := newValidator(t)
	docs := []string{validNodePool, validEC2NodeClass, validStorageClass}
	errs := make(chan string, 3*8)
	done := make(chan struct{})
	for i := range 3 * 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			var m map[string]any
			_ = yaml.Unmarshal([]byte(docs[i%3]), &m)
			if ps := v.ValidateObject(context.Background(), m); len(ps) != 0 {
				errs <- fmtProblems(ps)
			}
		}()
	}
	for range 3 * 8 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func fmtProblems(ps []Problem) string {
	var b strings.Builder
	b.WriteString("[")
	for _, p := range ps {
		fmt.Fprintf(&b, "\n  {%d %q %q %q %q}", p.Document, p.Kind, p.Name, p.Path, p.Message)
	}
	b.WriteString("]")
	return b.String()
}

// BenchmarkValidateDefaultObjects measures what `eksenv validate` pays for
// Karpenter objects: New, lazy schema compilation, and validation of two
// NodePools and two EC2NodeClasses.
func BenchmarkValidateDefaultObjects(b *testing.B) {
	amd := strings.NewReplacer("arm64", "amd64").Replace(validNodePool)
	gpu := strings.NewReplacer("name: default", "name: gpu", "team: platform", "team: ml").Replace(validEC2NodeClass)
	stream := []byte(validNodePool + "---\n" + amd + "---\n" + validEC2NodeClass + "---\n" + gpu)
	b.ReportAllocs()
	for b.Loop() {
		v, err := New()
		if err != nil {
			b.Fatal(err)
		}
		ps, err := v.ValidateYAML(context.Background(), stream)
		if err != nil || len(ps) != 0 {
			b.Fatalf("unexpected result: %v %s", err, fmtProblems(ps))
		}
	}
}
