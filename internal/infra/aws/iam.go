package aws

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/spec"
)

// iamResources returns the IAM side of the environment: a role per
// render.Roles entry, the customer-managed policies those roles use, the
// cluster's OIDC provider (when a role uses IRSA) and the Spot
// service-linked role. Every document comes from the renderer.
func iamResources(c *Cloud) []infra.Resource {
	var out []infra.Resource
	policies := map[string]bool{}
	irsa := false
	for _, r := range render.Roles(c.Env, c.Params()) {
		role := &roleResource{c: c, api: c.C.IAM, key: r.Key, name: r.Name}
		for _, p := range r.Policies {
			role.policies = append(role.policies, p.Name)
			if !policies[p.Name] {
				policies[p.Name] = true
				out = append(out, &policyResource{c: c, api: c.C.IAM, name: p.Name, roleKey: r.Key})
			}
		}
		if r.ServiceAccount != nil && r.ServiceAccount.Credentials == placement.CredIRSA {
			role.irsa, irsa = true, true
		}
		out = append(out, role)
	}
	if irsa {
		out = append(out, &oidcResource{c: c, api: c.C.IAM})
	}
	out = append(out, &spotSLRResource{c: c, api: c.C.IAM})
	return out
}

// iamTags converts tags for IAM, sorted by key.
func iamTags(m map[string]string) []iamtypes.Tag {
	out := make([]iamtypes.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, iamtypes.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}

// fromIAMTags converts IAM tags to a map.
func fromIAMTags(ts []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m
}

func sortedTagKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// notOwnedMessage is the Foreign text of a named resource without the
// owner tag: "an IAM role named X exists and is not tagged ...".
func (c *Cloud) notOwnedMessage(kind, name string) string {
	return c.notTaggedMessage(kind + " named " + name)
}

// notTaggedMessage is the Foreign text of what, found without the owner tag.
func (c *Cloud) notTaggedMessage(what string) string {
	return fmt.Sprintf("%s exists and is not tagged %s=%s", what, spec.OwnerTagKey, c.Env.Metadata.Name)
}

// tagsChange describes missing tags as a Change ("" when none are missing).
func tagsChange(missing map[string]string) string {
	if len(missing) == 0 {
		return ""
	}
	return "tags differ: " + strings.Join(sortedTagKeys(missing), ", ")
}

// decodeDocument parses a policy document as AWS returns it: IAM sends it
// URL-encoded (RFC 3986), SQS, S3 and EventBridge as plain JSON.
func decodeDocument(s string) (any, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v, nil
	}
	dec, err := url.PathUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("policy document is neither JSON nor URL-encoded JSON: %w", err)
	}
	if err := json.Unmarshal([]byte(dec), &v); err != nil {
		return nil, fmt.Errorf("parse policy document: %w", err)
	}
	return v, nil
}

// sameDocument reports whether two JSON documents (IAM policies, event
// patterns) mean the same: IAM's string-or-list values compare alike, lists
// of strings compare as sets, objects regardless of key order. An
// unparsable live document is different.
func sameDocument(live string, want []byte) bool {
	a, err := decodeDocument(live)
	if err != nil {
		return false
	}
	var b any
	if err := json.Unmarshal(want, &b); err != nil {
		return false
	}
	return reflect.DeepEqual(normalizeDoc(a), normalizeDoc(b))
}

// normalizeDoc wraps every non-list value in a one-element list and sorts
// (and deduplicates) lists whose items are all scalars, so that "x" equals
// ["x"] and ["b","a"] equals ["a","b"]. Lists of objects (statements) keep
// their order.
func normalizeDoc(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = normalizeDoc(x)
		}
		return []any{m}
	case []any:
		out := make([]any, 0, len(t))
		scalars := true
		for _, x := range t {
			n := normalizeDoc(x).([]any)
			if len(n) == 1 {
				if _, isMap := n[0].(map[string]any); isMap {
					scalars = false
				}
				out = append(out, n[0])
			} else {
				scalars = false
				out = append(out, n)
			}
		}
		if scalars {
			seen := map[string]bool{}
			var uniq []any
			for _, x := range out {
				k := fmt.Sprintf("%T:%v", x, x)
				if !seen[k] {
					seen[k] = true
					uniq = append(uniq, x)
				}
			}
			sort.Slice(uniq, func(i, j int) bool { return fmt.Sprintf("%v", uniq[i]) < fmt.Sprintf("%v", uniq[j]) })
			out = uniq
		}
		return out
	default:
		return []any{t}
	}
}
