package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Authentication modes of an EKS cluster.
const (
	authConfigMap    = "CONFIG_MAP"
	authAPI          = "API"
	authAPIConfigMap = "API_AND_CONFIG_MAP"
)

// clusterRec is what the proxy keeps of one EKS cluster: what moto forgets
// (accessConfig), the times that drive its reported status, and the
// sub-resources moto does not have at all.
type clusterRec struct {
	region, name, arn, version string
	created                    time.Time // when the proxy saw CreateCluster succeed; zero: adopted from moto, ACTIVE
	authMode                   string
	bootstrap                  bool
	deleting                   bool
	deleted                    time.Time
	tombstone                  map[string]any // the cluster as it was when deleted, answered while DELETING

	fargate map[string]*fargateRec
	addons  map[string]*addonRec
	assocs  map[string]*assocRec // by association id
	entries map[string]*entryRec // by principal ARN
	updates map[string]*updateRec
	order   []string // update ids, oldest first

	vpcID, securityGroup string // the cluster security group the proxy made (eks_sg.go)
}

func newClusterRec(region, name, arn, version string) *clusterRec {
	return &clusterRec{
		region: region, name: name, arn: arn, version: version,
		authMode: authConfigMap,
		fargate:  map[string]*fargateRec{},
		addons:   map[string]*addonRec{},
		assocs:   map[string]*assocRec{},
		entries:  map[string]*entryRec{},
		updates:  map[string]*updateRec{},
	}
}

// status is the cluster's status as AWS would report it now.
func (c *clusterRec) status(now time.Time, lat Latency) string {
	switch {
	case c.deleting:
		return "DELETING"
	case !c.created.IsZero() && !elapsed(now, c.created, lat.ClusterCreate):
		return "CREATING"
	}
	return "ACTIVE"
}

func clusterKey(region, name string) string { return region + "/" + name }

// updateRec is an EKS update (UpdateClusterConfig, UpdateAddon).
type updateRec struct {
	id, typ, addon string
	params         [][2]string
	created        time.Time
	duration       time.Duration // InProgress for this long
}

func (u *updateRec) json(now time.Time) map[string]any {
	status := "Successful"
	if !elapsed(now, u.created, u.duration) {
		status = "InProgress"
	}
	params := []map[string]string{}
	for _, kv := range u.params {
		params = append(params, map[string]string{"type": kv[0], "value": kv[1]})
	}
	return map[string]any{"id": u.id, "status": status, "type": u.typ, "params": params,
		"createdAt": epoch(u.created), "errors": []any{}}
}

// addUpdate records a new update on the cluster.
func (c *clusterRec) addUpdate(now time.Time, typ, addon string, d time.Duration, params ...[2]string) *updateRec {
	u := &updateRec{id: uuid(), typ: typ, addon: addon, params: params, created: now, duration: d}
	c.updates[u.id] = u
	c.order = append(c.order, u.id)
	return u
}

// sweep forgets what has finished deleting.
func (p *proxy) sweep(now time.Time, lat Latency) {
	for k, c := range p.clusters {
		if c.deleting && elapsed(now, c.deleted, lat.ClusterDelete) {
			delete(p.clusters, k)
			continue
		}
		for n, f := range c.fargate {
			if f.deleting && elapsed(now, f.deleted, lat.FargateDelete) {
				delete(c.fargate, n)
			}
		}
		for n, a := range c.addons {
			if a.deleting && elapsed(now, a.deleted, lat.AddonDelete) {
				delete(c.addons, n)
			}
		}
	}
	for id, n := range p.nats {
		if !n.deleted.IsZero() && elapsed(now, n.deleted, lat.NATDelete) {
			delete(p.nats, id)
		}
	}
}

// cluster returns the proxy's record of cluster name in q's region, adopting
// a cluster moto has that the proxy has not seen created; nil if neither
// knows it.
func (p *proxy) cluster(q *eksReq, name string) (*clusterRec, error) {
	key := clusterKey(q.region, name)
	if c := p.clusters[key]; c != nil {
		return c, nil
	}
	path, raw := escapePath("clusters", name)
	m, err := p.motoDo(q.ctx, q.r, http.MethodGet, path, raw, "", nil)
	if err != nil {
		return nil, err
	}
	if m.status == http.StatusNotFound {
		return nil, nil
	}
	if !m.ok() {
		return nil, fmt.Errorf("sandbox: moto DescribeCluster %s: HTTP %d: %s", name, m.status, m.body)
	}
	obj, err := decodeObject(m.body, "cluster")
	if err != nil {
		return nil, err
	}
	c := newClusterRec(q.region, name, str(obj["arn"]), str(obj["version"]))
	p.clusters[key] = c
	return c, nil
}

// existingCluster is cluster, with ResourceNotFoundException for none.
func (p *proxy) existingCluster(q *eksReq, name string) (*clusterRec, error) {
	c, err := p.cluster(q, name)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNotFound(fmt.Sprintf("No cluster found for name: %s.", name)).with("clusterName", name)
	}
	return c, nil
}

// liveCluster is existingCluster for clusters not being deleted; mustBeActive
// also refuses one still CREATING.
func (p *proxy) liveCluster(q *eksReq, name string, mustBeActive bool) (*clusterRec, error) {
	c, err := p.existingCluster(q, name)
	if err != nil {
		return nil, err
	}
	st := c.status(q.now, q.lat)
	if st == "DELETING" || (mustBeActive && st != "ACTIVE") {
		return nil, errInvalidRequest(fmt.Sprintf("Cluster '%s' is not in ACTIVE status", name)).with("clusterName", name)
	}
	return c, nil
}

// decorateCluster amends moto's cluster object: the status the latency
// profile gives, the accessConfig moto drops, no endpoint or CA while
// CREATING (as AWS), and the ClusterEndpoint hook's endpoint and CA.
func (p *proxy) decorateCluster(obj map[string]any, c *clusterRec, q *eksReq) {
	decorateVPC(obj, c)
	st := c.status(q.now, q.lat)
	obj["status"] = st
	obj["accessConfig"] = map[string]any{
		"authenticationMode":                      c.authMode,
		"bootstrapClusterCreatorAdminPermissions": c.bootstrap,
	}
	switch {
	case st == "CREATING":
		delete(obj, "endpoint")
		obj["certificateAuthority"] = map[string]any{}
	case p.clusterEndpoint != nil:
		if ep, ca, ok := p.clusterEndpoint(c.name); ok {
			obj["endpoint"] = ep
			obj["certificateAuthority"] = map[string]any{"data": ca}
		}
	}
}

func (p *proxy) eksCreateCluster(w http.ResponseWriter, q *eksReq) {
	var in struct {
		Name               string `json:"name"`
		ResourcesVpcConfig struct {
			SubnetIDs []string `json:"subnetIds"`
		} `json:"resourcesVpcConfig"`
		AccessConfig *struct {
			AuthenticationMode string `json:"authenticationMode"`
			Bootstrap          *bool  `json:"bootstrapClusterCreatorAdminPermissions"`
		} `json:"accessConfig"`
	}
	if err := decodeBody(q, &in); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	mode, bootstrap := authConfigMap, true
	if in.AccessConfig != nil {
		if in.AccessConfig.AuthenticationMode != "" {
			mode = in.AccessConfig.AuthenticationMode
		}
		if in.AccessConfig.Bootstrap != nil {
			bootstrap = *in.AccessConfig.Bootstrap
		}
	}
	switch mode {
	case authConfigMap, authAPI, authAPIConfigMap:
	default:
		p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Unsupported authentication mode: %s", mode)))
		return
	}
	if mode == authConfigMap && !bootstrap {
		p.reply(w, q, nil, errInvalidParam("bootstrapClusterCreatorAdminPermissions can only be false with authentication mode API or API_AND_CONFIG_MAP"))
		return
	}
	key := clusterKey(q.region, in.Name)
	if c := p.clusters[key]; c != nil && c.deleting {
		p.reply(w, q, nil, errInUse("Cluster already exists with name: "+in.Name).with("clusterName", in.Name))
		return
	}
	obj, ok := p.forwardObject(w, q, "cluster")
	if !ok {
		return
	}
	c := newClusterRec(q.region, in.Name, str(obj["arn"]), str(obj["version"]))
	c.created, c.authMode, c.bootstrap = q.now, mode, bootstrap
	p.clusters[key] = c
	p.createClusterSG(q, c, in.ResourcesVpcConfig.SubnetIDs)
	if bootstrap && mode != authConfigMap {
		p.bootstrapCreator(q, c)
	}
	p.decorateCluster(obj, c, q)
	p.reply(w, q, map[string]any{"cluster": obj}, nil)
}

func (p *proxy) eksDescribeCluster(w http.ResponseWriter, q *eksReq) {
	name := q.labels["name"]
	key := clusterKey(q.region, name)
	if c := p.clusters[key]; c != nil && c.deleting {
		p.reply(w, q, map[string]any{"cluster": c.tombstone}, nil)
		return
	}
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	if !m.ok() {
		if m.status == http.StatusNotFound {
			delete(p.clusters, key) // moto was reset behind the proxy's back
		}
		relay(w, m, m.body)
		return
	}
	obj, err := decodeObject(m.body, "cluster")
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	c := p.clusters[key]
	if c == nil {
		c = newClusterRec(q.region, name, str(obj["arn"]), str(obj["version"]))
		p.clusters[key] = c
	}
	p.decorateCluster(obj, c, q)
	p.reply(w, q, map[string]any{"cluster": obj}, nil)
}

func (p *proxy) eksDeleteCluster(w http.ResponseWriter, q *eksReq) {
	name := q.labels["name"]
	c, err := p.cluster(q, name)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	if c == nil {
		p.relayForward(w, q)
		return
	}
	if c.deleting {
		p.reply(w, q, map[string]any{"cluster": c.tombstone}, nil)
		return
	}
	profiles, err := p.motoFargateNames(q, name)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	states := map[string]bool{}
	for _, n := range profiles {
		states[c.fargateStatus(n, q.now, q.lat)] = true
	}
	for _, f := range c.fargate {
		if f.deleting {
			states["DELETING"] = true
		}
	}
	if len(states) > 0 {
		msg := "Cluster has Fargate Profiles in ACTIVE/CREATING state"
		if len(states) == 1 && states["DELETING"] {
			msg = "Cluster has Fargate Profiles in DELETING state"
		}
		p.reply(w, q, nil, errInUse(msg).with("clusterName", name))
		return
	}
	obj, ok := p.forwardObject(w, q, "cluster")
	if !ok {
		return
	}
	p.decorateCluster(obj, c, q)
	p.deleteClusterSG(q, c)
	obj["status"] = "DELETING"
	// Deleting a cluster deletes its add-ons, associations and entries.
	c.deleting, c.deleted, c.tombstone = true, q.now, obj
	c.fargate, c.addons, c.assocs, c.entries = map[string]*fargateRec{}, map[string]*addonRec{}, map[string]*assocRec{}, map[string]*entryRec{}
	if q.lat.ClusterDelete <= 0 {
		delete(p.clusters, clusterKey(q.region, name))
	}
	p.reply(w, q, map[string]any{"cluster": obj}, nil)
}

func (p *proxy) eksListClusters(w http.ResponseWriter, q *eksReq) {
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	var out struct {
		Clusters  []string `json:"clusters"`
		NextToken *string  `json:"nextToken"`
	}
	if !m.ok() || json.Unmarshal(m.body, &out) != nil {
		relay(w, m, m.body)
		return
	}
	if out.NextToken == nil || *out.NextToken == "" {
		for _, c := range p.clusters {
			if c.deleting && c.region == q.region && !slices.Contains(out.Clusters, c.name) {
				out.Clusters = append(out.Clusters, c.name)
			}
		}
		slices.Sort(out.Clusters)
	}
	p.reply(w, q, map[string]any{"clusters": nonNil(out.Clusters), "nextToken": out.NextToken}, nil)
}

// eksUpdateClusterConfig applies accessConfig itself (moto ignores it),
// forwards the other settings to moto, and answers with an Update as AWS
// does (moto answers with the cluster).
func (p *proxy) eksUpdateClusterConfig(w http.ResponseWriter, q *eksReq) {
	name := q.labels["name"]
	var in map[string]json.RawMessage
	if err := decodeBody(q, &in); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	c, err := p.liveCluster(q, name, true)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	newMode := ""
	if raw, ok := in["accessConfig"]; ok {
		var ac struct {
			AuthenticationMode string `json:"authenticationMode"`
		}
		if err := json.Unmarshal(raw, &ac); err != nil {
			p.reply(w, q, nil, errInvalidParam("accessConfig is not valid: "+err.Error()))
			return
		}
		allowed := map[string]string{authConfigMap: authAPIConfigMap, authAPIConfigMap: authAPI}
		if ac.AuthenticationMode != "" && allowed[c.authMode] != ac.AuthenticationMode {
			p.reply(w, q, nil, errInvalidParam(fmt.Sprintf("Unsupported authentication mode update from %s to %s", c.authMode, ac.AuthenticationMode)).with("clusterName", name))
			return
		}
		newMode = ac.AuthenticationMode
	}
	others := []string{}
	for k := range in {
		if k != "accessConfig" && k != "clientRequestToken" && k != "name" {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	if len(others) > 0 {
		m, err := p.forward(q.ctx, q.r, q.call)
		if err != nil {
			p.badGateway(w, q.call, err)
			return
		}
		if !m.ok() {
			relay(w, m, m.body)
			return
		}
	}
	var u *updateRec
	switch {
	case newMode != "":
		c.authMode = newMode
		u = c.addUpdate(q.now, "AccessConfigUpdate", "", 0, [2]string{"AuthenticationMode", newMode})
	case slices.Contains(others, "logging"):
		u = c.addUpdate(q.now, "LoggingUpdate", "", 0, [2]string{"ClusterLogging", string(in["logging"])})
	case slices.Contains(others, "resourcesVpcConfig"):
		u = c.addUpdate(q.now, "EndpointAccessUpdate", "", 0, [2]string{"ResourcesVpcConfig", string(in["resourcesVpcConfig"])})
	case len(others) > 0:
		u = c.addUpdate(q.now, "ConfigUpdate", "", 0, [2]string{"Settings", strings.Join(others, ",")})
	default:
		p.reply(w, q, nil, errInvalidParam("No changes needed").with("clusterName", name))
		return
	}
	out := u.json(q.now)
	out["status"] = "InProgress" // as AWS answers the request itself; DescribeUpdate tells the outcome
	p.reply(w, q, map[string]any{"update": out}, nil)
}

func (p *proxy) eksDescribeUpdate(w http.ResponseWriter, q *eksReq) {
	c, err := p.existingCluster(q, q.labels["name"])
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	u := c.updates[q.labels["updateId"]]
	if u == nil || u.addon != q.query.Get("addonName") {
		p.reply(w, q, nil, errNotFound(fmt.Sprintf("No update found for ID: %s", q.labels["updateId"])).with("clusterName", c.name))
		return
	}
	p.reply(w, q, map[string]any{"update": u.json(q.now)}, nil)
}

func (p *proxy) eksListUpdates(w http.ResponseWriter, q *eksReq) {
	c, err := p.existingCluster(q, q.labels["name"])
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	if q.query.Get("nodegroupName") != "" {
		p.reply(w, q, map[string]any{"updateIds": []string{}}, nil)
		return
	}
	ids := []string{}
	for _, id := range c.order {
		if u := c.updates[id]; u != nil && u.addon == q.query.Get("addonName") {
			ids = append(ids, id)
		}
	}
	p.reply(w, q, map[string]any{"updateIds": ids}, nil)
}

func (p *proxy) eksCreateNodegroup(w http.ResponseWriter, q *eksReq) {
	if c, err := p.cluster(q, q.labels["clusterName"]); err == nil && c != nil && c.status(q.now, q.lat) != "ACTIVE" {
		p.reply(w, q, nil, errInvalidRequest(fmt.Sprintf("Cluster '%s' is not in ACTIVE status", c.name)).with("clusterName", c.name))
		return
	}
	p.relayForward(w, q)
}

// eksTags answers TagResource, UntagResource and ListTagsForResource for the
// resources the proxy keeps, and forwards the others (clusters) to moto.
func (p *proxy) eksTags(w http.ResponseWriter, q *eksReq) {
	tags := p.localTags(q.region, q.labels["resourceArn"])
	if tags == nil {
		p.relayForward(w, q)
		return
	}
	switch q.operation {
	case "ListTagsForResource":
		p.reply(w, q, map[string]any{"tags": *tags}, nil)
		return
	case "TagResource":
		var in struct {
			Tags map[string]string `json:"tags"`
		}
		if err := decodeBody(q, &in); err != nil {
			p.reply(w, q, nil, err)
			return
		}
		for k, v := range in.Tags {
			(*tags)[k] = v
		}
	case "UntagResource":
		for _, k := range q.query["tagKeys"] {
			delete(*tags, k)
		}
	}
	p.reply(w, q, map[string]any{}, nil)
}

// localTags finds the tags of an add-on, association or access entry by ARN.
func (p *proxy) localTags(region, arn string) *map[string]string {
	for _, c := range p.clusters {
		if c.region != region || c.deleting {
			continue
		}
		for _, a := range c.addons {
			if a.arn == arn && !a.deleting {
				return &a.tags
			}
		}
		for _, a := range c.assocs {
			if a.arn == arn {
				return &a.tags
			}
		}
		for _, e := range c.entries {
			if e.arn == arn {
				return &e.tags
			}
		}
	}
	return nil
}

// relayForward forwards q to moto and relays its reply unchanged.
func (p *proxy) relayForward(w http.ResponseWriter, q *eksReq) {
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	relay(w, m, m.body)
}

// str returns v as a string if it is one.
func str(v any) string {
	s, _ := v.(string)
	return s
}

// nonNil turns a nil slice into an empty one, so JSON says [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cloneTags copies a tag map, never nil.
func cloneTags(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
