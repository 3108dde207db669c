package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// efsOverlay is the throughput setting UpdateFileSystem gave a file system:
// moto 5.2.1 has no UpdateFileSystem, so the proxy keeps the setting and
// reports it in DescribeFileSystems.
type efsOverlay struct {
	mode  string
	mibps *float64
}

// writeEFSError writes an EFS error: the code in x-amzn-errortype and in the
// body's ErrorCode, with Message.
func writeEFSError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"ErrorCode": code, "Message": msg})
}

// applyEFS sets the overlay's throughput members on a FileSystemDescription.
func applyEFS(fs map[string]any, o *efsOverlay) {
	fs["ThroughputMode"] = o.mode
	if o.mibps != nil {
		fs["ProvisionedThroughputInMibps"] = *o.mibps
	} else {
		delete(fs, "ProvisionedThroughputInMibps")
	}
}

// handleEFS answers UpdateFileSystem and amends DescribeFileSystems and
// DeleteFileSystem for it.
func (p *proxy) handleEFS(w http.ResponseWriter, r *http.Request, c *call) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	key := func(id string) string { return c.region + "/" + id }
	switch c.operation {
	case "DescribeFileSystems":
		m, err := p.forward(r.Context(), r, c)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		var out map[string]any
		d := json.NewDecoder(bytes.NewReader(m.body))
		d.UseNumber()
		if !m.ok() || d.Decode(&out) != nil {
			relay(w, m, m.body)
			return
		}
		list, _ := out["FileSystems"].([]any)
		for _, item := range list {
			if fs, ok := item.(map[string]any); ok {
				if o := p.efs[key(str(fs["FileSystemId"]))]; o != nil {
					applyEFS(fs, o)
				}
			}
		}
		body, err := json.Marshal(out)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		relay(w, m, body)
	case "DeleteFileSystem":
		m, err := p.forward(r.Context(), r, c)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		if m.ok() {
			delete(p.efs, key(c.labels["FileSystemId"]))
		}
		relay(w, m, m.body)
	case "UpdateFileSystem":
		id := c.labels["FileSystemId"]
		var in struct {
			ThroughputMode               string   `json:"ThroughputMode"`
			ProvisionedThroughputInMibps *float64 `json:"ProvisionedThroughputInMibps"`
		}
		if err := json.Unmarshal(c.body, &in); err != nil {
			writeEFSError(w, http.StatusBadRequest, "BadRequest", "The request body is not valid JSON: "+err.Error())
			return
		}
		q := url.Values{"FileSystemId": {id}}
		m, err := p.motoDo(r.Context(), r, http.MethodGet, "/2015-02-01/file-systems", "", q.Encode(), nil)
		if err != nil {
			p.badGateway(w, c, err)
			return
		}
		var out struct {
			FileSystems []map[string]any `json:"FileSystems"`
		}
		d := json.NewDecoder(bytes.NewReader(m.body))
		d.UseNumber()
		if !m.ok() || d.Decode(&out) != nil || len(out.FileSystems) != 1 {
			relay(w, m, m.body)
			return
		}
		fs := out.FileSystems[0]
		o := &efsOverlay{mode: str(fs["ThroughputMode"])}
		if old := p.efs[key(id)]; old != nil {
			*o = *old
		}
		if in.ThroughputMode != "" {
			o.mode = in.ThroughputMode
		}
		if in.ProvisionedThroughputInMibps != nil {
			o.mibps = in.ProvisionedThroughputInMibps
		}
		switch {
		case o.mode != "bursting" && o.mode != "provisioned" && o.mode != "elastic":
			writeEFSError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Invalid throughput mode %q", o.mode))
			return
		case o.mode == "provisioned" && (o.mibps == nil || *o.mibps < 1):
			writeEFSError(w, http.StatusBadRequest, "BadRequest", "ProvisionedThroughputInMibps of at least 1 is required with throughput mode provisioned")
			return
		case o.mode != "provisioned":
			if in.ProvisionedThroughputInMibps != nil {
				writeEFSError(w, http.StatusBadRequest, "BadRequest", "ProvisionedThroughputInMibps can only be set with throughput mode provisioned")
				return
			}
			o.mibps = nil
		}
		p.efs[key(id)] = o
		applyEFS(fs, o)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_ = json.NewEncoder(w).Encode(fs)
	}
}
