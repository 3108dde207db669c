package kube

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// refreshBefore is how long before its expiration a cached token is
// replaced.
const refreshBefore = time.Minute

// RESTConfig is the client configuration for an EKS API server: endpoint
// and caData as DescribeCluster reports them (caData is the base64 of the
// PEM bundle), authenticated with tokens from token. The token is cached
// and replaced when it is within a minute of expiring, or after the server
// answered 401, so long waits and installs outlive any one token.
func RESTConfig(endpoint, caData string, token TokenSource) (*rest.Config, error) {
	if err := CheckCluster(endpoint, caData); err != nil {
		return nil, fmt.Errorf("Kubernetes client: %w", err)
	}
	if token == nil {
		return nil, errors.New("Kubernetes client: no token source")
	}
	ca, _ := decodeCA(caData)
	bt := &bearer{source: token, now: time.Now}
	return &rest.Config{
		Host:            endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		UserAgent:       "eksenv",
		// Installing charts and CRDs makes bursts of requests; client-go's
		// default of 5 QPS would throttle them for no benefit.
		QPS:   50,
		Burst: 100,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return &bearerRoundTripper{b: bt, next: rt}
		},
	}, nil
}

// NewClients builds the typed and the dynamic client from cfg.
func NewClients(cfg *rest.Config) (kubernetes.Interface, dynamic.Interface, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("Kubernetes client for %s: %w", cfg.Host, err)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("Kubernetes dynamic client for %s: %w", cfg.Host, err)
	}
	return cs, dc, nil
}

// bearer caches one token for every transport built from one RESTConfig.
type bearer struct {
	source TokenSource
	now    func() time.Time

	mu  sync.Mutex
	cur Credential
}

// token returns the cached token, fetching a new one when it is missing or
// near its expiration.
func (b *bearer) token(r *http.Request) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur.Token != "" && b.now().Add(refreshBefore).Before(b.cur.Expiration) {
		return b.cur.Token, nil
	}
	c, err := b.source(r.Context())
	if err != nil {
		return "", err
	}
	if c.Token == "" {
		return "", errors.New("the token source returned an empty token")
	}
	b.cur = c
	return c.Token, nil
}

// forget drops tok if it is still the cached one.
func (b *bearer) forget(tok string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur.Token == tok {
		b.cur = Credential{}
	}
}

type bearerRoundTripper struct {
	b    *bearer
	next http.RoundTripper
}

func (rt *bearerRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") != "" {
		return rt.next.RoundTrip(r)
	}
	tok, err := rt.b.token(r)
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, fmt.Errorf("EKS token: %w", err)
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	resp, err := rt.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		rt.b.forget(tok)
	}
	return resp, err
}

// WrappedRoundTripper lets client-go's debugging wrappers see through.
func (rt *bearerRoundTripper) WrappedRoundTripper() http.RoundTripper { return rt.next }

// CheckCluster checks what DescribeCluster reported before eksenv uses it:
// an https endpoint and a base64 PEM CA bundle. While a cluster is
// CREATING, EKS reports neither.
func CheckCluster(endpoint, caData string) error {
	if endpoint == "" {
		return errors.New("the cluster has no endpoint yet (is it still creating?)")
	}
	if !strings.HasPrefix(endpoint, "https://") {
		return fmt.Errorf("the cluster endpoint %q is not an https URL", endpoint)
	}
	ca, err := decodeCA(caData)
	if err != nil {
		return err
	}
	if !bytes.Contains(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		return errors.New("the cluster CA is not a PEM certificate bundle")
	}
	return nil
}

// decodeCA decodes DescribeCluster's base64 PEM bundle.
func decodeCA(caData string) ([]byte, error) {
	ca, err := base64.StdEncoding.DecodeString(caData)
	if err != nil {
		return nil, fmt.Errorf("decode the cluster CA (base64): %w", err)
	}
	if len(ca) == 0 {
		return nil, errors.New("the cluster reports no certificate authority")
	}
	return ca, nil
}
