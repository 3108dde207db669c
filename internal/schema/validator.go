package schema

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Validator validates rendered Kubernetes objects offline. Create it with
// New and reuse it: schemas are compiled on first use and cached per kind. A
// Validator is safe for concurrent use.
type Validator struct {
	custom map[schema.GroupVersionKind]*customKind // fixed after New
	served map[schema.GroupKind][]string           // served versions, for hints
	core   coreDecoders
}

// Problem is one reason why an object would be rejected by the API server.
type Problem struct {
	// Document is the 0-based index of the object among the non-empty
	// documents of the YAML stream (0 for ValidateObject).
	Document int
	// Kind and Name identify the object; either may be empty when the
	// document does not say.
	Kind, Name string
	// Path is the field path, such as spec.template.spec.requirements[0].key;
	// empty when the problem concerns the whole object.
	Path string
	// Message says what is wrong, in the API server's words where possible.
	Message string
}

// String formats p as "Kind/Name: path: message", leaving out what is
// unknown; a problem without kind and name is prefixed by its document index.
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.Kind != "" && p.Name != "":
		b.WriteString(p.Kind + "/" + p.Name)
	case p.Kind != "":
		b.WriteString(p.Kind)
	case p.Name != "":
		b.WriteString(p.Name)
	default:
		fmt.Fprintf(&b, "document %d", p.Document)
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// New returns a Validator knowing every served version of the Karpenter
// CustomResourceDefinitions, all built-in kinds of client-go's scheme and
// apiextensions.k8s.io/v1 CustomResourceDefinitions. It compiles nothing yet.
func New() (*Validator, error) {
	crds, err := KarpenterCRDs()
	if err != nil {
		return nil, fmt.Errorf("loading Karpenter CRDs: %w", err)
	}
	v := &Validator{
		custom: make(map[schema.GroupVersionKind]*customKind),
		served: make(map[schema.GroupKind][]string),
	}
	for _, crd := range crds {
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		for _, ver := range crd.Spec.Versions {
			if !ver.Served {
				continue
			}
			gvk := gk.WithVersion(ver.Name)
			v.custom[gvk] = &customKind{gvk: gvk, crd: crd, version: ver.Name}
			v.served[gk] = append(v.served[gk], ver.Name)
		}
	}
	return v, nil
}

// ValidateObject validates one object, given as decoded JSON or YAML
// (map[string]any). obj is not modified. Values that are not JSON types are
// converted through encoding/json first.
func (v *Validator) ValidateObject(ctx context.Context, obj map[string]any) []Problem {
	if obj == nil {
		return []Problem{{Message: "empty object"}}
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return []Problem{{Message: fmt.Sprintf("object cannot be encoded as JSON: %v", err)}}
	}
	problems, err := v.validateJSON(ctx, 0, data)
	if err != nil {
		return []Problem{{Kind: stringField(obj, "kind"), Name: objectName(obj), Message: fmt.Sprintf("validation aborted: %v", err)}}
	}
	return problems
}

// ValidateYAML validates every object of a multi-document YAML stream.
// Empty documents are skipped and not counted in Problem.Document. The error
// is non-nil only when the stream cannot be parsed as YAML at all, or when ctx
// is done.
func (v *Validator) ValidateYAML(ctx context.Context, data []byte) ([]Problem, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var problems []Problem
	// startLine is the stream line (1-based) on which raw starts. The reader
	// drops the separator line that ends each document.
	for doc, startLine, next := 0, 1, 1; ; startLine = next {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return problems, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading YAML document %d (after line %d): %w", doc, startLine, err)
		}
		next = startLine + bytes.Count(raw, []byte("\n")) + 1
		var dupes []Problem
		js, strictErr := sigsyaml.YAMLToJSONStrict(raw)
		if strictErr != nil {
			// Most likely duplicate keys; anything else is a syntax error.
			js, err = sigsyaml.YAMLToJSON(raw)
			if err != nil {
				return nil, fmt.Errorf("parsing YAML document %d (starting at line %d): %w", doc, startLine, err)
			}
			dupes = duplicateKeys(raw, startLine-1)
			if len(dupes) == 0 {
				dupes = []Problem{{Message: fmt.Sprintf("strict YAML decoding: %v", strictErr)}}
			}
		}
		if isNull(js) {
			continue
		}
		ps, err := v.validateJSON(ctx, doc, js)
		if err != nil {
			return nil, fmt.Errorf("validating YAML document %d: %w", doc, err)
		}
		if len(dupes) > 0 {
			var m map[string]any
			_ = utiljson.Unmarshal(js, &m) // already parsed successfully by validateJSON
			for i := range dupes {
				dupes[i].Document, dupes[i].Kind, dupes[i].Name = doc, stringField(m, "kind"), objectName(m)
			}
			ps = append(dupes, ps...)
		}
		problems = append(problems, ps...)
		doc++
	}
}

// isNull reports whether js is the JSON of an empty YAML document.
func isNull(js []byte) bool {
	t := bytes.TrimSpace(js)
	return len(t) == 0 || string(t) == "null"
}

// validateJSON validates the JSON encoding of one document. The error is
// only ever ctx's.
func (v *Validator) validateJSON(ctx context.Context, doc int, data []byte) ([]Problem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var raw any
	if err := utiljson.Unmarshal(data, &raw); err != nil {
		return []Problem{{Document: doc, Message: fmt.Sprintf("document is not valid JSON: %v", err)}}, nil
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return []Problem{{Document: doc, Message: fmt.Sprintf("document is not a Kubernetes object: expected a mapping, got %s", jsonKind(raw))}}, nil
	}
	return v.validateMap(ctx, doc, obj, data)
}

// validateMap validates obj, which it may modify; data is its JSON encoding.
func (v *Validator) validateMap(ctx context.Context, doc int, obj map[string]any, data []byte) ([]Problem, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kind, name := stringField(obj, "kind"), objectName(obj)
	newProblem := func(path, msg string) Problem {
		return Problem{Document: doc, Kind: kind, Name: name, Path: path, Message: msg}
	}
	var problems []Problem
	apiVersion, ok := obj["apiVersion"].(string)
	if !ok || apiVersion == "" {
		problems = append(problems, newProblem("apiVersion", "Required value: must be a non-empty string"))
	}
	if _, ok := obj["kind"].(string); !ok || kind == "" {
		problems = append(problems, newProblem("kind", "Required value: must be a non-empty string"))
	}
	if len(problems) > 0 {
		return problems, nil
	}
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return []Problem{newProblem("apiVersion", fmt.Sprintf("Invalid value: %q: %v", apiVersion, err))}, nil
	}
	gvk := gv.WithKind(kind)

	if gvk.Group == "" && gvk.Version == "v1" && kind == "List" {
		return v.validateList(ctx, doc, obj)
	}

	if ck, ok := v.custom[gvk]; ok {
		return v.validateCustom(ctx, ck, obj, newProblem)
	}

	dec, err := v.core.get()
	if err != nil {
		return []Problem{newProblem("", err.Error())}, nil
	}
	if d := dec.decoderFor(gvk); d != nil {
		ps := decodeStrict(d, data)
		for i := range ps {
			ps[i].Document, ps[i].Kind, ps[i].Name = doc, kind, name
		}
		return ps, nil
	}

	msg := fmt.Sprintf("no schema for %s", gvkString(gvk))
	if vers := v.served[gvk.GroupKind()]; len(vers) > 0 {
		msg += fmt.Sprintf(" (served versions: %s)", strings.Join(vers, ", "))
	}
	return []Problem{newProblem("", msg)}, nil
}

// validateCustom validates a Karpenter object.
func (v *Validator) validateCustom(ctx context.Context, ck *customKind, obj map[string]any, newProblem func(path, msg string) Problem) ([]Problem, error) {
	cs, err := ck.schema()
	if err != nil {
		return []Problem{newProblem("", err.Error())}, nil
	}
	res := cs.validate(ctx, obj)
	if err := ctx.Err(); err != nil {
		// CEL evaluation stops early on cancellation; its verdict is partial.
		return nil, err
	}
	if res.metaErr != nil {
		p := newProblem("metadata", res.metaErr.Error())
		if m := typeErrorField.FindStringSubmatch(p.Message); m != nil {
			p.Path = "metadata." + m[1]
		}
		return []Problem{p}, nil
	}
	var problems []Problem
	unknown := slices.Clone(res.unknown)
	sort.Strings(unknown)
	for _, p := range slices.Compact(unknown) {
		problems = append(problems, newProblem(p, fmt.Sprintf("unknown field %q", p)))
	}
	errs := slices.Clone(res.errs)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	for _, e := range errs {
		problems = append(problems, fieldProblem(e, newProblem))
	}
	if res.skippedCEL {
		problems = append(problems, newProblem("", skippedCELMessage))
	}
	return problems, nil
}

// fieldProblem converts an API server field error.
func fieldProblem(e *field.Error, newProblem func(path, msg string) Problem) Problem {
	path := e.Field
	if path == "<nil>" {
		path = ""
	}
	return newProblem(path, e.ErrorBody())
}

// validateList validates the items of a v1 List one by one.
func (v *Validator) validateList(ctx context.Context, doc int, obj map[string]any) ([]Problem, error) {
	items, ok := obj["items"].([]any)
	if !ok {
		if _, present := obj["items"]; present {
			return []Problem{{Document: doc, Kind: "List", Path: "items", Message: "Invalid value: must be a list"}}, nil
		}
		return nil, nil
	}
	var problems []Problem
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			problems = append(problems, Problem{Document: doc, Kind: "List", Path: fmt.Sprintf("items[%d]", i), Message: fmt.Sprintf("Invalid value: expected an object, got %s", jsonKind(it))})
			continue
		}
		data, err := json.Marshal(m)
		if err != nil {
			problems = append(problems, Problem{Document: doc, Kind: "List", Path: fmt.Sprintf("items[%d]", i), Message: err.Error()})
			continue
		}
		ps, err := v.validateMap(ctx, doc, m, data)
		if err != nil {
			return nil, err
		}
		problems = append(problems, ps...)
	}
	return problems, nil
}

// gvkString formats gvk as group/version/kind ("v1/Kind" for the core group).
func gvkString(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + "/" + gvk.Kind
}

// stringField returns obj[key] if it is a string.
func stringField(obj map[string]any, key string) string {
	s, _ := obj[key].(string)
	return s
}

// objectName returns metadata.name, or metadata.generateName.
func objectName(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	if n := stringField(md, "name"); n != "" {
		return n
	}
	return stringField(md, "generateName")
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	default:
		return "number"
	}
}
