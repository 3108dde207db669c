package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// addonRec is an EKS add-on, which moto does not have at all.
type addonRec struct {
	name, arn, version, roleArn, config, namespace string
	tags                                           map[string]string
	created, modified, updated                     time.Time
	deleting                                       bool
	deleted                                        time.Time
	assocIDs                                       []string // Pod Identity associations the add-on owns
}

func (a *addonRec) status(now time.Time, lat Latency) string {
	switch {
	case a.deleting:
		return "DELETING"
	case !elapsed(now, a.created, lat.AddonCreate):
		return "CREATING"
	case !a.updated.IsZero() && !elapsed(now, a.updated, lat.AddonCreate):
		return "UPDATING"
	}
	return "ACTIVE"
}

// addonJSON renders a as the Addon shape.
func (c *clusterRec) addonJSON(a *addonRec, now time.Time, lat Latency) map[string]any {
	out := map[string]any{
		"addonName":    a.name,
		"clusterName":  c.name,
		"status":       a.status(now, lat),
		"addonVersion": a.version,
		"health":       map[string]any{"issues": []any{}},
		"addonArn":     a.arn,
		"createdAt":    epoch(a.created),
		"modifiedAt":   epoch(a.modified),
		"tags":         a.tags,
		"publisher":    "eks",
		"owner":        "aws",
		"namespaceConfig": map[string]any{
			"namespace": a.namespace,
		},
	}
	if a.roleArn != "" {
		out["serviceAccountRoleArn"] = a.roleArn
	}
	if a.config != "" {
		out["configurationValues"] = a.config
	}
	arns := []string{}
	for _, id := range a.assocIDs {
		if as := c.assocs[id]; as != nil {
			arns = append(arns, as.arn)
		}
	}
	if len(arns) > 0 {
		out["podIdentityAssociations"] = arns
	}
	return out
}

// addonPodIdentity is one entry of CreateAddon's podIdentityAssociations.
type addonPodIdentity struct {
	ServiceAccount string `json:"serviceAccount"`
	RoleArn        string `json:"roleArn"`
}

// checkConfigurationValues accepts what EKS accepts at the least: a JSON or
// YAML mapping (EKS also checks it against the add-on's schema).
func checkConfigurationValues(addon, v string) error {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var m map[string]any
	if err := yaml.Unmarshal([]byte(v), &m); err != nil || m == nil {
		msg := "not a JSON or YAML object"
		if err != nil {
			msg = err.Error()
		}
		return errInvalidParam("ConfigurationValue provided in request is not supported: Json schema validation failed with error: "+msg).with("addonName", addon)
	}
	return nil
}

// checkAddonPodIdentity validates an add-on's association requests.
func checkAddonPodIdentity(spec addonSpec, reqs []addonPodIdentity) error {
	seen := map[string]bool{}
	for _, r := range reqs {
		if _, ok := spec.podIdentity[r.ServiceAccount]; !ok {
			known := make([]string, 0, len(spec.podIdentity))
			for sa := range spec.podIdentity {
				known = append(known, sa)
			}
			slices.Sort(known)
			return errInvalidParam(fmt.Sprintf("Service account %q is not supported by add-on %s for Pod Identity; supported: [%s]",
				r.ServiceAccount, spec.name, strings.Join(known, ", "))).with("addonName", spec.name)
		}
		if seen[r.ServiceAccount] {
			return errInvalidParam(fmt.Sprintf("Service account %s appears more than once in podIdentityAssociations", r.ServiceAccount)).with("addonName", spec.name)
		}
		seen[r.ServiceAccount] = true
		if !roleARN.MatchString(r.RoleArn) {
			return errInvalidParam(fmt.Sprintf("Role ARN %q is not a valid IAM role ARN", r.RoleArn)).with("addonName", spec.name)
		}
	}
	return nil
}

// syncAddonAssociations makes the add-on own exactly the associations reqs
// asks for, creating, updating and deleting them.
func (p *proxy) syncAddonAssociations(q *eksReq, c *clusterRec, a *addonRec, reqs []addonPodIdentity) error {
	want := map[string]string{}
	for _, r := range reqs {
		want[r.ServiceAccount] = r.RoleArn
	}
	for _, sa := range sortedKeys(want) {
		if other := c.findAssoc(a.namespace, sa); other != nil && other.ownerArn != a.arn {
			return errInUse(fmt.Sprintf("A Pod Identity association already exists for service account %s in namespace %s: %s",
				sa, a.namespace, other.arn)).with("clusterName", c.name, "addonName", a.name)
		}
	}
	kept := []string{}
	for _, id := range a.assocIDs {
		as := c.assocs[id]
		if as == nil {
			continue
		}
		role, ok := want[as.sa]
		if !ok {
			delete(c.assocs, id)
			continue
		}
		if as.roleArn != role {
			as.roleArn, as.modified = role, q.now
		}
		delete(want, as.sa)
		kept = append(kept, id)
	}
	for _, sa := range sortedKeys(want) {
		as := p.newAssoc(q, c, a.namespace, sa, want[sa], map[string]string{})
		as.ownerArn = a.arn
		kept = append(kept, as.id)
	}
	a.assocIDs = kept
	return nil
}

func (p *proxy) eksCreateAddon(w http.ResponseWriter, q *eksReq) {
	var in struct {
		AddonName               string             `json:"addonName"`
		AddonVersion            string             `json:"addonVersion"`
		ServiceAccountRoleArn   string             `json:"serviceAccountRoleArn"`
		ConfigurationValues     string             `json:"configurationValues"`
		PodIdentityAssociations []addonPodIdentity `json:"podIdentityAssociations"`
		Tags                    map[string]string  `json:"tags"`
		NamespaceConfig         *struct {
			Namespace string `json:"namespace"`
		} `json:"namespaceConfig"`
	}
	err := decodeBody(q, &in)
	var c *clusterRec
	if err == nil {
		c, err = p.liveCluster(q, q.labels["clusterName"], true)
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	spec, ok := catalogAddon(in.AddonName)
	if !ok || spec.defaultVersion(c.version) == "" && in.AddonVersion == "" {
		p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Addon %s specified is not supported in %s kubernetes version", in.AddonName, c.version)).with("addonName", in.AddonName))
		return
	}
	if old := c.addons[in.AddonName]; old != nil {
		msg := "Addon already exists."
		if old.deleting {
			msg = fmt.Sprintf("Addon %s is currently being deleted", in.AddonName)
		}
		p.reply(w, q, nil, errInUse(msg).with("clusterName", c.name, "addonName", in.AddonName))
		return
	}
	version := in.AddonVersion
	if version == "" {
		version = spec.defaultVersion(c.version)
	}
	if spec.versionIndex(version, c.version) < 0 {
		p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Addon version %s specified is not supported for addon %s in %s kubernetes version", version, in.AddonName, c.version)).with("addonName", in.AddonName))
		return
	}
	if in.ServiceAccountRoleArn != "" && !roleARN.MatchString(in.ServiceAccountRoleArn) {
		p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Role ARN %q is not a valid IAM role ARN", in.ServiceAccountRoleArn)).with("addonName", in.AddonName))
		return
	}
	if err := checkConfigurationValues(in.AddonName, in.ConfigurationValues); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	if err := checkAddonPodIdentity(spec, in.PodIdentityAssociations); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	ns := spec.namespace
	if in.NamespaceConfig != nil && in.NamespaceConfig.Namespace != "" {
		ns = in.NamespaceConfig.Namespace
	}
	a := &addonRec{
		name: in.AddonName, version: version, roleArn: in.ServiceAccountRoleArn, config: in.ConfigurationValues,
		namespace: ns, tags: cloneTags(in.Tags), created: q.now, modified: q.now,
		arn: fmt.Sprintf("arn:aws:eks:%s:%s:addon/%s/%s/%s", q.region, p.accountID, c.name, in.AddonName, uuid()),
	}
	if err := p.syncAddonAssociations(q, c, a, in.PodIdentityAssociations); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	c.addons[a.name] = a
	p.reply(w, q, map[string]any{"addon": c.addonJSON(a, q.now, q.lat)}, nil)
}

// addon finds a cluster's add-on (a DELETING one too).
func (p *proxy) addon(q *eksReq) (*clusterRec, *addonRec, error) {
	c, err := p.existingCluster(q, q.labels["clusterName"])
	if err != nil {
		return nil, nil, err
	}
	name := q.labels["addonName"]
	a := c.addons[name]
	if a == nil {
		return nil, nil, errNotFound(fmt.Sprintf("No addon: %s found in cluster: %s", name, c.name)).with("clusterName", c.name, "addonName", name)
	}
	return c, a, nil
}

func (p *proxy) eksDescribeAddon(w http.ResponseWriter, q *eksReq) {
	c, a, err := p.addon(q)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	p.reply(w, q, map[string]any{"addon": c.addonJSON(a, q.now, q.lat)}, nil)
}

func (p *proxy) eksListAddons(w http.ResponseWriter, q *eksReq) {
	c, err := p.existingCluster(q, q.labels["clusterName"])
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	names, next, err := page(sortedKeys(c.addons), q, 100)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	out := map[string]any{"addons": names}
	if next != "" {
		out["nextToken"] = next
	}
	p.reply(w, q, out, nil)
}

func (p *proxy) eksUpdateAddon(w http.ResponseWriter, q *eksReq) {
	var in struct {
		AddonVersion            *string             `json:"addonVersion"`
		ServiceAccountRoleArn   *string             `json:"serviceAccountRoleArn"`
		ConfigurationValues     *string             `json:"configurationValues"`
		PodIdentityAssociations *[]addonPodIdentity `json:"podIdentityAssociations"`
	}
	if err := decodeBody(q, &in); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	c, a, err := p.addon(q)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	if st := a.status(q.now, q.lat); st != "ACTIVE" {
		p.reply(w, q, nil, errInUse(fmt.Sprintf("Addon %s cannot be updated while it is in %s status", a.name, st)).with("clusterName", c.name, "addonName", a.name))
		return
	}
	spec, _ := catalogAddon(a.name)
	params := [][2]string{}
	if in.AddonVersion != nil && *in.AddonVersion != a.version {
		to := spec.versionIndex(*in.AddonVersion, c.version)
		switch {
		case to < 0:
			err = errInvalidParam(fmt.Sprintf("Addon version %s specified is not supported for addon %s in %s kubernetes version", *in.AddonVersion, a.name, c.version))
		case to > spec.versionIndex(a.version, c.version):
			err = errInvalidParam(fmt.Sprintf("Updating addon %s from %s to the older version %s is not supported", a.name, a.version, *in.AddonVersion))
		}
		params = append(params, [2]string{"AddonVersion", *in.AddonVersion})
	}
	if err == nil && in.ServiceAccountRoleArn != nil && *in.ServiceAccountRoleArn != "" && !roleARN.MatchString(*in.ServiceAccountRoleArn) {
		err = errInvalidParam(fmt.Sprintf("Role ARN %q is not a valid IAM role ARN", *in.ServiceAccountRoleArn))
	}
	if err == nil && in.ConfigurationValues != nil {
		err = checkConfigurationValues(a.name, *in.ConfigurationValues)
	}
	if err == nil && in.PodIdentityAssociations != nil {
		err = checkAddonPodIdentity(spec, *in.PodIdentityAssociations)
	}
	if err != nil {
		if ee, ok := err.(*eksError); ok {
			ee.with("clusterName", c.name, "addonName", a.name)
		}
		p.reply(w, q, nil, err)
		return
	}
	if in.PodIdentityAssociations != nil {
		if err := p.syncAddonAssociations(q, c, a, *in.PodIdentityAssociations); err != nil {
			p.reply(w, q, nil, err)
			return
		}
		b, _ := json.Marshal(*in.PodIdentityAssociations)
		params = append(params, [2]string{"PodIdentityAssociations", string(b)})
	}
	if in.AddonVersion != nil {
		a.version = *in.AddonVersion
	}
	if in.ServiceAccountRoleArn != nil {
		a.roleArn = *in.ServiceAccountRoleArn
		params = append(params, [2]string{"ServiceAccountRoleArn", a.roleArn})
	}
	if in.ConfigurationValues != nil {
		a.config = *in.ConfigurationValues
		params = append(params, [2]string{"ConfigurationValues", a.config})
	}
	a.updated, a.modified = q.now, q.now
	u := c.addUpdate(q.now, "AddonUpdate", a.name, q.lat.AddonCreate, params...)
	p.reply(w, q, map[string]any{"update": u.json(q.now)}, nil)
}

func (p *proxy) eksDeleteAddon(w http.ResponseWriter, q *eksReq) {
	c, a, err := p.addon(q)
	if err == nil && a.deleting {
		err = errNotFound(fmt.Sprintf("No addon: %s found in cluster: %s", a.name, c.name)).with("clusterName", c.name, "addonName", a.name)
	}
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	for _, id := range a.assocIDs {
		delete(c.assocs, id)
	}
	out := c.addonJSON(a, q.now, q.lat)
	out["status"] = "DELETING"
	a.assocIDs = nil
	if q.lat.AddonDelete > 0 {
		a.deleting, a.deleted = true, q.now
	} else {
		delete(c.addons, a.name)
	}
	p.reply(w, q, map[string]any{"addon": out}, nil)
}

func (p *proxy) eksDescribeAddonVersions(w http.ResponseWriter, q *eksReq) {
	k8s, name := q.query.Get("kubernetesVersion"), q.query.Get("addonName")
	match := func(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }
	infos := map[string]map[string]any{}
	for _, a := range addonCatalog {
		if name != "" && a.name != name || !match(q.query["types"], a.typ) ||
			!match(q.query["publishers"], "eks") || !match(q.query["owners"], "aws") {
			continue
		}
		if info, ok := a.info(k8s); ok {
			infos[a.name] = info
		}
	}
	names, next, err := page(sortedKeys(infos), q, 100)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	list := []map[string]any{}
	for _, n := range names {
		list = append(list, infos[n])
	}
	out := map[string]any{"addons": list}
	if next != "" {
		out["nextToken"] = next
	}
	p.reply(w, q, out, nil)
}

func (p *proxy) eksDescribeAddonConfiguration(w http.ResponseWriter, q *eksReq) {
	name, version := q.query.Get("addonName"), q.query.Get("addonVersion")
	spec, ok := catalogAddon(name)
	known := false
	for _, v := range spec.versions {
		known = known || v.version == version
	}
	if !ok || !known {
		p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Addon %s with version %s is not supported", name, version)).with("addonName", name))
		return
	}
	pi := []map[string]any{}
	for _, sa := range sortedKeys(spec.podIdentity) {
		pi = append(pi, map[string]any{"serviceAccount": sa, "recommendedManagedPolicies": nonNil(spec.podIdentity[sa])})
	}
	schema := `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":true,"properties":{}}`
	p.reply(w, q, map[string]any{
		"addonName": name, "addonVersion": version,
		"configurationSchema": schema, "podIdentityConfiguration": pi,
	}, nil)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
