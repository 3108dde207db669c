package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// fargateRec is what the proxy keeps of a Fargate profile moto has (or had,
// while it is DELETING).
type fargateRec struct {
	created   time.Time
	deleting  bool
	deleted   time.Time
	tombstone map[string]any
}

// fargateStatus is the status AWS would report now for profile name, which
// moto has (profiles the proxy never saw created are ACTIVE).
func (c *clusterRec) fargateStatus(name string, now time.Time, lat Latency) string {
	f := c.fargate[name]
	switch {
	case f == nil:
		return "ACTIVE"
	case f.deleting:
		return "DELETING"
	case !elapsed(now, f.created, lat.FargateCreate):
		return "CREATING"
	}
	return "ACTIVE"
}

// busyFargate returns a profile of the cluster that is CREATING or DELETING.
func (c *clusterRec) busyFargate(now time.Time, lat Latency) (name, status string, ok bool) {
	names := make([]string, 0, len(c.fargate))
	for n := range c.fargate {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if st := c.fargateStatus(n, now, lat); st != "ACTIVE" {
			return n, st, true
		}
	}
	return "", "", false
}

// motoFargateNames lists the cluster's profiles moto has.
func (p *proxy) motoFargateNames(q *eksReq, cluster string) ([]string, error) {
	path, raw := escapePath("clusters", cluster, "fargate-profiles")
	m, err := p.motoDo(q.ctx, q.r, http.MethodGet, path, raw, "", nil)
	if err != nil {
		return nil, err
	}
	if !m.ok() {
		return nil, fmt.Errorf("sandbox: moto ListFargateProfiles %s: HTTP %d: %s", cluster, m.status, m.body)
	}
	var out struct {
		Names []string `json:"fargateProfileNames"`
	}
	if err := json.Unmarshal(m.body, &out); err != nil {
		return nil, fmt.Errorf("sandbox: moto ListFargateProfiles %s: %w", cluster, err)
	}
	return out.Names, nil
}

func (p *proxy) eksCreateFargateProfile(w http.ResponseWriter, q *eksReq) {
	cluster := q.labels["clusterName"]
	c, err := p.liveCluster(q, cluster, true)
	if err != nil {
		p.reply(w, q, nil, err)
		return
	}
	var in struct {
		Name string `json:"fargateProfileName"`
	}
	if err := decodeBody(q, &in); err != nil {
		p.reply(w, q, nil, err)
		return
	}
	// AWS lets one profile of a cluster be CREATING or DELETING at a time.
	if busy, st, ok := c.busyFargate(q.now, q.lat); ok {
		p.reply(w, q, nil, errInUse(fmt.Sprintf("Cannot create Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s",
			in.Name, cluster, busy, st)).with("clusterName", cluster))
		return
	}
	obj, ok := p.forwardObject(w, q, "fargateProfile")
	if !ok {
		return
	}
	c.fargate[in.Name] = &fargateRec{created: q.now}
	obj["status"] = c.fargateStatus(in.Name, q.now, q.lat)
	p.reply(w, q, map[string]any{"fargateProfile": obj}, nil)
}

func (p *proxy) eksDescribeFargateProfile(w http.ResponseWriter, q *eksReq) {
	cluster, name := q.labels["clusterName"], q.labels["fargateProfileName"]
	c := p.clusters[clusterKey(q.region, cluster)]
	if c != nil && c.fargate[name] != nil && c.fargate[name].deleting {
		p.reply(w, q, map[string]any{"fargateProfile": c.fargate[name].tombstone}, nil)
		return
	}
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	if !m.ok() || c == nil {
		relay(w, m, m.body)
		return
	}
	obj, err := decodeObject(m.body, "fargateProfile")
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	obj["status"] = c.fargateStatus(name, q.now, q.lat)
	p.reply(w, q, map[string]any{"fargateProfile": obj}, nil)
}

func (p *proxy) eksDeleteFargateProfile(w http.ResponseWriter, q *eksReq) {
	cluster, name := q.labels["clusterName"], q.labels["fargateProfileName"]
	c, err := p.cluster(q, cluster)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	if c == nil {
		p.relayForward(w, q)
		return
	}
	if busy, st, ok := c.busyFargate(q.now, q.lat); ok {
		p.reply(w, q, nil, errInUse(fmt.Sprintf("Cannot Delete Fargate Profile %s because cluster %s currently has Fargate profile %s in status %s",
			name, cluster, busy, st)).with("clusterName", cluster))
		return
	}
	obj, ok := p.forwardObject(w, q, "fargateProfile")
	if !ok {
		return
	}
	obj["status"] = "DELETING"
	if q.lat.FargateDelete > 0 {
		c.fargate[name] = &fargateRec{deleting: true, deleted: q.now, tombstone: obj}
	} else {
		delete(c.fargate, name)
	}
	p.reply(w, q, map[string]any{"fargateProfile": obj}, nil)
}

func (p *proxy) eksListFargateProfiles(w http.ResponseWriter, q *eksReq) {
	m, err := p.forward(q.ctx, q.r, q.call)
	if err != nil {
		p.badGateway(w, q.call, err)
		return
	}
	var out struct {
		Names     []string `json:"fargateProfileNames"`
		NextToken *string  `json:"nextToken"`
	}
	c := p.clusters[clusterKey(q.region, q.labels["clusterName"])]
	if !m.ok() || c == nil || json.Unmarshal(m.body, &out) != nil {
		relay(w, m, m.body)
		return
	}
	if out.NextToken == nil || *out.NextToken == "" {
		for n, f := range c.fargate {
			if f.deleting && !slices.Contains(out.Names, n) {
				out.Names = append(out.Names, n)
			}
		}
		slices.Sort(out.Names)
	}
	p.reply(w, q, map[string]any{"fargateProfileNames": nonNil(out.Names), "nextToken": out.NextToken}, nil)
}
