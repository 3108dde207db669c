package env

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// Explain decides where each workload of a manifest file would run in the
// environment: the Fargate profile and selector that take it, or the
// NodePools whose requirements admit it, with the reasons and what would
// stop it. Claims, volumes and classes in the same file are taken into
// account for the volumes.
func Explain(doc *spec.Document, file string, data []byte) ([]placement.Decision, error) {
	objs, err := decodeManifests(file, data)
	if err != nil {
		return nil, err
	}
	catalog := placement.NewCatalog(doc.Env)
	catalog.Add(objs...)
	var out []placement.Decision
	for _, o := range objs {
		if w, ok := placement.FromObject(o, catalog); ok {
			out = append(out, placement.Decide(doc.Env, w))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob to explain", file)
	}
	return out, nil
}

// ExplainComponents places eksenv's own system components.
func ExplainComponents(doc *spec.Document) []placement.Placed {
	return placement.PlaceComponents(doc.Env)
}

// decodeManifests decodes a YAML stream of Kubernetes objects of kinds
// client-go knows. Unknown kinds are skipped (they hold no pods).
func decodeManifests(file string, data []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	dec := scheme.Codecs.UniversalDeserializer()
	var out []runtime.Object
	for i := 0; ; i++ {
		chunk, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		if len(bytes.TrimSpace(chunk)) == 0 || isComment(chunk) {
			continue
		}
		obj, _, err := dec.Decode(chunk, nil, nil)
		if runtime.IsNotRegisteredError(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
		}
		out = append(out, obj)
	}
}

func isComment(chunk []byte) bool {
	for _, line := range bytes.Split(chunk, []byte("\n")) {
		l := bytes.TrimSpace(line)
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}
