package kube

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

var signAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func testConfig(endpoint string) sdk.Config {
	cfg := sdk.Config{Region: "us-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")}
	if endpoint != "" {
		cfg.BaseEndpoint = sdk.String(endpoint)
	}
	return cfg
}

// decodeToken checks the prefix and returns the presigned URL.
func decodeToken(t *testing.T, tok string) *url.URL {
	t.Helper()
	rest, ok := strings.CutPrefix(tok, TokenPrefix)
	if !ok {
		t.Fatalf("token %q lacks the %q prefix", tok, TokenPrefix)
	}
	if strings.ContainsAny(rest, "=+/") {
		t.Fatalf("token is not unpadded base64url: %q", rest)
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		t.Fatalf("decode token: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatalf("parse presigned URL %q: %v", raw, err)
	}
	return u
}

func TestTokenFormat(t *testing.T) {
	cred, err := Token(context.Background(), NewPresigner(testConfig("")), "demo", signAt)
	if err != nil {
		t.Fatal(err)
	}
	u := decodeToken(t, cred.Token)
	if u.Scheme != "https" || u.Host != "sts.us-west-2.amazonaws.com" || (u.Path != "/" && u.Path != "") {
		t.Errorf("URL %s: want the regional STS endpoint https://sts.us-west-2.amazonaws.com/", u)
	}
	q := u.Query()
	for k, want := range map[string]string{
		"Action":              "GetCallerIdentity",
		"Version":             "2011-06-15",
		"X-Amz-Expires":       "60",
		"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
		"X-Amz-Date":          "20261201T090000Z",
		"X-Amz-Credential":    "AKIDEXAMPLE/20261201/us-west-2/sts/aws4_request",
		"X-Amz-SignedHeaders": "host;x-k8s-aws-id",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("%s = %q, want %q (URL %s)", k, got, want, u)
		}
	}
	if len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("X-Amz-Signature = %q, want 64 hex digits", q.Get("X-Amz-Signature"))
	}
	if q.Has(ClusterIDHeader) {
		t.Errorf("the cluster header leaked into the query: %s", u)
	}
	if want := signAt.Add(14 * time.Minute); !cred.Expiration.Equal(want) {
		t.Errorf("expiration %s, want %s", cred.Expiration, want)
	}

	// The cluster is part of the signature: another cluster, another token.
	other, err := Token(context.Background(), NewPresigner(testConfig("")), "other", signAt)
	if err != nil {
		t.Fatal(err)
	}
	if decodeToken(t, other.Token).Query().Get("X-Amz-Signature") == q.Get("X-Amz-Signature") {
		t.Error("tokens for two clusters carry the same signature")
	}
}

func TestTokenHonoursEndpointAndSessionToken(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:4566")
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKID", "secret", "session")
	cred, err := Token(context.Background(), NewPresigner(cfg), "demo", signAt)
	if err != nil {
		t.Fatal(err)
	}
	u := decodeToken(t, cred.Token)
	if u.Host != "127.0.0.1:4566" {
		t.Errorf("URL %s: want the configured endpoint", u)
	}
	if u.Query().Get("X-Amz-Security-Token") != "session" {
		t.Errorf("URL %s lacks the session token", u)
	}
}

func TestTokenErrors(t *testing.T) {
	if _, err := Token(context.Background(), NewPresigner(testConfig("")), "", signAt); err == nil {
		t.Error("no cluster: want an error")
	}
	cfg := testConfig("")
	for name, creds := range map[string]sdk.CredentialsProvider{"none": nil, "anonymous": sdk.AnonymousCredentials{}} {
		cfg.Credentials = creds
		_, err := Token(context.Background(), NewPresigner(cfg), "demo", signAt)
		if err == nil || !strings.Contains(err.Error(), "AWS_PROFILE") {
			t.Errorf("%s credentials: err = %v", name, err)
		}
	}
}

func TestSTSTokenSource(t *testing.T) {
	src := STSTokenSource(NewPresigner(testConfig("")), "demo", func() time.Time { return signAt })
	c, err := src(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if decodeToken(t, c.Token).Query().Get("X-Amz-Date") != "20261201T090000Z" || !c.Expiration.Equal(signAt.Add(TokenLifetime)) {
		t.Errorf("token source did not sign at its clock: %+v", c)
	}
}

func TestExecCredential(t *testing.T) {
	ec := NewExecCredential(Credential{Token: "k8s-aws-v1.abc", Expiration: signAt.Add(TokenLifetime).In(time.FixedZone("x", 3600))})
	if ec.Status.ExpirationTimestamp != "2026-12-01T09:14:00Z" || ec.Kind != "ExecCredential" || ec.APIVersion != "client.authentication.k8s.io/v1" {
		t.Errorf("%+v", ec)
	}
}
