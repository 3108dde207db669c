package kube

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// apiServer is a TLS server answering /version and a namespace list,
// recording the Authorization header of every request.
type apiServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
	// reject answers 401 to this token.
	reject string
}

func newAPIServer(t *testing.T) *apiServer {
	s := &apiServer{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		s.mu.Lock()
		s.auths = append(s.auths, auth)
		reject := s.reject
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasPrefix(auth, "Bearer ") || (reject != "" && auth == "Bearer "+reject) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Unauthorized","code":401}`)
			return
		}
		switch r.URL.Path {
		case "/version":
			fmt.Fprint(w, `{"major":"1","minor":"33","gitVersion":"v1.33.2-eks"}`)
		case "/api/v1/namespaces":
			fmt.Fprint(w, `{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"default"}}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) caData() string {
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}))
}

func (s *apiServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auths...)
}

// countingSource hands out tok-1, tok-2, … valid for life.
type countingSource struct {
	mu   sync.Mutex
	n    int
	life time.Duration
}

func (c *countingSource) source(context.Context) (Credential, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return Credential{Token: fmt.Sprintf("tok-%d", c.n), Expiration: time.Now().Add(c.life)}, nil
}

func (c *countingSource) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestRESTConfigRoundTrip(t *testing.T) {
	srv := newAPIServer(t)
	src := &countingSource{life: TokenLifetime}
	cfg, err := RESTConfig(srv.URL, srv.caData(), src.source)
	if err != nil {
		t.Fatal(err)
	}
	cs, dc, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version over TLS with the cluster CA: %v", err)
	}
	if v.GitVersion != "v1.33.2-eks" {
		t.Errorf("version %+v", v)
	}
	list, err := dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("dynamic list: %v %v", list, err)
	}
	if _, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatalf("typed list: %v", err)
	}
	for _, a := range srv.seen() {
		if a != "Bearer tok-1" {
			t.Errorf("Authorization %q, want the one cached token", a)
		}
	}
	if src.calls() != 1 {
		t.Errorf("token fetched %d times for a fresh token, want 1", src.calls())
	}

	// A 401 drops the cached token; the next request gets a new one.
	srv.mu.Lock()
	srv.reject = "tok-1"
	srv.mu.Unlock()
	if _, err := cs.Discovery().ServerVersion(); err == nil {
		t.Error("rejected token: want an error")
	}
	if _, err := cs.Discovery().ServerVersion(); err != nil {
		t.Errorf("after a 401 the token should be replaced: %v", err)
	}
	if got := srv.seen(); got[len(got)-1] != "Bearer tok-2" {
		t.Errorf("after a 401: Authorization %q, want tok-2", got[len(got)-1])
	}
}

func TestRESTConfigRefreshesNearExpiry(t *testing.T) {
	srv := newAPIServer(t)
	// Tokens valid for less than the refresh margin are never reused.
	src := &countingSource{life: 30 * time.Second}
	cfg, err := RESTConfig(srv.URL, srv.caData(), src.source)
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := cs.Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
	}
	got := srv.seen()
	want := []string{"Bearer tok-1", "Bearer tok-2", "Bearer tok-3"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}

func TestBearerCacheClock(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	src := &countingSource{}
	b := &bearer{now: func() time.Time { return now }, source: func(ctx context.Context) (Credential, error) {
		c, _ := src.source(ctx)
		c.Expiration = now.Add(TokenLifetime)
		return c, nil
	}}
	r := httptest.NewRequest(http.MethodGet, "https://x/version", nil)
	step := func(d time.Duration, want string) {
		t.Helper()
		now = now.Add(d)
		tok, err := b.token(r)
		if err != nil || tok != want {
			t.Errorf("at %s: token %q %v, want %q", now.Format("15:04:05"), tok, err, want)
		}
	}
	step(0, "tok-1")
	step(12*time.Minute, "tok-1")             // 09:12, two minutes left
	step(time.Minute+30*time.Second, "tok-2") // 09:13:30, within a minute of 09:14
	step(time.Minute, "tok-2")
}

func TestRESTConfigErrors(t *testing.T) {
	srv := newAPIServer(t)
	src := (&countingSource{}).source
	for name, c := range map[string]struct{ endpoint, ca string }{
		"no endpoint":   {"", srv.caData()},
		"http endpoint": {"http://example.com", srv.caData()},
		"bad base64":    {srv.URL, "%%%"},
		"empty CA":      {srv.URL, ""},
		"not PEM":       {srv.URL, base64.StdEncoding.EncodeToString([]byte("hello"))},
	} {
		if _, err := RESTConfig(c.endpoint, c.ca, src); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if _, err := RESTConfig(srv.URL, srv.caData(), nil); err == nil {
		t.Error("no token source: want an error")
	}
}
