package specdoc

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlIndent is the indentation of the YAML eksenv writes.
const yamlIndent = 2

// commentWidth is the column comments are wrapped at.
const commentWidth = 80

// builder turns values of the spec types into yaml.v3 nodes.
type builder struct {
	// docs maps field paths to their doc comments; nil writes no comments.
	docs map[string]string
	// fresh returns the value at path as a new one would be, defaults
	// applied (see defaultAt); it makes the commented-out examples of unset
	// objects and empty lists of objects. nil writes no examples.
	fresh func(path string, set bool) (reflect.Value, error)
	// nilAsEmpty writes nil lists and maps as [] and {} instead of null
	// (for examples; it loses the difference between nil and empty).
	nilAsEmpty bool
}

// node returns the node of v, the value at path. indent is the column of
// the node's block content: the keys of a mapping, the dashes of a list.
// docs tells whether to comment the fields (only the first item of a list is
// commented).
func (b *builder) node(v reflect.Value, path string, indent int, docs bool) (*yaml.Node, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return null(), nil
		}
		return b.node(v.Elem(), path, indent, docs)
	case reflect.Struct:
		return b.mapping(v, path, indent, docs)
	case reflect.Slice:
		if v.IsNil() && !b.nilAsEmpty {
			return null(), nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode}
		if v.Len() == 0 || isScalar(v.Type().Elem()) {
			n.Style = yaml.FlowStyle
		}
		for i := 0; i < v.Len(); i++ {
			item, err := b.node(v.Index(i), path+itemStep, indent+yamlIndent, docs && i == 0)
			if err != nil {
				return nil, err
			}
			// A comment on the first key of an item would stand after the
			// dash; it belongs above it.
			if item.Kind == yaml.MappingNode && len(item.Content) > 0 && item.HeadComment == "" {
				item.HeadComment, item.Content[0].HeadComment = item.Content[0].HeadComment, ""
			}
			n.Content = append(n.Content, item)
		}
		return n, nil
	case reflect.Map:
		if v.IsNil() && !b.nilAsEmpty {
			return null(), nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("%s: map keys must be strings, not %s", path, v.Type().Key())
		}
		n := &yaml.Node{Kind: yaml.MappingNode}
		if v.Len() == 0 {
			n.Style = yaml.FlowStyle
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for i, k := range keys {
			val, err := b.node(v.MapIndex(k), path+entryStep, indent+yamlIndent, docs && i == 0)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, str(k.String()), val)
		}
		return n, nil
	case reflect.String:
		return str(v.String()), nil
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatUint(v.Uint(), 10)}, nil
	case reflect.Float32, reflect.Float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v.Float(), 'g', -1, 64)}, nil
	}
	return nil, fmt.Errorf("%s: cannot write a %s", path, v.Type())
}

func (b *builder) mapping(v reflect.Value, path string, indent int, docs bool) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	t := v.Type()
	var prev reflect.Type // of the field before
	for i := 0; i < t.NumField(); i++ {
		name := jsonName(t.Field(i))
		if name == "" {
			continue
		}
		fp := joinPath(path, name)
		fv := v.Field(i)
		key := str(name)
		if docs && b.docs != nil {
			ex, err := b.example(fv, fp, name, indent)
			if err != nil {
				return nil, err
			}
			c := joinComments(comment(b.docs[fp], indent), ex)
			// A blank line sets off the sections of the top two levels:
			// the fields that hold objects.
			if len(n.Content) > 0 && indent <= yamlIndent && (holdsStruct(fv.Type()) || holdsStruct(prev)) {
				c = "\n" + c
			}
			key.HeadComment = c
		}
		prev = fv.Type()
		val, err := b.node(fv, fp, indent+yamlIndent, docs)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, key, val)
	}
	return n, nil
}

// example comments out a value for a field that has none, fv at path: the
// object an unset pointer would point to, or an item of an empty list of
// objects, with the defaults a new one gets. It returns "" for other fields.
func (b *builder) example(fv reflect.Value, path, name string, indent int) (string, error) {
	if b.fresh == nil {
		return "", nil
	}
	var v reflect.Value
	var intro string
	switch {
	case fv.Kind() == reflect.Pointer && fv.IsNil() && fv.Type().Elem().Kind() == reflect.Struct:
		p, err := b.fresh(path, true)
		if err != nil {
			return "", err
		}
		v, intro = p, "Not set. To set it, replace the next line with:"
	case fv.Kind() == reflect.Slice && fv.Len() == 0 && holdsStruct(fv.Type().Elem()):
		item, err := b.fresh(path+itemStep, false)
		if err != nil {
			return "", err
		}
		v = reflect.MakeSlice(fv.Type(), 1, 1)
		v.Index(0).Set(item)
		intro = "No items. To add one, replace the next line with:"
	default:
		return "", nil
	}
	// The example stands behind "# ", its fields one level deeper.
	eb := &builder{docs: b.docs, nilAsEmpty: true}
	val, err := eb.node(v, path, indent+len("# ")+yamlIndent, true)
	if err != nil {
		return "", err
	}
	text, err := encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str(name), val}})
	if err != nil {
		return "", err
	}
	lines := []string{"# " + intro}
	for _, l := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		lines = append(lines, strings.TrimRight("# "+l, " "))
	}
	return strings.Join(lines, "\n"), nil
}

// comment formats doc as YAML comment lines for a node at column indent,
// wrapped at commentWidth; paragraphs are separated by a lone "#".
func comment(doc string, indent int) string {
	if doc == "" {
		return ""
	}
	width := max(commentWidth-indent-len("# "), 40)
	var lines []string
	for i, p := range strings.Split(doc, "\n\n") {
		if i > 0 {
			lines = append(lines, "#")
		}
		line := ""
		for _, w := range strings.Fields(p) {
			if line != "" && len(line)+1+len(w) > width {
				lines = append(lines, "# "+line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		lines = append(lines, "# "+line)
	}
	return strings.Join(lines, "\n")
}

func joinComments(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n#\n" + b
}

func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer:
		return isScalar(t.Elem())
	case reflect.Struct, reflect.Slice, reflect.Map, reflect.Array, reflect.Interface:
		return false
	}
	return true
}

// holdsStruct reports whether values of t are or contain structs.
func holdsStruct(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Array:
		return holdsStruct(t.Elem())
	}
	return false
}

func str(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if strings.Contains(s, "\n") {
		// Never a literal block: its lines could look like comments or
		// blank lines to encode's clean-up.
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func null() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

// encode writes n as YAML indented by two, without trailing blanks.
func encode(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(yamlIndent)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	// A head comment that starts with a line break leaves a line of
	// indentation behind; no other line of ours ends in blanks (strings
	// with line breaks are double-quoted).
	lines := bytes.Split(buf.Bytes(), []byte("\n"))
	for i, l := range lines {
		lines[i] = bytes.TrimRight(l, " ")
	}
	return bytes.Join(lines, []byte("\n")), nil
}
