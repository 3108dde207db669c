// Package kube is eksenv's Kubernetes side: the EKS bearer token, REST
// clients that keep it fresh, and the kubeconfig entry that lets kubectl
// reach an environment's cluster through `eksenv token`.
package kube

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader names the cluster in the signed request; the API
	// server rejects a token signed for another cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignExpiry is X-Amz-Expires. EKS ignores it and accepts a
	// presigned URL for 15 minutes after X-Amz-Date; 60 is what
	// aws eks get-token and aws-iam-authenticator send.
	presignExpiry = 60 * time.Second
	// TokenLifetime is how long a token is reported valid: one minute short
	// of the 15 the API server allows, as aws eks get-token reports.
	TokenLifetime = 14 * time.Minute
)

// STSPresigner is the one call of sts.PresignClient that Token uses.
type STSPresigner interface {
	PresignGetCallerIdentity(ctx context.Context, params *sts.GetCallerIdentityInput, optFns ...func(*sts.PresignOptions)) (*v4.PresignedHTTPRequest, error)
}

// NewPresigner builds the presigner from an SDK configuration: the regional
// STS endpoint of cfg.Region (the SDK default), or AWS_ENDPOINT_URL's.
func NewPresigner(cfg sdk.Config) *sts.PresignClient {
	return sts.NewPresignClient(sts.NewFromConfig(cfg))
}

// Credential is a bearer token and the time it stops being valid.
type Credential struct {
	Token      string
	Expiration time.Time
}

// Token makes the bearer token EKS accepts, as aws eks get-token makes it:
// a SigV4 query-presigned STS GetCallerIdentity URL whose signed headers
// include x-k8s-aws-id: cluster, base64url-encoded (no padding) after the
// "k8s-aws-v1." prefix. The URL is signed at now, so Expiration (14 minutes
// later) agrees with its X-Amz-Date. Nothing is sent to AWS.
func Token(ctx context.Context, presigner STSPresigner, cluster string, now time.Time) (Credential, error) {
	if cluster == "" {
		return Credential{}, errors.New("make an EKS token: no cluster name")
	}
	now = now.UTC()
	req, err := presigner.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
			so.APIOptions = append(so.APIOptions,
				smithyhttp.AddHeaderValue(ClusterIDHeader, cluster),
				// An X-Amz-* header is hoisted into the query by the presigner.
				smithyhttp.SetHeaderValue("X-Amz-Expires", strconv.Itoa(int(presignExpiry/time.Second))),
			)
		})
		if o.Presigner != nil {
			o.Presigner = fixedTime{next: o.Presigner, at: now}
		}
	})
	if err != nil {
		return Credential{}, fmt.Errorf("sign the EKS token for cluster %s (sts:GetCallerIdentity presigned URL): %w; check your credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", cluster, err)
	}
	if req.Method != http.MethodGet {
		return Credential{}, fmt.Errorf("sign the EKS token for cluster %s: the presigned request is %s, not GET (a bug in eksenv)", cluster, req.Method)
	}
	// Without credentials the SDK skips signing and returns a bare URL.
	if u, err := url.Parse(req.URL); err != nil || !u.Query().Has("X-Amz-Signature") {
		return Credential{}, fmt.Errorf("sign the EKS token for cluster %s: no AWS credentials to sign with; set AWS_PROFILE, run aws sso login, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", cluster)
	}
	return Credential{
		Token:      TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		Expiration: now.Add(TokenLifetime),
	}, nil
}

// fixedTime signs at a given time instead of the SDK's clock.
type fixedTime struct {
	next sts.HTTPPresignerV4
	at   time.Time
}

func (f fixedTime) PresignHTTP(ctx context.Context, creds sdk.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return f.next.PresignHTTP(ctx, creds, r, payloadHash, service, region, f.at, optFns...)
}

// TokenSource hands out bearer tokens; RESTConfig calls it when the cached
// token is about to expire.
type TokenSource func(ctx context.Context) (Credential, error)

// STSTokenSource makes a fresh token for cluster on every call, signed at
// clock() (nil: time.Now).
func STSTokenSource(presigner STSPresigner, cluster string, clock func() time.Time) TokenSource {
	if clock == nil {
		clock = time.Now
	}
	return func(ctx context.Context) (Credential, error) {
		return Token(ctx, presigner, cluster, clock())
	}
}

// ExecCredential is the client.authentication.k8s.io/v1 object an exec
// credential plugin prints: kubectl reads the token and caches it until
// expirationTimestamp.
type ExecCredential struct {
	Kind       string               `json:"kind"`
	APIVersion string               `json:"apiVersion"`
	Spec       struct{}             `json:"spec"`
	Status     ExecCredentialStatus `json:"status"`
}

// ExecCredentialStatus carries the token.
type ExecCredentialStatus struct {
	// ExpirationTimestamp is RFC 3339 in UTC.
	ExpirationTimestamp string `json:"expirationTimestamp"`
	Token               string `json:"token"`
}

// ExecCredentialAPIVersion is the exec plugin protocol version eksenv speaks.
const ExecCredentialAPIVersion = "client.authentication.k8s.io/v1"

// NewExecCredential wraps c for kubectl.
func NewExecCredential(c Credential) ExecCredential {
	return ExecCredential{Kind: "ExecCredential", APIVersion: ExecCredentialAPIVersion,
		Status: ExecCredentialStatus{ExpirationTimestamp: c.Expiration.UTC().Format(time.RFC3339), Token: c.Token}}
}
