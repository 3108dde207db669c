package sandbox

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// natRec is what the proxy keeps of a NAT gateway: when it saw it created
// and deleted, which drives the state it reports.
type natRec struct {
	created, deleted time.Time
}

// natStates are the states of a NAT gateway.
var natStates = []string{"pending", "failed", "available", "deleting", "deleted"}

// state rewrites the state moto reports (available at once, deleted at once)
// into the one AWS would report now.
func (n *natRec) state(moto string, now time.Time, lat Latency) string {
	switch {
	case moto == "deleted" && !n.deleted.IsZero() && !elapsed(now, n.deleted, lat.NATDelete):
		return "deleting"
	case moto == "available" && !elapsed(now, n.created, lat.NATCreate):
		return "pending"
	}
	return moto
}

// handleNAT answers CreateNatGateway, DeleteNatGateway and
// DescribeNatGateways through moto, rewriting the states in its replies.
func (p *proxy) handleNAT(w http.ResponseWriter, r *http.Request, c *call) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	now, lat := p.now(), p.getLatency()
	p.sweep(now, lat)
	body, rawQuery := c.body, r.URL.RawQuery
	var wantStates []string
	if c.operation == "DescribeNatGateways" {
		// moto filters on its own states; ask it for every state and filter
		// on the rewritten ones here.
		body, wantStates = widenStateFilter(c.form)
		rawQuery = ""
	}
	m, err := p.motoDo(r.Context(), r, r.Method, r.URL.Path, r.URL.RawPath, rawQuery, body)
	if err != nil {
		p.badGateway(w, c, err)
		return
	}
	if !m.ok() {
		relay(w, m, m.body)
		return
	}
	out := m.body
	switch c.operation {
	case "CreateNatGateway":
		id := xmlText(m.body, "natGatewayId")
		p.nats[c.region+"/"+id] = &natRec{created: now}
		if lat.NATCreate > 0 {
			out = bytes.Replace(m.body, []byte("<state>available</state>"), []byte("<state>pending</state>"), 1)
		}
	case "DeleteNatGateway":
		id := xmlText(m.body, "natGatewayId")
		n := p.nats[c.region+"/"+id]
		if n == nil {
			n = &natRec{}
			p.nats[c.region+"/"+id] = n
		}
		n.deleted = now
	case "DescribeNatGateways":
		out = rewriteNATItems(m.body, func(id, state string) (string, bool) {
			if n := p.nats[c.region+"/"+id]; n != nil {
				state = n.state(state, now, lat)
			}
			return state, len(wantStates) == 0 || slices.Contains(wantStates, state)
		})
	}
	relay(w, m, out)
}

// widenStateFilter replaces the values of a "state" filter of an EC2 query
// with every state, returning the new form body and the values asked for.
func widenStateFilter(form url.Values) ([]byte, []string) {
	f := url.Values{}
	for k, v := range form {
		f[k] = slices.Clone(v)
	}
	var want []string
	for k, v := range form {
		if !strings.HasPrefix(k, "Filter.") || !strings.HasSuffix(k, ".Name") || len(v) == 0 || v[0] != "state" {
			continue
		}
		prefix := strings.TrimSuffix(k, "Name")
		for vk, vv := range form {
			if strings.HasPrefix(vk, prefix+"Value.") {
				want = append(want, vv...)
				delete(f, vk)
			}
		}
		for i, s := range natStates {
			f.Set(prefix+"Value."+strconv.Itoa(i+1), s)
		}
	}
	return []byte(f.Encode()), want
}

// xmlText returns the text of the first element named name in an XML
// document ("" if none).
func xmlText(doc []byte, name string) string {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var s string
			if d.DecodeElement(&s, &se) == nil {
				return strings.TrimSpace(s)
			}
			return ""
		}
	}
}

// rewriteNATItems edits the items of natGatewaySet in a DescribeNatGateways
// reply in place: f gets each gateway's id and state and returns the state to
// report and whether to keep the item. Everything else is left byte for byte.
func rewriteNATItems(doc []byte, f func(id, state string) (string, bool)) []byte {
	type span struct{ start, end int }
	type item struct {
		span
		id    string
		state string
		stAt  span // the state element's text
	}
	var items []item
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string
	var cur *item
	var textStart int
	for {
		off := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return doc
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			if len(path) == 3 && path[1] == "natGatewaySet" && t.Name.Local == "item" {
				cur = &item{span: span{start: off}}
			}
			textStart = int(d.InputOffset())
		case xml.CharData:
			if cur != nil && len(path) == 4 {
				switch path[3] {
				case "natGatewayId":
					cur.id = strings.TrimSpace(string(t))
				case "state":
					cur.state = strings.TrimSpace(string(t))
					cur.stAt = span{textStart, int(d.InputOffset())}
				}
			}
		case xml.EndElement:
			if cur != nil && len(path) == 3 {
				cur.end = int(d.InputOffset())
				items = append(items, *cur)
				cur = nil
			}
			path = path[:len(path)-1]
		}
	}
	out := slices.Clone(doc)
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		state, keep := f(it.id, it.state)
		if !keep {
			out = append(out[:it.start], out[it.end:]...)
			continue
		}
		if state != it.state && it.stAt.end > it.stAt.start {
			out = append(out[:it.stAt.start], append([]byte(state), out[it.stAt.end:]...)...)
		}
	}
	return out
}
