package specdoc

import (
	"errors"
	"reflect"

	"github.com/eksenv/eksenv/internal/spec"
	"gopkg.in/yaml.v3"
)

const initHeader = `# eksenv environment file.
#
# Every field is written out with its value and, above it, its description
# (docs/spec.md is the full reference). A field left out takes its default,
# so the file may be cut down to apiVersion, kind, metadata.name and the
# fields that differ from the defaults. Some defaults follow other fields
# (availabilityZones follows region, portainer.storage follows
# storage.efs.enabled): remove such a field when you change the other.`

// InitFile returns the commented eksenv.yaml of e, as eksenv init writes it:
// every field in the order of the Go structs, with defaults applied (to a
// copy; e is not changed), each preceded by its doc comment from
// spec.FieldDocs. Items of a list after the first are not commented again.
// Map keys are sorted, so the output depends only on e.
//
// An unset optional object (spec.network.existingVPC) is written as null,
// with the object and its commented fields commented out above it; a list
// of objects without items (spec.addons) likewise gets one item commented
// out. Nil lists and maps are written as null and empty ones as [] and {},
// because spec.SetDefaults tells them apart: spec.Load of the output returns
// an Env equal to e with defaults applied.
func InitFile(e *spec.Environment) ([]byte, error) {
	if e == nil {
		return nil, errors.New("specdoc: InitFile of a nil environment")
	}
	env := deepCopy(reflect.ValueOf(e)).Interface().(*spec.Environment)
	spec.SetDefaults(env)
	docs := map[string]string{}
	for _, d := range spec.FieldDocs() {
		docs[d.Path] = d.Doc
	}
	b := &builder{
		docs:  docs,
		fresh: func(path string, set bool) (reflect.Value, error) { return defaultAt(env, path, set) },
	}
	root, err := b.node(reflect.ValueOf(env).Elem(), "", 0, true)
	if err != nil {
		return nil, err
	}
	return encode(&yaml.Node{Kind: yaml.DocumentNode, HeadComment: initHeader, Content: []*yaml.Node{root}})
}
