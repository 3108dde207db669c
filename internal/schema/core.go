package schema

import (
	"errors"
	"fmt"
	"regexp"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
)

// coreDecoders holds strict decoders for built-in kinds (client-go's scheme)
// and for CustomResourceDefinitions, built on first use.
type coreDecoders struct {
	once sync.Once

	builtinScheme *runtime.Scheme
	builtin       runtime.Decoder
	apiextScheme  *runtime.Scheme
	apiext        runtime.Decoder
	err           error
}

// get returns the decoders, building them on first use.
func (c *coreDecoders) get() (*coreDecoders, error) {
	c.once.Do(func() {
		strict := json.SerializerOptions{Strict: true}
		// client-go's scheme is only read, never modified.
		c.builtinScheme = scheme.Scheme
		c.builtin = json.NewSerializerWithOptions(json.DefaultMetaFactory, c.builtinScheme, c.builtinScheme, strict)
		c.apiextScheme = runtime.NewScheme()
		if err := apiextensionsv1.AddToScheme(c.apiextScheme); err != nil {
			c.err = fmt.Errorf("registering apiextensions.k8s.io/v1: %w", err)
			return
		}
		c.apiext = json.NewSerializerWithOptions(json.DefaultMetaFactory, c.apiextScheme, c.apiextScheme, strict)
	})
	return c, c.err
}

// decoderFor returns the strict decoder for gvk, or nil when no scheme knows it.
func (c *coreDecoders) decoderFor(gvk schema.GroupVersionKind) runtime.Decoder {
	if gvk.Group == apiextensionsv1.GroupName {
		if c.apiextScheme.Recognizes(gvk) {
			return c.apiext
		}
		return nil
	}
	if c.builtinScheme.Recognizes(gvk) {
		return c.builtin
	}
	return nil
}

// fieldPathError is implemented by the strict errors of sigs.k8s.io/json
// (its FieldError interface).
type fieldPathError interface {
	error
	FieldPath() string
}

// typeErrorField extracts the field from encoding/json's UnmarshalTypeError
// message, which sigs.k8s.io/json does not export as a type:
// "json: cannot unmarshal string into Go struct field StorageClass.allowVolumeExpansion of type bool".
var typeErrorField = regexp.MustCompile(`^json: cannot unmarshal .* into Go struct field [^.\s]+\.(\S+) of type `)

// decodeStrict decodes data (JSON) strictly and returns the problems found,
// with Kind and Name left empty.
func decodeStrict(dec runtime.Decoder, data []byte) []Problem {
	obj, _, err := dec.Decode(data, nil, nil)
	var problems []Problem
	if err != nil {
		strictErr, ok := runtime.AsStrictDecodingError(err)
		if !ok {
			p := Problem{Message: err.Error()}
			if m := typeErrorField.FindStringSubmatch(p.Message); m != nil {
				p.Path = m[1]
			}
			return []Problem{p}
		}
		for _, e := range strictErr.Errors() {
			p := Problem{Message: e.Error()}
			var fe fieldPathError
			if errors.As(e, &fe) {
				p.Path = fe.FieldPath()
			}
			problems = append(problems, p)
		}
	}
	// Every object needs a name on create; format rules differ per kind and
	// are left to the API server.
	if acc, aerr := meta.Accessor(obj); aerr == nil && acc.GetName() == "" && acc.GetGenerateName() == "" {
		problems = append(problems, Problem{Path: "metadata.name", Message: "Required value: name or generateName is required"})
	}
	return problems
}
