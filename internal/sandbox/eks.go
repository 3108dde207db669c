package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// eksReq is one EKS request being answered, with the clock and latency
// profile read once for it.
type eksReq struct {
	*call
	r   *http.Request
	ctx context.Context
	now time.Time
	lat Latency
}

// eksOp answers one EKS operation; it runs with stateMu held.
type eksOp func(w http.ResponseWriter, q *eksReq)

// motoEKSOps are the EKS operations moto routes itself.
var motoEKSOps = map[string]bool{
	"CreateCluster": true, "DescribeCluster": true, "DeleteCluster": true, "ListClusters": true,
	"CreateFargateProfile": true, "DescribeFargateProfile": true, "DeleteFargateProfile": true, "ListFargateProfiles": true,
	"CreateNodegroup": true, "DescribeNodegroup": true, "DeleteNodegroup": true, "ListNodegroups": true,
	"UpdateNodegroupConfig": true, "UpdateClusterConfig": true,
	"TagResource": true, "UntagResource": true, "ListTagsForResource": true,
}

// eksHandler returns the handler for an EKS call: the proxy's own for the
// operations it emulates or amends, nil to forward the others moto serves,
// and a clear error for those neither does.
func (p *proxy) eksHandler(c *call) handlerFunc {
	op, ok := p.eksOps[c.operation]
	if !ok {
		if motoEKSOps[c.operation] {
			return nil
		}
		return func(w http.ResponseWriter, r *http.Request, c *call) {
			writeRESTJSONError(w, http.StatusBadRequest, "SandboxNotImplemented",
				fmt.Sprintf("sandbox: EKS %s is implemented neither by moto nor by the sandbox proxy", c.operation), nil)
		}
	}
	return func(w http.ResponseWriter, r *http.Request, c *call) {
		p.stateMu.Lock()
		defer p.stateMu.Unlock()
		q := &eksReq{call: c, r: r, ctx: r.Context(), now: p.now(), lat: p.getLatency()}
		p.sweep(q.now, q.lat)
		op(w, q)
	}
}

// eksOperations maps the EKS operations the proxy answers or amends to
// their handlers.
func (p *proxy) eksOperations() map[string]eksOp {
	return map[string]eksOp{
		"CreateCluster":          p.eksCreateCluster,
		"DescribeCluster":        p.eksDescribeCluster,
		"DeleteCluster":          p.eksDeleteCluster,
		"ListClusters":           p.eksListClusters,
		"UpdateClusterConfig":    p.eksUpdateClusterConfig,
		"DescribeUpdate":         p.eksDescribeUpdate,
		"ListUpdates":            p.eksListUpdates,
		"CreateFargateProfile":   p.eksCreateFargateProfile,
		"DescribeFargateProfile": p.eksDescribeFargateProfile,
		"DeleteFargateProfile":   p.eksDeleteFargateProfile,
		"ListFargateProfiles":    p.eksListFargateProfiles,
		"CreateNodegroup":        p.eksCreateNodegroup,
		"TagResource":            p.eksTags,
		"UntagResource":          p.eksTags,
		"ListTagsForResource":    p.eksTags,

		"CreatePodIdentityAssociation":   p.eksCreatePodIdentityAssociation,
		"DescribePodIdentityAssociation": p.eksDescribePodIdentityAssociation,
		"ListPodIdentityAssociations":    p.eksListPodIdentityAssociations,
		"UpdatePodIdentityAssociation":   p.eksUpdatePodIdentityAssociation,
		"DeletePodIdentityAssociation":   p.eksDeletePodIdentityAssociation,

		"CreateAccessEntry":            p.eksCreateAccessEntry,
		"DescribeAccessEntry":          p.eksDescribeAccessEntry,
		"ListAccessEntries":            p.eksListAccessEntries,
		"UpdateAccessEntry":            p.eksUpdateAccessEntry,
		"DeleteAccessEntry":            p.eksDeleteAccessEntry,
		"AssociateAccessPolicy":        p.eksAssociateAccessPolicy,
		"DisassociateAccessPolicy":     p.eksDisassociateAccessPolicy,
		"ListAssociatedAccessPolicies": p.eksListAssociatedAccessPolicies,
		"ListAccessPolicies":           p.eksListAccessPolicies,

		"CreateAddon":                p.eksCreateAddon,
		"DescribeAddon":              p.eksDescribeAddon,
		"ListAddons":                 p.eksListAddons,
		"UpdateAddon":                p.eksUpdateAddon,
		"DeleteAddon":                p.eksDeleteAddon,
		"DescribeAddonVersions":      p.eksDescribeAddonVersions,
		"DescribeAddonConfiguration": p.eksDescribeAddonConfiguration,
	}
}

// eksError is an EKS error reply.
type eksError struct {
	status int
	code   string
	msg    string
	extra  map[string]string // clusterName, addonName, ... members of the error shape
}

func (e *eksError) Error() string { return e.code + ": " + e.msg }

func errNotFound(msg string) *eksError {
	return &eksError{status: http.StatusNotFound, code: "ResourceNotFoundException", msg: msg}
}

func errInUse(msg string) *eksError {
	return &eksError{status: http.StatusConflict, code: "ResourceInUseException", msg: msg}
}

func errInvalidParam(msg string) *eksError {
	return &eksError{status: http.StatusBadRequest, code: "InvalidParameterException", msg: msg}
}

func errInvalidRequest(msg string) *eksError {
	return &eksError{status: http.StatusBadRequest, code: "InvalidRequestException", msg: msg}
}

// with adds members to the error body.
func (e *eksError) with(kv ...string) *eksError {
	if e.extra == nil {
		e.extra = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		e.extra[kv[i]] = kv[i+1]
	}
	return e
}

// reply writes v as a 200 JSON reply, or err as an EKS error.
func (p *proxy) reply(w http.ResponseWriter, q *eksReq, v any, err error) {
	if err != nil {
		var ee *eksError
		if errors.As(err, &ee) {
			writeRESTJSONError(w, ee.status, ee.code, ee.msg, ee.extra)
			return
		}
		p.badGateway(w, q.call, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// epoch renders t as EKS does: seconds since the epoch, a JSON number.
func epoch(t time.Time) json.Number {
	return json.Number(strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64))
}

// decodeBody decodes the request's JSON body into v; an empty body is {}.
func decodeBody(q *eksReq, v any) error {
	if len(bytes.TrimSpace(q.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(q.body, v); err != nil {
		return errInvalidParam("The request body is not valid JSON: " + err.Error())
	}
	return nil
}

// decodeObject decodes the member name of a moto JSON reply.
func decodeObject(body []byte, name string) (map[string]any, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("sandbox: moto's reply is not JSON: %w", err)
	}
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(top[name]))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("sandbox: moto's reply has no %q: %w", name, err)
	}
	return obj, nil
}

// page returns the slice of sorted names for maxResults/nextToken, and the
// next token (the first name of the next page).
func page(names []string, q *eksReq, limit int) ([]string, string, error) {
	slices.Sort(names)
	if v := q.query.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > limit {
			return nil, "", errInvalidParam(fmt.Sprintf("maxResults must be between 1 and %d", limit))
		}
		limit = n
	}
	start := 0
	if tok := q.query.Get("nextToken"); tok != "" {
		start = slices.Index(names, tok)
		if start < 0 {
			return nil, "", errInvalidParam("The nextToken is not valid")
		}
	}
	end := min(start+limit, len(names))
	next := ""
	if end < len(names) {
		next = names[end]
	}
	return names[start:end], next, nil
}

// randomID returns n random characters of [a-z0-9].
func randomID(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rand.IntN(len(chars))]
	}
	return string(b)
}

// uuid returns a random UUID-shaped string.
func uuid() string { return requestID() }

// escapePath escapes each segment of a path built from names.
func escapePath(segs ...string) (path, rawPath string) {
	for _, s := range segs {
		path += "/" + s
		rawPath += "/" + url.PathEscape(s)
	}
	return path, rawPath
}

// forwardObject forwards q to moto and decodes the named object of a
// successful reply; on failure it has answered w already.
func (p *proxy) forwardObject(w http.ResponseWriter, q *eksReq, name string) (map[string]any, bool) {
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return nil, false
	}
	if !m.ok() {
		relay(w, m, m.body)
		return nil, false
	}
	obj, err := decodeObject(m.body, name)
	if err != nil {
		p.badGateway(w, q.call, err)
		return nil, false
	}
	return obj, true
}
