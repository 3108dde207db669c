package sandbox

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EKSTokenPrefix starts every EKS bearer token: "k8s-aws-v1." followed by
// the unpadded base64url of a presigned STS GetCallerIdentity URL.
const EKSTokenPrefix = "k8s-aws-v1."

// eksTokenMaxAge is how old a token's X-Amz-Date may be (EKS: 15 minutes).
const eksTokenMaxAge = 15 * time.Minute

// tokenWebhook is the API server's token authentication webhook: it answers
// TokenReviews for EKS tokens (everything else is refused, leaving the static
// token file to the API server).
type tokenWebhook struct {
	url      string
	server   *http.Server
	served   chan struct{}
	mu       sync.Mutex
	opts     ControlPlaneOptions // STSEndpoint may change (setSTSEndpoint)
	now      func() time.Time
	accepted int
	refused  int
}

func startTokenWebhook(cert tls.Certificate, opts ControlPlaneOptions) (*tokenWebhook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen for the token webhook: %w", err)
	}
	w := &tokenWebhook{
		url:    "https://" + ln.Addr().String() + "/tokenreview",
		served: make(chan struct{}),
		opts:   opts,
		now:    time.Now,
	}
	w.server = &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() {
		defer close(w.served)
		if err := w.server.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			opts.Logf("sandbox: token webhook stopped: %v", err)
		}
	}()
	return w, nil
}

func (w *tokenWebhook) close() error {
	err := w.server.Close()
	<-w.served
	return err
}

func (w *tokenWebhook) setSTSEndpoint(endpoint string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.opts.STSEndpoint = endpoint
}

// tokenReview is the part of an authentication.k8s.io/v1 TokenReview the
// webhook reads and writes.
type tokenReview struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Token string `json:"token"`
	} `json:"spec"`
	Status tokenReviewStatus `json:"status"`
}

type tokenReviewStatus struct {
	Authenticated bool             `json:"authenticated"`
	User          *tokenReviewUser `json:"user,omitempty"`
	Error         string           `json:"error,omitempty"`
}

type tokenReviewUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

func (w *tokenWebhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(rw, "POST a TokenReview", http.StatusMethodNotAllowed)
		return
	}
	var tr tokenReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&tr); err != nil {
		http.Error(rw, "bad TokenReview: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	opts, now := w.opts, w.now()
	w.mu.Unlock()
	user, err := reviewEKSToken(tr.Spec.Token, opts, now)
	w.mu.Lock()
	if err != nil {
		w.refused++
		tr.Status = tokenReviewStatus{Error: err.Error()}
	} else {
		w.accepted++
		tr.Status = tokenReviewStatus{Authenticated: true, User: user}
	}
	w.mu.Unlock()
	if err != nil && strings.HasPrefix(tr.Spec.Token, EKSTokenPrefix) {
		opts.Logf("sandbox: EKS token refused: %v", err)
	}
	if tr.APIVersion == "" {
		tr.APIVersion = "authentication.k8s.io/v1"
	}
	tr.Kind = "TokenReview"
	tr.Spec.Token = ""
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(tr)
}

var (
	amzDatePattern   = regexp.MustCompile(`^\d{8}T\d{6}Z$`)
	signaturePattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// reviewEKSToken checks an EKS token as far as the sandbox can without the
// signing secret and the x-k8s-aws-id header's value (which EKS sends itself
// when it calls STS): a presigned SigV4 GetCallerIdentity URL for opts'
// STSEndpoint, signed with x-k8s-aws-id among its headers, no older than
// 15 minutes and expiring within 15. It maps the token to the cluster
// creator's admin access (arn:aws:iam::ACCOUNT:user/moto in system:masters).
func reviewEKSToken(token string, opts ControlPlaneOptions, now time.Time) (*tokenReviewUser, error) {
	enc, ok := strings.CutPrefix(token, EKSTokenPrefix)
	if !ok {
		return nil, errors.New("not an EKS token (no k8s-aws-v1. prefix)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil {
		return nil, fmt.Errorf("EKS token: not base64url: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("EKS token: not a URL: %v", err)
	}
	if opts.STSEndpoint == "" {
		return nil, errors.New("EKS token: the sandbox has no STS endpoint to accept")
	}
	sts, err := url.Parse(opts.STSEndpoint)
	if err != nil {
		return nil, fmt.Errorf("EKS token: STS endpoint %q: %v", opts.STSEndpoint, err)
	}
	if u.Scheme != sts.Scheme || u.Host != sts.Host {
		return nil, fmt.Errorf("EKS token: URL %s://%s is not the sandbox's STS endpoint %s", u.Scheme, u.Host, opts.STSEndpoint)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("EKS token: path %q is not /", u.Path)
	}
	q := u.Query()
	if v := q.Get("Action"); v != "GetCallerIdentity" {
		return nil, fmt.Errorf("EKS token: Action %q is not GetCallerIdentity", v)
	}
	if v := q.Get("Version"); v != "2011-06-15" {
		return nil, fmt.Errorf("EKS token: Version %q is not 2011-06-15", v)
	}
	if v := q.Get("X-Amz-Algorithm"); v != "AWS4-HMAC-SHA256" {
		return nil, fmt.Errorf("EKS token: X-Amz-Algorithm %q is not AWS4-HMAC-SHA256", v)
	}
	cred := strings.Split(q.Get("X-Amz-Credential"), "/")
	if len(cred) != 5 || cred[0] == "" || cred[3] != "sts" || cred[4] != "aws4_request" {
		return nil, fmt.Errorf("EKS token: X-Amz-Credential %q is not KEY/DATE/REGION/sts/aws4_request", q.Get("X-Amz-Credential"))
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	if !slices.Contains(signed, "x-k8s-aws-id") {
		return nil, fmt.Errorf("EKS token: X-Amz-SignedHeaders %q lacks x-k8s-aws-id (sign the cluster name %q)", q.Get("X-Amz-SignedHeaders"), opts.ClusterName)
	}
	if !slices.Contains(signed, "host") {
		return nil, fmt.Errorf("EKS token: X-Amz-SignedHeaders %q lacks host", q.Get("X-Amz-SignedHeaders"))
	}
	if !signaturePattern.MatchString(q.Get("X-Amz-Signature")) {
		return nil, errors.New("EKS token: X-Amz-Signature is not 64 hex digits")
	}
	dateStr := q.Get("X-Amz-Date")
	if !amzDatePattern.MatchString(dateStr) {
		return nil, fmt.Errorf("EKS token: X-Amz-Date %q is not YYYYMMDDTHHMMSSZ", dateStr)
	}
	date, err := time.Parse("20060102T150405Z", dateStr)
	if err != nil {
		return nil, fmt.Errorf("EKS token: X-Amz-Date %q: %v", dateStr, err)
	}
	if cred[1] != dateStr[:8] {
		return nil, fmt.Errorf("EKS token: credential date %s is not X-Amz-Date's %s", cred[1], dateStr[:8])
	}
	if age := now.Sub(date); age > eksTokenMaxAge {
		return nil, fmt.Errorf("EKS token: signed %v ago, more than %v", age.Round(time.Second), eksTokenMaxAge)
	} else if age < -5*time.Minute {
		return nil, fmt.Errorf("EKS token: signed %v in the future", (-age).Round(time.Second))
	}
	// The Go SDK's presigner sets no X-Amz-Expires; AWS then allows 15
	// minutes, and EKS never more.
	exp, err := int(eksTokenMaxAge/time.Second), error(nil)
	if v := q.Get("X-Amz-Expires"); v != "" {
		exp, err = strconv.Atoi(v)
	}
	if err != nil || exp <= 0 || exp > int(eksTokenMaxAge/time.Second) {
		return nil, fmt.Errorf("EKS token: X-Amz-Expires %q is not between 1 and 900 seconds", q.Get("X-Amz-Expires"))
	}
	if now.After(date.Add(time.Duration(exp) * time.Second)) {
		return nil, errors.New("EKS token: expired")
	}
	account := opts.AccountID
	if account == "" {
		account = DefaultAccountID
	}
	arn := "arn:aws:iam::" + account + ":user/moto"
	return &tokenReviewUser{
		Username: arn,
		UID:      "aws-iam-authenticator:" + account + ":" + cred[0],
		Groups:   []string{"system:masters"},
		Extra: map[string][]string{
			"arn":         {arn},
			"accessKeyId": {cred[0]},
		},
	}, nil
}
