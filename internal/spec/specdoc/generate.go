package specdoc

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
	"strings"
	"unicode"
)

// rootType is the type Generate starts from: the whole environment file.
const rootType = "Environment"

// Generate parses typesSource, the text of internal/spec/types.go, and walks
// the fields reachable from the Environment type: struct fields by their json
// names, through nested structs, pointers, slices ("[]") and maps ("[*]").
// It returns the Go source of internal/spec/zz_fielddocs.go (the FieldDoc
// type and the FieldDocs table, gofmt-formatted) and the Markdown of
// docs/spec.md, whose defaults come from spec.Default (the compiled package,
// so typesSource must match it).
//
// A field without a json tag, an embedded field, a recursive type and a type
// the file format cannot hold (arrays, channels, functions, interfaces, types
// from other packages, maps with non-string keys) are errors. A field without
// a doc comment is not: it gets an empty Doc, which a test reports.
func Generate(typesSource []byte) (goFile []byte, markdown []byte, err error) {
	fields, err := parseFields(typesSource)
	if err != nil {
		return nil, nil, err
	}
	goFile, err = renderGo(fields)
	if err != nil {
		return nil, nil, err
	}
	markdown, err = renderMarkdown(fields)
	if err != nil {
		return nil, nil, err
	}
	return goFile, markdown, nil
}

// field is one field of the file as found in the source.
type field struct {
	path     string // e.g. spec.karpenter.nodePools[].architectures
	goType   string // the Go type as written, e.g. []string
	fileType string // the type as the file sees it, e.g. list of strings
	doc      string // the doc comment, paragraphs separated by blank lines
	// object reports that the value is a struct (directly or through a
	// pointer), whose fields follow.
	object bool
	// parent reports that fields follow below this one: it is an object, or
	// a list or map of objects.
	parent bool
}

type walker struct {
	fset   *token.FileSet
	types  map[string]*ast.TypeSpec
	fields []field
	active map[string]bool // types being walked, to refuse recursion
}

func parseFields(src []byte) ([]field, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "types.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	w := &walker{fset: fset, types: map[string]*ast.TypeSpec{}, active: map[string]bool{}}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			w.types[ts.Name.Name] = ts
		}
	}
	ts, ok := w.types[rootType]
	if !ok {
		return nil, fmt.Errorf("types.go: no type %s", rootType)
	}
	st, ok := ts.Type.(*ast.StructType)
	if !ok {
		return nil, w.errorf(ts, "%s is not a struct", rootType)
	}
	if err := w.walkStruct(rootType, st, ""); err != nil {
		return nil, err
	}
	return w.fields, nil
}

func (w *walker) errorf(n ast.Node, format string, args ...any) error {
	return fmt.Errorf("%s: %s", w.fset.Position(n.Pos()), fmt.Sprintf(format, args...))
}

// walkStruct adds the fields of struct type name, whose value stands at
// prefix, depth first in declaration order.
func (w *walker) walkStruct(name string, st *ast.StructType, prefix string) error {
	if w.active[name] {
		return w.errorf(st, "type %s contains itself; a file cannot hold a recursive type", name)
	}
	w.active[name] = true
	defer delete(w.active, name)
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			return w.errorf(f, "embedded field %s in %s: spec.Load does not flatten embedded structs; give it a name", types.ExprString(f.Type), name)
		}
		for _, id := range f.Names {
			if !id.IsExported() {
				continue
			}
			jsonName, err := w.jsonName(f, name, id.Name)
			if err != nil {
				return err
			}
			if jsonName == "" {
				continue
			}
			path := joinPath(prefix, jsonName)
			i := len(w.fields)
			w.fields = append(w.fields, field{
				path:   path,
				goType: types.ExprString(f.Type),
				doc:    docText(f, id.Name, jsonName),
			})
			t, err := w.visit(f.Type, path)
			if err != nil {
				return err
			}
			w.fields[i].fileType = t.name
			w.fields[i].object = t.object
			w.fields[i].parent = t.object || t.holdsObjects
		}
	}
	return nil
}

// jsonName returns the name of a field in the file, or "" for a field the
// file leaves out (json:"-").
func (w *walker) jsonName(f *ast.Field, typeName, goName string) (string, error) {
	if f.Tag == nil {
		return "", w.errorf(f, "field %s.%s has no json tag; spec.Load reads only tagged fields", typeName, goName)
	}
	tag, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return "", w.errorf(f.Tag, "field %s.%s: bad tag: %v", typeName, goName, err)
	}
	name, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
	switch name {
	case "-":
		return "", nil
	case "":
		return "", w.errorf(f, "field %s.%s has no json name; spec.Load reads only fields with one", typeName, goName)
	}
	return name, nil
}

// fileType describes a Go type as the environment file sees it.
type fileType struct {
	name         string // string, integer, boolean, number, object, list of ..., map of ...
	object       bool   // a struct, directly or through pointers
	holdsObjects bool   // a list or map whose values are (or hold) objects
}

var basicTypes = map[string]string{
	"string": "string", "bool": "boolean",
	"int": "integer", "int8": "integer", "int16": "integer", "int32": "integer", "int64": "integer",
	"uint": "integer", "uint8": "integer", "uint16": "integer", "uint32": "integer", "uint64": "integer",
	"float32": "number", "float64": "number",
}

// visit walks the type of a value standing at path, adding the fields of the
// structs it leads to.
func (w *walker) visit(expr ast.Expr, path string) (fileType, error) {
	switch t := expr.(type) {
	case *ast.Ident:
		if name, ok := basicTypes[t.Name]; ok {
			return fileType{name: name}, nil
		}
		ts, ok := w.types[t.Name]
		if !ok {
			return fileType{}, w.errorf(t, "type %s is neither a basic type nor declared in types.go", t.Name)
		}
		if st, ok := ts.Type.(*ast.StructType); ok {
			return fileType{name: "object", object: true}, w.walkStruct(t.Name, st, path)
		}
		if w.active[t.Name] {
			return fileType{}, w.errorf(t, "type %s is defined in terms of itself", t.Name)
		}
		w.active[t.Name] = true
		defer delete(w.active, t.Name)
		return w.visit(ts.Type, path)
	case *ast.ParenExpr:
		return w.visit(t.X, path)
	case *ast.StarExpr:
		return w.visit(t.X, path)
	case *ast.ArrayType:
		if t.Len != nil {
			return fileType{}, w.errorf(t, "arrays are not supported; use a slice")
		}
		elem, err := w.visit(t.Elt, path+"[]")
		return fileType{name: "list of " + plural(elem.name), holdsObjects: elem.object || elem.holdsObjects}, err
	case *ast.MapType:
		if k, ok := t.Key.(*ast.Ident); !ok || k.Name != "string" {
			return fileType{}, w.errorf(t, "map keys must be strings, not %s", types.ExprString(t.Key))
		}
		elem, err := w.visit(t.Value, path+"[*]")
		return fileType{name: "map of " + plural(elem.name), holdsObjects: elem.object || elem.holdsObjects}, err
	}
	return fileType{}, w.errorf(expr, "type %s cannot be written in the file", types.ExprString(expr))
}

func plural(name string) string {
	for _, p := range []string{"list of ", "map of "} {
		if rest, ok := strings.CutPrefix(name, p); ok {
			return strings.TrimSuffix(p, " of ") + "s of " + rest
		}
	}
	return name + "s"
}

// docText returns the doc comment of a field (or its line comment), with the
// lines of each paragraph joined and paragraphs separated by a blank line. A
// leading Go field name becomes the json name, since that is what the reader
// of the file sees: "VPCCIDR is ..." reads "vpcCIDR is ...".
func docText(f *ast.Field, goName, jsonName string) string {
	cg := f.Doc
	if cg == nil {
		cg = f.Comment
	}
	if cg == nil {
		return ""
	}
	var paras []string
	for _, p := range strings.Split(cg.Text(), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paras = append(paras, p)
		}
	}
	doc := strings.Join(paras, "\n\n")
	if rest, ok := strings.CutPrefix(doc, goName); ok {
		if r := []rune(rest); len(r) == 0 || !(unicode.IsLetter(r[0]) || unicode.IsDigit(r[0]) || r[0] == '_') {
			doc = jsonName + rest
		}
	}
	return doc
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

const goHeader = `// Code generated by hack/gen-spec-docs; DO NOT EDIT.

package spec

// FieldDoc documents one field of the environment file.
type FieldDoc struct {
	// Path is where the field stands in the file: json names joined by dots,
	// "[]" for any item of a list and "[*]" for any value of a map, e.g.
	// spec.karpenter.nodePools[].architectures.
	Path string
	// Type is the field's Go type as written in types.go, e.g. []string.
	Type string
	// Doc is the field's doc comment, its Go name replaced by the json name;
	// paragraphs are separated by a blank line.
	Doc string
}

// FieldDocs returns every field of the environment file, depth first, the
// fields of each struct in declaration order. It is generated from the doc
// comments in types.go by go generate ./internal/spec/...
func FieldDocs() []FieldDoc {
	return []FieldDoc{
`

func renderGo(fields []field) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(goHeader)
	for _, f := range fields {
		fmt.Fprintf(&b, "\t\t{Path: %s, Type: %s, Doc: %s},\n", strconv.Quote(f.path), strconv.Quote(f.goType), strconv.Quote(f.doc))
	}
	b.WriteString("\t}\n}\n")
	return format.Source(b.Bytes())
}
