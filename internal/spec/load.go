package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Document is a loaded environment file: the typed environment with defaults
// applied, and where each field stood in the file.
type Document struct {
	// File is the name used in messages.
	File string
	// Env is the environment, defaults applied.
	Env *Environment
	// positions maps field paths to where their values stand.
	positions map[string]Pos
}

// DefaultDocument is the embedded default environment as a document with no
// positions, named "(default)" in messages.
func DefaultDocument() *Document {
	return &Document{File: "(default)", Env: Default(), positions: map[string]Pos{}}
}

// Load decodes an environment file strictly: unknown fields, duplicate keys,
// wrong types, a wrong apiVersion or kind, and an empty file are errors, each
// with file, line, column and field path. On success the defaults are applied.
// The returned Problems hold only errors; a nil Document means it could not
// be used.
func Load(file string, data []byte) (*Document, Problems) {
	d := &Document{File: file, positions: map[string]Pos{}}
	fail := func(pos Pos, path, msg string) (*Document, Problems) {
		return nil, Problems{{File: file, Pos: pos, Path: path, Message: msg}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(Pos{}, "", "the file is empty; it needs at least apiVersion, kind and metadata.name (eksenv init writes a complete one)")
		}
		return fail(yamlErrorPos(err), "", "not valid YAML: "+yamlErrorText(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fail(Pos{Line: extra.Line, Column: extra.Column}, "", "the file holds more than one YAML document; put one environment in each file")
	} else if !errors.Is(err, io.EOF) {
		return fail(yamlErrorPos(err), "", "not valid YAML: "+yamlErrorText(err))
	}
	body := &root
	if body.Kind == yaml.DocumentNode && len(body.Content) == 1 {
		body = body.Content[0]
	}
	if body.Kind == yaml.ScalarNode && body.Tag == "!!null" {
		return fail(Pos{}, "", "the file is empty; it needs at least apiVersion, kind and metadata.name (eksenv init writes a complete one)")
	}
	env := &Environment{}
	dc := &decoder{doc: d}
	dc.decode(body, reflect.ValueOf(env).Elem(), "")
	if body.Kind == yaml.MappingNode {
		dc.checkHeader(env, body)
	}
	if len(dc.problems) > 0 {
		dc.problems.Sort()
		return nil, dc.problems
	}
	SetDefaults(env)
	d.Env = env
	return d, nil
}

// Locate returns the position of path's value, or of its nearest ancestor
// present in the file (a missing field is reported where its parent stands).
func (d *Document) Locate(path string) Pos {
	for p := path; ; {
		if pos, ok := d.positions[p]; ok {
			return pos
		}
		if p == "" {
			return Pos{}
		}
		p = parentPath(p)
	}
}

// Place fills in File and Pos of problems that have only a path.
func (d *Document) Place(ps Problems) Problems {
	out := make(Problems, len(ps))
	for i, p := range ps {
		if p.File == "" {
			p.File = d.File
		}
		if p.Pos == (Pos{}) {
			p.Pos = d.Locate(p.Path)
		}
		out[i] = p
	}
	return out
}

// parentPath strips the last element of a field path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

type decoder struct {
	doc      *Document
	problems Problems
}

func (dc *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	dc.problems = append(dc.problems, Problem{File: dc.doc.File, Pos: nodePos(n), Path: path, Message: fmt.Sprintf(format, args...)})
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

func (dc *decoder) checkHeader(env *Environment, body *yaml.Node) {
	at := func(path string) *yaml.Node {
		if pos, ok := dc.doc.positions[path]; ok {
			return &yaml.Node{Line: pos.Line, Column: pos.Column}
		}
		return body
	}
	switch env.APIVersion {
	case APIVersion:
	case "":
		dc.errorf(at(""), "apiVersion", "missing; set apiVersion: %s", APIVersion)
	default:
		dc.errorf(at("apiVersion"), "apiVersion", "%q is not supported; this eksenv reads %s", env.APIVersion, APIVersion)
	}
	switch env.Kind {
	case Kind:
	case "":
		dc.errorf(at(""), "kind", "missing; set kind: %s", Kind)
	default:
		dc.errorf(at("kind"), "kind", "%q is not supported; the kind is %s", env.Kind, Kind)
	}
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func (dc *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	dc.doc.positions[path] = nodePos(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		dc.decode(n, v.Elem(), path)
	case reflect.Struct:
		dc.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			dc.errorf(n, path, "must be a list, not %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			dc.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		dc.decodeMap(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			hint := ""
			if n.Kind == yaml.ScalarNode {
				hint = fmt.Sprintf("; write it in quotes: %q", n.Value)
			}
			dc.errorf(n, path, "must be a string, not %s%s", describe(n), hint)
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			dc.errorf(n, path, "must be a whole number, not %s", describe(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 32)
		if err != nil {
			dc.errorf(n, path, "%s is out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			dc.errorf(n, path, "must be true or false, not %s", describe(n))
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			dc.errorf(n, path, "must be true or false: %v", err)
			return
		}
		v.SetBool(b)
	default:
		dc.errorf(n, path, "eksenv cannot decode a %s here (internal error)", v.Kind())
	}
}

func (dc *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		dc.errorf(n, path, "must be a mapping of fields, not %s", describe(n))
		return
	}
	fields := structFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		name := k.Value
		fp := join(path, name)
		if k.Kind != yaml.ScalarNode {
			dc.errorf(k, path, "field names must be plain strings")
			continue
		}
		if seen[name] {
			dc.errorf(k, fp, "is set twice; remove one")
			continue
		}
		seen[name] = true
		idx, ok := fields[name]
		if !ok {
			dc.errorf(k, fp, "unknown field%s; %s takes %s", suggest(name, fields), describePath(path), strings.Join(sortedKeys(fields), ", "))
			continue
		}
		dc.decode(val, v.Field(idx), fp)
	}
}

func (dc *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		dc.errorf(n, path, "must be a mapping of keys to values, not %s", describe(n))
		return
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := fmt.Sprintf("%s[%s]", path, k.Value)
		if k.Kind != yaml.ScalarNode {
			dc.errorf(k, path, "keys must be plain strings")
			continue
		}
		key := reflect.ValueOf(k.Value)
		if m.MapIndex(key).IsValid() {
			dc.errorf(k, kp, "is set twice; remove one")
			continue
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		dc.decode(val, elem, kp)
		m.SetMapIndex(key, elem)
	}
	v.Set(m)
}

// structFields maps the JSON names of a struct's fields to their index.
func structFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func suggest(name string, fields map[string]int) string {
	for f := range fields {
		if strings.EqualFold(f, name) {
			return fmt.Sprintf(" (did you mean %q?)", f)
		}
	}
	return ""
}

func describePath(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return n.Value
	}
	return "this value"
}

// yamlErrorPos extracts the line from a yaml.v3 syntax error ("yaml: line 3: ...").
func yamlErrorPos(err error) Pos {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "line "); ok {
		end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if end > 0 {
			if line, err := strconv.Atoi(rest[:end]); err == nil {
				return Pos{Line: line, Column: 1}
			}
		}
	}
	return Pos{}
}

func yamlErrorText(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
		return rest
	}
	return msg
}
