package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// principalARN matches an IAM role or user ARN: account, kind, path/name.
var principalARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::(\d{12}):(role|user)/([\w+=,.@/-]+)$`)

// accessPolicyPrefix is the ARN prefix of EKS access policies.
const accessPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// accessPolicies are the EKS access policies ListAccessPolicies reports and
// AssociateAccessPolicy accepts.
var accessPolicies = []string{
	"AmazonEKSAdminPolicy",
	"AmazonEKSAdminViewPolicy",
	"AmazonEKSAutoNodePolicy",
	"AmazonEKSBlockStoragePolicy",
	"AmazonEKSClusterAdminPolicy",
	"AmazonEKSComputePolicy",
	"AmazonEKSEditPolicy",
	"AmazonEKSLoadBalancingPolicy",
	"AmazonEKSNetworkingPolicy",
	"AmazonEKSViewPolicy",
}

// accessEntryTypes are the types EKS accepts; only STANDARD takes
// Kubernetes groups, a username and access policies.
var accessEntryTypes = []string{"STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX", "EC2"}

// entryRec is an EKS access entry, which moto does not have.
type entryRec struct {
	principal, arn, typ, username string
	groups                        []string
	tags                          map[string]string
	created, modified             time.Time
	policies                      map[string]*policyRec // by policy ARN
}

// policyRec is an access policy associated with an entry.
type policyRec struct {
	arn, scope           string
	namespaces           []string
	associated, modified time.Time
}

func (c *clusterRec) entryJSON(e *entryRec) map[string]any {
	return map[string]any{
		"clusterName":      c.name,
		"principalArn":     e.principal,
		"kubernetesGroups": nonNil(e.groups),
		"accessEntryArn":   e.arn,
		"createdAt":        epoch(e.created),
		"modifiedAt":       epoch(e.modified),
		"tags":             e.tags,
		"username":         e.username,
		"type":             e.typ,
	}
}

func (pr *policyRec) json() map[string]any {
	scope := map[string]any{"type": pr.scope}
	if pr.scope == "namespace" {
		scope["namespaces"] = pr.namespaces
	}
	return map[string]any{"policyArn": pr.arn, "accessScope": scope,
		"associatedAt": epoch(pr.associated), "modifiedAt": epoch(pr.modified)}
}

// accessCluster returns the cluster of an access-entry request, refusing a
// cluster whose authentication mode does not allow access entries.
func (p *proxy) accessCluster(q *eksReq, live bool) (*clusterRec, error) {
	name := q.labels["clusterName"]
	var c *clusterRec
	var err error
	if live {
		c, err = p.liveCluster(q, name, false)
	} else {
		c, err = p.existingCluster(q, name)
	}
	if err != nil {
		return nil, err
	}
	if c.authMode != authAPI && c.authMode != authAPIConfigMap {
		return nil, errInvalidRequest("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.").with("clusterName", name)
	}
	return c, nil
}

// entry finds the access entry of the request's labels.
func (p *proxy) entry(q *eksReq) (*clusterRec, *entryRec, error) {
	c, err := p.accessCluster(q, false)
	if err != nil {
		return nil, nil, err
	}
	e := c.entries[q.labels["principalArn"]]
	if e == nil {
		return nil, nil, errNotFound("The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.").with("clusterName", c.name)
	}
	return c, e, nil
}

// checkEntryKubernetes validates groups and username for an entry type.
func checkEntryKubernetes(typ string, groups []string, username string) error {
	if typ != "STANDARD" {
		if len(groups) > 0 {
			return errInvalidParam(fmt.Sprintf("Kubernetes groups cannot be specified for an access entry of type %s", typ))
		}
		if username != "" {
			return errInvalidParam(fmt.Sprintf("A username cannot be specified for an access entry of type %s", typ))
		}
	}
	for _, g := range groups {
		if strings.HasPrefix(g, "system:") {
			return errInvalidParam(fmt.Sprintf("Kubernetes group %s is invalid: groups cannot start with system:", g))
		}
	}
	if strings.HasPrefix(username, "system:") || strings.HasPrefix(username, "eks:") || strings.HasPrefix(username, "aws:") || strings.HasPrefix(username, "amazon:") {
		return errInvalidParam(fmt.Sprintf("Username %s is invalid: it cannot start with system:, eks:, aws: or amazon:", username))
	}
	return nil
}

// defaultUsername is the Kubernetes username EKS gives an entry.
func defaultUsername(typ, principal string) string {
	m := principalARN.FindStringSubmatch(principal)
	switch typ {
	case "EC2_LINUX", "EC2_WINDOWS", "EC2":
		return "system:node:{{EC2PrivateDNSName}}"
	case "FARGATE_LINUX", "HYBRID_LINUX":
		return "system:node:{{SessionName}}"
	}
	if m != nil && m[2] == "role" {
		name := m[3][strings.LastIndex(m[3], "/")+1:]
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/{{SessionName}}", m[1], name)
	}
	return principal
}

// newEntry validates and records an access entry.
func (p *proxy) newEntry(q *eksReq, c *clusterRec, principal, typ, username string, groups []string, tags map[string]string) (*entryRec, error) {
	if typ == "" {
		typ = "STANDARD"
	}
	m := principalARN.FindStringSubmatch(principal)
	switch {
	case m == nil:
		return nil, errInvalidParam(fmt.Sprintf("The specified principalArn is invalid: %q is not an IAM role or user ARN", principal))
	case !slices.Contains(accessEntryTypes, typ):
		return nil, errInvalidParam(fmt.Sprintf("The access entry type %s is not supported; use one of %v", typ, accessEntryTypes))
	case typ != "STANDARD" && m[2] != "role":
		return nil, errInvalidParam(fmt.Sprintf("An access entry of type %s needs an IAM role as principal", typ))
	case c.entries[principal] != nil:
		return nil, errInUse("The specified access entry resource is already in use on this cluster.").with("clusterName", c.name)
	}
	if err := checkEntryKubernetes(typ, groups, username); err != nil {
		return nil, err
	}
	if username == "" {
		username = defaultUsername(typ, principal)
	}
	e := &entryRec{
		principal: principal, typ: typ, username: username, groups: slices.Clone(groups),
		tags: cloneTags(tags), created: q.now, modified: q.now, policies: map[string]*policyRec{},
		arn: fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s/%s/%s/%s", q.region, p.accountID, c.name,
			m[2], m[1], m[3][strings.LastIndex(m[3], "/")+1:], uuid()),
	}
	c.entries[principal] = e
	return e, nil
}

// bootstrapCreator gives the cluster's creator an access entry with the
// cluster-admin policy, as EKS does when bootstrapClusterCreatorAdminPermissions
// is true (the default) and the mode allows access entries.
func (p *proxy) bootstrapCreator(q *eksReq, c *clusterRec) {
	principal := p.callerPrincipal(q)
	if principal == "" {
		return
	}
	e, err := p.newEntry(q, c, principal, "STANDARD", "", nil, nil)
	if err != nil {
		p.logf("sandbox: creator access entry for %s: %v", principal, err)
		return
	}
	arn := accessPolicyPrefix + "AmazonEKSClusterAdminPolicy"
	e.policies[arn] = &policyRec{arn: arn, scope: "cluster", associated: q.now, modified: q.now}
}

// callerPrincipal asks moto's STS who signed q and turns the answer into the
// IAM principal an access entry names ("" if it cannot tell).
func (p *proxy) callerPrincipal(q *eksReq) string {
	r := q.r.Clone(q.ctx)
	r.Header = http.Header{}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/sts/aws4_request, SignedHeaders=host, Signature=0",
		q.accessKey, q.now.UTC().Format("20060102"), q.region))
	m, err := p.motoDo(q.ctx, r, http.MethodPost, "/", "", "", []byte("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil || !m.ok() {
		p.logf("sandbox: GetCallerIdentity for the creator's access entry failed: %v", err)
		return ""
	}
	s := string(m.body)
	i, j := strings.Index(s, "<Arn>"), strings.Index(s, "</Arn>")
	if i < 0 || j < i {
		return ""
	}
	arn := s[i+len("<Arn>") : j]
	if rest, ok := strings.CutPrefix(arn, "arn:aws:sts::"); ok { // assumed-role/NAME/SESSION or moto's user/NAME
		acct, res, _ := strings.Cut(rest, ":")
		if role, ok := strings.CutPrefix(res, "assumed-role/"); ok {
			name, _, _ := strings.Cut(role, "/")
			return fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name)
		}
		arn = "arn:aws:iam::" + rest
	}
	if !principalARN.MatchString(arn) {
		return ""
	}
	return arn
}

func (p *proxy) eksCreateAccessEntry(w http.ResponseWriter, q *eksReq) {
	var in struct {
		PrincipalArn     string            `json:"principalArn"`
		KubernetesGroups []string          `json:"kubernetesGroups"`
		Tags             map[string]string `json:"tags"`
		Username         string            `json:"username"`
		Type             string            `json:"type"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	var e *entryRec
	if err == nil {
		c, err = p.accessCluster(q, true)
	}
	if err == nil {
		e, err = p.newEntry(q, c, in.PrincipalArn, in.Type, in.Username, in.KubernetesGroups, in.Tags)
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	p.reply(w, q, map[string]any{"accessEntry": c.entryJSON(e)}, nil)
}

func (p *proxy) eksDescribeAccessEntry(w http.ResponseWriter, q *eksReq) {
	c, e, err := p.entry(q)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	p.reply(w, q, map[string]any{"accessEntry": c.entryJSON(e)}, nil)
}

func (p *proxy) eksListAccessEntries(w http.ResponseWriter, q *eksReq) {
	c, err := p.accessCluster(q, false)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	policy := q.query.Get("associatedPolicyArn")
	names := []string{}
	for arn, e := range c.entries {
		if policy == "" || e.policies[policy] != nil {
			names = append(names, arn)
		}
	}
	names, next, err := page(names, q, 100)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	out := map[string]any{"accessEntries": names}
	if next != "" {
		out["nextToken"] = next
	}
	p.reply(w, q, out, nil)
}

func (p *proxy) eksUpdateAccessEntry(w http.ResponseWriter, q *eksReq) {
	var in struct {
		KubernetesGroups *[]string `json:"kubernetesGroups"`
		Username         *string   `json:"username"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	var e *entryRec
	if err == nil {
		c, e, err = p.entry(q)
	}
	if err == nil {
		groups, username := e.groups, ""
		if in.KubernetesGroups != nil {
			groups = *in.KubernetesGroups
		}
		if in.Username != nil {
			username = *in.Username
		}
		err = checkEntryKubernetes(e.typ, groups, username)
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	if in.KubernetesGroups != nil {
		e.groups = slices.Clone(*in.KubernetesGroups)
	}
	if in.Username != nil {
		e.username = *in.Username
		if e.username == "" {
			e.username = defaultUsername(e.typ, e.principal)
		}
	}
	e.modified = q.now
	p.reply(w, q, map[string]any{"accessEntry": c.entryJSON(e)}, nil)
}

func (p *proxy) eksDeleteAccessEntry(w http.ResponseWriter, q *eksReq) {
	c, e, err := p.entry(q)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	delete(c.entries, e.principal)
	p.reply(w, q, map[string]any{}, nil)
}

func (p *proxy) eksAssociateAccessPolicy(w http.ResponseWriter, q *eksReq) {
	var in struct {
		PolicyArn   string `json:"policyArn"`
		AccessScope *struct {
			Type       string   `json:"type"`
			Namespaces []string `json:"namespaces"`
		} `json:"accessScope"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	var e *entryRec
	if err == nil {
		c, e, err = p.entry(q)
	}
	switch {
	case err != nil:
	case e.typ != "STANDARD":
		err = errInvalidRequest(fmt.Sprintf("Access policies can only be associated with access entries of type STANDARD; %s is %s", e.principal, e.typ))
	case !strings.HasPrefix(in.PolicyArn, accessPolicyPrefix) || !slices.Contains(accessPolicies, strings.TrimPrefix(in.PolicyArn, accessPolicyPrefix)):
		err = errInvalidParam(fmt.Sprintf("The specified policyArn %q is not a valid EKS access policy ARN", in.PolicyArn))
	case in.AccessScope == nil || (in.AccessScope.Type != "cluster" && in.AccessScope.Type != "namespace"):
		err = errInvalidParam("accessScope.type must be cluster or namespace")
	case in.AccessScope.Type == "cluster" && len(in.AccessScope.Namespaces) > 0:
		err = errInvalidParam("Namespaces cannot be specified with an access scope of type cluster")
	case in.AccessScope.Type == "namespace" && len(in.AccessScope.Namespaces) == 0:
		err = errInvalidParam("Namespaces must be specified with an access scope of type namespace")
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	pr := e.policies[in.PolicyArn]
	if pr == nil {
		pr = &policyRec{arn: in.PolicyArn, associated: q.now}
		e.policies[in.PolicyArn] = pr
	}
	pr.scope, pr.namespaces, pr.modified = in.AccessScope.Type, slices.Clone(in.AccessScope.Namespaces), q.now
	p.reply(w, q, map[string]any{"clusterName": c.name, "principalArn": e.principal, "associatedAccessPolicy": pr.json()}, nil)
}

func (p *proxy) eksDisassociateAccessPolicy(w http.ResponseWriter, q *eksReq) {
	_, e, err := p.entry(q)
	if err == nil && e.policies[q.labels["policyArn"]] == nil {
		err = errNotFound(fmt.Sprintf("The specified policyArn %s is not associated with access entry %s", q.labels["policyArn"], e.principal))
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	delete(e.policies, q.labels["policyArn"])
	p.reply(w, q, map[string]any{}, nil)
}

func (p *proxy) eksListAssociatedAccessPolicies(w http.ResponseWriter, q *eksReq) {
	c, e, err := p.entry(q)
	var arns []string
	next := ""
	if err == nil {
		arns, next, err = page(sortedKeys(e.policies), q, 100)
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	list := []map[string]any{}
	for _, a := range arns {
		list = append(list, e.policies[a].json())
	}
	out := map[string]any{"clusterName": c.name, "principalArn": e.principal, "associatedAccessPolicies": list}
	if next != "" {
		out["nextToken"] = next
	}
	p.reply(w, q, out, nil)
}

func (p *proxy) eksListAccessPolicies(w http.ResponseWriter, q *eksReq) {
	list := []map[string]string{}
	for _, n := range accessPolicies {
		list = append(list, map[string]string{"name": n, "arn": accessPolicyPrefix + n})
	}
	p.reply(w, q, map[string]any{"accessPolicies": list}, nil)
}
