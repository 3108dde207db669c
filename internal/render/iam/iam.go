// Package iam builds the IAM documents of an environment as pure functions.
//
// Every document is a typed [Document] whose JSON is deterministic: fields
// come out in IAM's usual order (Version, Id, Statement; Sid, Effect,
// Principal, Action, NotAction, Resource, Condition), statements keep the
// order in which they are written here, action and resource lists keep
// their order, and condition operators and keys are sorted (encoding/json
// sorts map keys).
//
// A [Value] is IAM's string-or-list: it remembers whether it was written as
// a single string ([String]) or as a list ([List]), so that documents copied
// from an upstream source marshal in the same shape as that source. IAM
// accepts both shapes and treats them alike.
//
// The functions take the values they need in [Params] (or a partition
// string) and insert them as given: offline callers may pass placeholders
// such as "${AWS_ACCOUNT_ID}" for values that are unknown before the account
// is known. Nothing here talks to AWS.
package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Version2012 is the current IAM policy language version.
const Version2012 = "2012-10-17"

// Effects of a statement.
const (
	Allow = "Allow"
	Deny  = "Deny"
)

// Document is an IAM policy document (identity policy, trust policy or
// resource policy).
type Document struct {
	Version   string      `json:"Version"`
	Id        string      `json:"Id,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a [Document].
type Statement struct {
	Sid       string    `json:"Sid,omitempty"`
	Effect    string    `json:"Effect"`
	Principal Principal `json:"Principal,omitzero"`
	Action    Value     `json:"Action,omitzero"`
	NotAction Value     `json:"NotAction,omitzero"`
	Resource  Value     `json:"Resource,omitzero"`
	Condition Condition `json:"Condition,omitempty"`
}

// Condition maps a condition operator (StringEquals, ArnLike, Bool, ...) to
// its condition keys and their values. Operators and keys marshal sorted.
type Condition map[string]map[string]Value

// Principal is the Principal element of a resource or trust policy. Any
// marshals as "*"; otherwise the non-empty fields marshal as an object in the
// order AWS, Federated, Service.
type Principal struct {
	Any       bool
	AWS       Value
	Federated Value
	Service   Value
}

// IsZero reports whether p names no principal (the element is then omitted).
func (p Principal) IsZero() bool {
	return !p.Any && p.AWS.IsZero() && p.Federated.IsZero() && p.Service.IsZero()
}

type principalObject struct {
	AWS       Value `json:"AWS,omitzero"`
	Federated Value `json:"Federated,omitzero"`
	Service   Value `json:"Service,omitzero"`
}

// MarshalJSON implements json.Marshaler.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Any {
		if !p.AWS.IsZero() || !p.Federated.IsZero() || !p.Service.IsZero() {
			return nil, fmt.Errorf("iam: principal \"*\" cannot also name AWS, Federated or Service principals")
		}
		return []byte(`"*"`), nil
	}
	return marshal(principalObject{AWS: p.AWS, Federated: p.Federated, Service: p.Service})
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "*" {
			return fmt.Errorf("iam: principal string must be \"*\", got %q", s)
		}
		*p = Principal{Any: true}
		return nil
	}
	var o principalObject
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return fmt.Errorf("iam: principal: %w", err)
	}
	*p = Principal{AWS: o.AWS, Federated: o.Federated, Service: o.Service}
	return nil
}

// Value is an IAM string-or-list value (Action, Resource, a principal, a
// condition value). Build it with [String] or [List]; the zero Value is
// empty and is omitted from a statement.
type Value struct {
	items []string
	list  bool
}

// String returns a Value holding one string, marshalled as a JSON string.
func String(s string) Value { return Value{items: []string{s}} }

// List returns a Value marshalled as a JSON list, even with one item.
func List(items ...string) Value { return Value{items: slices.Clone(items), list: true} }

// Items returns a copy of the strings in v.
func (v Value) Items() []string { return slices.Clone(v.items) }

// IsList reports whether v marshals as a list.
func (v Value) IsList() bool { return v.list || len(v.items) != 1 }

// Contains reports whether s is one of the strings in v.
func (v Value) Contains(s string) bool { return slices.Contains(v.items, s) }

// IsZero reports whether v holds no strings.
func (v Value) IsZero() bool { return len(v.items) == 0 }

// MarshalJSON implements json.Marshaler.
func (v Value) MarshalJSON() ([]byte, error) {
	if !v.IsList() {
		return marshal(v.items[0])
	}
	if v.items == nil {
		return []byte("[]"), nil
	}
	return marshal(v.items)
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Value) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = String(s)
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("iam: want a string or a list of strings: %w", err)
	}
	*v = List(l...)
	return nil
}

// JSON returns d as indented JSON (four spaces, as in the upstream policy
// files) with a trailing newline. The same document always gives the same
// bytes.
func (d Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so that ARNs and
// placeholders come out as written.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
