package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// controlPrefix is where the sandbox answers for itself (never counted,
// never faulted): GET calls, DELETE calls.
const controlPrefix = "/_sandbox/"

// motoControlPrefix is moto's own API (reset, dashboard); the proxy passes
// it through untouched, uncounted and unfaulted.
const motoControlPrefix = "/moto-api"

// proxy is the HTTP handler in front of moto.
type proxy struct {
	target          *url.URL
	rp              *httputil.ReverseProxy
	client          *http.Client
	accountID       string
	region          string
	logf            func(string, ...any)
	clusterEndpoint func(name string) (endpoint, caData string, ok bool)
	now             func() time.Time
	eksOps          map[string]eksOp

	mu       sync.Mutex // guards the fields below
	calls    map[string]int
	mutating int
	latency  Latency
	faults   faultConfig
	opErrors map[string]OperationError // inject.go
	rng      *rand.Rand
	seed     int64

	stateMu  sync.Mutex // guards the emulated state; held across moto calls it depends on
	clusters map[string]*clusterRec
	nats     map[string]*natRec
	oidc     map[string]*oidcOverlay // by provider ARN
	efs      map[string]*efsOverlay  // by region/file system id
	// bucketPolicies holds bucket policies by bucket (s3policy.go).
	bucketPolicies map[string][]byte
}

func newProxy(target *url.URL, opts Options) *proxy {
	p := &proxy{
		target:          target,
		client:          &http.Client{Timeout: 60 * time.Second},
		accountID:       opts.AccountID,
		region:          opts.Region,
		logf:            opts.Logf,
		clusterEndpoint: opts.ClusterEndpoint,
		now:             time.Now,
		calls:           map[string]int{},
		opErrors:        map[string]OperationError{},
		latency:         opts.Latency,
		rng:             newFaultRand(opts.Seed),
		seed:            opts.Seed,
		clusters:        map[string]*clusterRec{},
		nats:            map[string]*natRec{},
		oidc:            map[string]*oidcOverlay{},
		efs:             map[string]*efsOverlay{},
		bucketPolicies:  map[string][]byte{},
	}
	p.eksOps = p.eksOperations()
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// moto builds URLs (SQS queue URLs, S3 locations) from Host:
			// keep the proxy's, so clients come back through the proxy.
			pr.Out.Host = pr.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.logf("sandbox: forwarding %s %s to moto: %v", r.Method, r.URL.Path, err)
			writeRESTJSONError(w, http.StatusBadGateway, "SandboxBadGateway", "sandbox: moto did not answer: "+err.Error(), nil)
		},
	}
	return p
}

// ServeHTTP counts the call, injects a fault if one is due, answers the
// operations moto lacks and forwards the rest.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, controlPrefix):
		p.control(w, r)
		return
	case strings.HasPrefix(r.URL.Path, motoControlPrefix):
		if r.Method == http.MethodPost && strings.TrimSuffix(r.URL.Path, "/") == motoControlPrefix+"/reset" {
			p.resetState() // moto forgets everything: so does the proxy
		}
		p.rp.ServeHTTP(w, r)
		return
	}
	c, err := classify(r, p.region)
	if err != nil {
		writeRESTJSONError(w, http.StatusBadRequest, "SandboxBadRequest", "sandbox: read request: "+err.Error(), nil)
		return
	}
	if e, ok := p.operationError(c); ok {
		p.record(c)
		writeOperationError(w, c, e)
		return
	}
	if f, ok := p.record(c); ok {
		p.logf("sandbox: injecting %s into %s", f, c.key())
		writeFault(w, c, f)
		return
	}
	if h := p.handler(c); h != nil {
		h(w, r, c)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// record counts c and decides whether it gets a fault.
func (p *proxy) record(c *call) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[c.key()]++
	if c.mutating() {
		p.mutating++
	}
	return p.faults.pick(p.rng, c)
}

// handlerFunc answers one classified request.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call)

// handler returns the proxy's own handler for c, or nil to forward c to
// moto untouched.
func (p *proxy) handler(c *call) handlerFunc {
	switch c.service {
	case "eks":
		return p.eksHandler(c)
	case "ec2":
		switch c.operation {
		case "CreateNatGateway", "DeleteNatGateway", "DescribeNatGateways":
			return p.handleNAT
		}
	case "iam":
		switch c.operation {
		case "AddClientIDToOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider",
			"GetOpenIDConnectProvider", "DeleteOpenIDConnectProvider":
			return p.handleOIDC
		}
	case "s3":
		switch c.operation {
		case "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "DeleteBucket":
			return p.handleBucketPolicy
		}
	case "elasticfilesystem":
		switch c.operation {
		case "UpdateFileSystem", "DescribeFileSystems", "DeleteFileSystem":
			return p.handleEFS
		}
	}
	return nil
}

// getLatency returns the latency profile in force.
func (p *proxy) getLatency() Latency {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

// motoResponse is a response read in full.
type motoResponse struct {
	status int
	header http.Header
	body   []byte
}

// ok reports a 2xx status.
func (m *motoResponse) ok() bool { return m.status >= 200 && m.status < 300 }

// forward sends r (whose body classify kept in c) to moto and reads the reply.
func (p *proxy) forward(ctx context.Context, r *http.Request, c *call) (*motoResponse, error) {
	return p.motoDo(ctx, r, r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, c.body)
}

// motoDo sends a request to moto with r's headers (so moto sees the same
// credential scope, hence region and account) and reads the reply.
func (p *proxy) motoDo(ctx context.Context, r *http.Request, method, path, rawPath, rawQuery string, body []byte) (*motoResponse, error) {
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = path, rawPath, rawQuery
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("sandbox: build request to moto: %w", err)
	}
	for k, vs := range r.Header {
		if k == "Content-Length" || k == "Accept-Encoding" {
			continue
		}
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Host = r.Host
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sandbox: call moto: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("sandbox: read moto's reply: %w", err)
	}
	return &motoResponse{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// relay writes a moto response to w, with body in place of its own.
func relay(w http.ResponseWriter, m *motoResponse, body []byte) {
	for k, vs := range m.header {
		switch k {
		case "Content-Length", "Connection", "Transfer-Encoding", "Date", "Server":
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(m.status)
	_, _ = w.Write(body)
}

// badGateway answers when moto could not be reached.
func (p *proxy) badGateway(w http.ResponseWriter, c *call, err error) {
	p.logf("sandbox: %s: %v", c.key(), err)
	writeRESTJSONError(w, http.StatusBadGateway, "SandboxBadGateway", err.Error(), nil)
}

// control answers the sandbox's own endpoints, for processes that started
// the sandbox with hack/sandbox and cannot call its methods.
func (p *proxy) control(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, controlPrefix) {
	case "healthz":
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok\n")
	case "calls":
		switch r.Method {
		case http.MethodGet:
			p.mu.Lock()
			body := map[string]any{"calls": cloneCounts(p.calls), "mutating": p.mutating}
			p.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(body)
		case http.MethodDelete:
			p.resetCalls()
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	default:
		http.NotFound(w, r)
	}
}

// resetState forgets the emulated state.
func (p *proxy) resetState() {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	p.clusters = map[string]*clusterRec{}
	p.nats = map[string]*natRec{}
	p.oidc = map[string]*oidcOverlay{}
	p.efs = map[string]*efsOverlay{}
	p.bucketPolicies = map[string][]byte{}
}

func (p *proxy) resetCalls() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = map[string]int{}
	p.mutating = 0
}

func cloneCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
