package sandbox

import (
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// roleARN matches an IAM role ARN.
var roleARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)

// assocRec is an EKS Pod Identity association, which moto does not have.
type assocRec struct {
	id, arn, namespace, sa, roleArn, targetRoleArn, externalID, policy, ownerArn string
	disableSessionTags                                                           bool
	tags                                                                         map[string]string
	created, modified                                                            time.Time
}

// findAssoc returns the cluster's association for namespace/sa, or nil.
func (c *clusterRec) findAssoc(namespace, sa string) *assocRec {
	for _, a := range c.assocs {
		if a.namespace == namespace && a.sa == sa {
			return a
		}
	}
	return nil
}

// newAssoc creates and records an association.
func (p *proxy) newAssoc(q *eksReq, c *clusterRec, namespace, sa, role string, tags map[string]string) *assocRec {
	id := "a-" + randomID(17)
	a := &assocRec{
		id: id, namespace: namespace, sa: sa, roleArn: role, tags: cloneTags(tags),
		arn:     fmt.Sprintf("arn:aws:eks:%s:%s:podidentityassociation/%s/%s", q.region, p.accountID, c.name, id),
		created: q.now, modified: q.now,
	}
	c.assocs[id] = a
	return a
}

// assocJSON renders the PodIdentityAssociation shape.
func (c *clusterRec) assocJSON(a *assocRec) map[string]any {
	out := map[string]any{
		"clusterName":        c.name,
		"namespace":          a.namespace,
		"serviceAccount":     a.sa,
		"roleArn":            a.roleArn,
		"associationArn":     a.arn,
		"associationId":      a.id,
		"tags":               a.tags,
		"createdAt":          epoch(a.created),
		"modifiedAt":         epoch(a.modified),
		"disableSessionTags": a.disableSessionTags,
	}
	if a.ownerArn != "" {
		out["ownerArn"] = a.ownerArn
	}
	if a.targetRoleArn != "" {
		out["targetRoleArn"] = a.targetRoleArn
		out["externalId"] = a.externalID
	}
	if a.policy != "" {
		out["policy"] = a.policy
	}
	return out
}

func (p *proxy) eksCreatePodIdentityAssociation(w http.ResponseWriter, q *eksReq) {
	var in struct {
		Namespace          string            `json:"namespace"`
		ServiceAccount     string            `json:"serviceAccount"`
		RoleArn            string            `json:"roleArn"`
		Tags               map[string]string `json:"tags"`
		DisableSessionTags *bool             `json:"disableSessionTags"`
		TargetRoleArn      string            `json:"targetRoleArn"`
		Policy             string            `json:"policy"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	if err == nil {
		c, err = p.liveCluster(q, q.labels["clusterName"], false)
	}
	switch {
	case err != nil:
	case in.Namespace == "" || in.ServiceAccount == "" || in.RoleArn == "":
		err = errInvalidParam("namespace, serviceAccount and roleArn are required")
	case !roleARN.MatchString(in.RoleArn):
		err = errInvalidParam(fmt.Sprintf("Role ARN %q is not a valid IAM role ARN", in.RoleArn))
	case in.TargetRoleArn != "" && !roleARN.MatchString(in.TargetRoleArn):
		err = errInvalidParam(fmt.Sprintf("Target role ARN %q is not a valid IAM role ARN", in.TargetRoleArn))
	default:
		if old := c.findAssoc(in.Namespace, in.ServiceAccount); old != nil {
			err = errInUse(fmt.Sprintf("Association already exists: %s", old.arn)).with("clusterName", c.name)
		}
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	a := p.newAssoc(q, c, in.Namespace, in.ServiceAccount, in.RoleArn, in.Tags)
	if in.DisableSessionTags != nil {
		a.disableSessionTags = *in.DisableSessionTags
	}
	a.targetRoleArn, a.policy = in.TargetRoleArn, in.Policy
	if a.targetRoleArn != "" {
		a.externalID = uuid()
	}
	p.reply(w, q, map[string]any{"association": c.assocJSON(a)}, nil)
}

// association finds the association of the request's labels.
func (p *proxy) association(q *eksReq) (*clusterRec, *assocRec, error) {
	c, err := p.existingCluster(q, q.labels["clusterName"])
	if err != nil {
		return nil, nil, err
	}
	id := q.labels["associationId"]
	a := c.assocs[id]
	if a == nil {
		return nil, nil, errNotFound(fmt.Sprintf("No Pod Identity Association found for id: %s", id)).with("clusterName", c.name)
	}
	return c, a, nil
}

func (p *proxy) eksDescribePodIdentityAssociation(w http.ResponseWriter, q *eksReq) {
	c, a, err := p.association(q)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	p.reply(w, q, map[string]any{"association": c.assocJSON(a)}, nil)
}

func (p *proxy) eksListPodIdentityAssociations(w http.ResponseWriter, q *eksReq) {
	c, err := p.existingCluster(q, q.labels["clusterName"])
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	ns, sa := q.query.Get("namespace"), q.query.Get("serviceAccount")
	ids := []string{}
	for id, a := range c.assocs {
		if (ns == "" || a.namespace == ns) && (sa == "" || a.sa == sa) {
			ids = append(ids, id)
		}
	}
	ids, next, err := page(ids, q, 200)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	list := []map[string]any{}
	for _, id := range ids {
		a := c.assocs[id]
		s := map[string]any{
			"clusterName": c.name, "namespace": a.namespace, "serviceAccount": a.sa,
			"associationArn": a.arn, "associationId": a.id,
		}
		if a.ownerArn != "" {
			s["ownerArn"] = a.ownerArn
		}
		list = append(list, s)
	}
	out := map[string]any{"associations": list}
	if next != "" {
		out["nextToken"] = next
	}
	p.reply(w, q, out, nil)
}

func (p *proxy) eksUpdatePodIdentityAssociation(w http.ResponseWriter, q *eksReq) {
	var in struct {
		RoleArn            *string `json:"roleArn"`
		DisableSessionTags *bool   `json:"disableSessionTags"`
		TargetRoleArn      *string `json:"targetRoleArn"`
		Policy             *string `json:"policy"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	var a *assocRec
	if err == nil {
		c, a, err = p.association(q)
	}
	switch {
	case err != nil:
	case a.ownerArn != "":
		err = errInvalidRequest(fmt.Sprintf("Pod Identity association %s is managed by %s; update it through that add-on", a.id, a.ownerArn))
	case in.RoleArn != nil && !roleARN.MatchString(*in.RoleArn):
		err = errInvalidParam(fmt.Sprintf("Role ARN %q is not a valid IAM role ARN", *in.RoleArn))
	case in.TargetRoleArn != nil && *in.TargetRoleArn != "" && !roleARN.MatchString(*in.TargetRoleArn):
		err = errInvalidParam(fmt.Sprintf("Target role ARN %q is not a valid IAM role ARN", *in.TargetRoleArn))
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	if in.RoleArn != nil {
		a.roleArn = *in.RoleArn
	}
	if in.DisableSessionTags != nil {
		a.disableSessionTags = *in.DisableSessionTags
	}
	if in.TargetRoleArn != nil {
		a.targetRoleArn = *in.TargetRoleArn
		a.externalID = ""
		if a.targetRoleArn != "" {
			a.externalID = uuid()
		}
	}
	if in.Policy != nil {
		a.policy = *in.Policy
	}
	a.modified = q.now
	p.reply(w, q, map[string]any{"association": c.assocJSON(a)}, nil)
}

func (p *proxy) eksDeletePodIdentityAssociation(w http.ResponseWriter, q *eksReq) {
	c, a, err := p.association(q)
	if err == nil && a.ownerArn != "" {
		err = errInvalidRequest(fmt.Sprintf("Pod Identity association %s is managed by %s; delete it through that add-on", a.id, a.ownerArn))
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	delete(c.assocs, a.id)
	p.reply(w, q, map[string]any{"association": c.assocJSON(a)}, nil)
}
