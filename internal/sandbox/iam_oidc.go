package sandbox

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
)

// oidcOverlay holds the client ids added to and removed from an OIDC
// provider after moto created it: moto 5.2.1 has no
// AddClientIDToOpenIDConnectProvider or RemoveClientIDFromOpenIDConnectProvider.
type oidcOverlay struct {
	added, removed []string
}

// apply returns base with the overlay's changes.
func (o *oidcOverlay) apply(base []string) []string {
	out := []string{}
	for _, id := range base {
		if !slices.Contains(o.removed, id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range o.added {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

var (
	clientIDListRE = regexp.MustCompile(`(?s)<ClientIDList\s*/>|<ClientIDList>.*?</ClientIDList>`)
	memberRE       = regexp.MustCompile(`(?s)<member>(.*?)</member>`)
)

// clientIDs reads the ClientIDList of a GetOpenIDConnectProvider reply.
func clientIDs(doc []byte) []string {
	var ids []string
	for _, m := range memberRE.FindAllSubmatch(clientIDListRE.Find(doc), -1) {
		ids = append(ids, html.UnescapeString(string(m[1])))
	}
	return ids
}

// withClientIDs replaces the ClientIDList of a GetOpenIDConnectProvider reply.
func withClientIDs(doc []byte, ids []string) []byte {
	var b bytes.Buffer
	b.WriteString("<ClientIDList>")
	for _, id := range ids {
		b.WriteString("<member>")
		_ = xml.EscapeText(&b, []byte(id))
		b.WriteString("</member>")
	}
	b.WriteString("</ClientIDList>")
	if !clientIDListRE.Match(doc) {
		return bytes.Replace(doc, []byte("<GetOpenIDConnectProviderResult>"), append([]byte("<GetOpenIDConnectProviderResult>"), b.Bytes()...), 1)
	}
	return clientIDListRE.ReplaceAllLiteral(doc, b.Bytes())
}

// handleOIDC answers the OIDC provider calls the overlay touches.
func (p *proxy) handleOIDC(w http.ResponseWriter, r *http.Request, c *call) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	arn := c.form.Get("OpenIDConnectProviderArn")
	switch c.operation {
	case "GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider":
		m, err := p.motoDo(r.Context(), r, r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, c.body)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		body := m.body
		if o := p.oidc[arn]; o != nil && m.ok() {
			if c.operation == "DeleteOpenIDConnectProvider" {
				delete(p.oidc, arn)
			} else {
				body = withClientIDs(body, o.apply(clientIDs(body)))
			}
		}
		relay(w, m, body)
		return
	}
	id := c.form.Get("ClientID")
	if id == "" || len(id) > 255 {
		writeQueryError(w, http.StatusBadRequest, "ValidationError", "ClientID must be 1 to 255 characters long", true)
		return
	}
	get := url.Values{"Action": {"GetOpenIDConnectProvider"}, "Version": {"2010-05-08"}, "OpenIDConnectProviderArn": {arn}}
	m, err := p.motoDo(r.Context(), r, http.MethodPost, "/", "", "", []byte(get.Encode()))
	if err != nil {
		p.badGateway(w, c, err)
		return
	}
	if !m.ok() { // NoSuchEntity and the like, as moto words them
		relay(w, m, m.body)
		return
	}
	o := p.oidc[arn]
	if o == nil {
		o = &oidcOverlay{}
		p.oidc[arn] = o
	}
	base := clientIDs(m.body)
	if c.operation == "AddClientIDToOpenIDConnectProvider" {
		o.removed = slices.DeleteFunc(o.removed, func(s string) bool { return s == id })
		if !slices.Contains(base, id) && !slices.Contains(o.added, id) {
			o.added = append(o.added, id)
		}
	} else {
		o.added = slices.DeleteFunc(o.added, func(s string) bool { return s == id })
		if slices.Contains(base, id) && !slices.Contains(o.removed, id) {
			o.removed = append(o.removed, id)
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		c.operation, requestID(), c.operation)
}
