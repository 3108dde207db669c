// Package specdoc documents the eksenv environment file from one source: the
// doc comments of the types in internal/spec/types.go.
//
// Generate reads types.go and produces two files that are checked in:
// internal/spec/zz_fielddocs.go, which compiles the comments into package spec
// as the FieldDocs table, and docs/spec.md, the Markdown reference with every
// field's path, type and default. Run
//
//	go generate ./internal/spec/...
//
// after changing types.go or the defaults; a test fails while either file is
// stale.
//
// InitFile writes the commented eksenv.yaml of an environment, with every
// field, its value and its doc comment; eksenv init uses it. It reads the
// comments from spec.FieldDocs, so it needs no source files at run time.
//
// Field paths use the json names of the fields, joined by dots; "[]" stands
// for any item of a list and "[*]" for any value of a map, as in
// spec.karpenter.nodePools[].architectures.
package specdoc

//go:generate go run github.com/eksenv/eksenv/hack/gen-spec-docs
