package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Clients are every SDK client eksenv uses, built in one place from one
// configuration: the SDK's standard credential chain (environment, shared
// profiles, SSO, instance metadata) and AWS_ENDPOINT_URL, which points all
// of them at an emulator.
type Clients struct {
	Config  sdk.Config
	EC2     *ec2.Client
	IAM     *iam.Client
	EKS     *eks.Client
	STS     *sts.Client
	SQS     *sqs.Client
	Events  *eventbridge.Client
	EFS     *efs.Client
	S3      *s3.Client
	ELB     *elasticloadbalancingv2.Client
	Tagging *resourcegroupstaggingapi.Client
}

// LoadConfig loads the SDK configuration for region ("" keeps the chain's).
// The SDK's own retries are kept low: the executor retries with its own
// backoff and reports each retry.
func LoadConfig(ctx context.Context, region string) (sdk.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithRetryMaxAttempts(2)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return sdk.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewClients builds every client from cfg. S3 uses path-style addressing
// when an endpoint is overridden (emulators do not resolve bucket hosts).
func NewClients(cfg sdk.Config) *Clients {
	custom := cfg.BaseEndpoint != nil
	return &Clients{
		Config: cfg,
		EC2:    ec2.NewFromConfig(cfg),
		IAM:    iam.NewFromConfig(cfg),
		EKS:    eks.NewFromConfig(cfg),
		STS:    sts.NewFromConfig(cfg),
		SQS:    sqs.NewFromConfig(cfg),
		Events: eventbridge.NewFromConfig(cfg),
		EFS:    efs.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = custom
		}),
		ELB:     elasticloadbalancingv2.NewFromConfig(cfg),
		Tagging: resourcegroupstaggingapi.NewFromConfig(cfg),
	}
}

// AccountID asks STS who the caller is. It is the first call every command
// makes, so missing or invalid credentials fail here, with a clear message.
func AccountID(ctx context.Context, c interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}) (string, error) {
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("find the AWS account (sts:GetCallerIdentity): %w; check your credentials (AWS_PROFILE, aws sso login, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)", err)
	}
	return sdk.ToString(out.Account), nil
}
