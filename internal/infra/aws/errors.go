package aws

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/eksenv/eksenv/internal/infra"
)

// ErrorCode returns the AWS error code of err ("" when it has none).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// retryCodes are errors that pass: throttling, server faults, and AWS's
// eventual consistency (a new role not yet assumable, a dependency not yet
// released, one Fargate profile at a time).
func retryCodes() map[string]bool {
	return map[string]bool{
		"Throttling": true, "ThrottlingException": true, "RequestLimitExceeded": true, "TooManyRequestsException": true,
		"RequestThrottled": true, "SlowDown": true, "ProvisionedThroughputExceededException": true,
		"InternalError": true, "InternalFailure": true, "ServiceUnavailable": true, "ServiceUnavailableException": true,
		"ServerException": true, "InternalServerError": true,
		"DependencyViolation": true, "ResourceInUseException": true, "IncorrectState": true,
		"InvalidRouteTableID.NotFound": true, "InvalidSubnetID.NotFound": true, "InvalidVpcID.NotFound": true,
		"InvalidGatewayID.NotFound": true, "InvalidNatGatewayID.NotFound": true, "InvalidAllocationID.NotFound": true,
		"InvalidGroup.NotFound": true, "MountTargetConflict": true, "FileSystemInUse": true,
		"IncorrectFileSystemLifeCycleState": true, "ConcurrentModification": true, "ConcurrentModificationException": true,
	}
}

// Classify tells the executor which errors to retry.
func Classify(err error) infra.ErrorClass {
	if err == nil || errors.Is(err, context.Canceled) {
		return infra.Fatal
	}
	if retryCodes()[ErrorCode(err)] {
		return infra.Retry
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool() {
		return infra.Retry
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return infra.Retry
	}
	msg := err.Error()
	// IAM's eventual consistency as the services report it.
	for _, s := range []string{"cannot be assumed", "is not authorized to perform: sts:AssumeRole", "role is not valid", "The role with name"} {
		if ErrorCode(err) == "InvalidParameterException" && strings.Contains(msg, s) {
			return infra.Retry
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return infra.Retry
	}
	return infra.Fatal
}

// notFound reports whether err says the resource does not exist.
func notFound(err error) bool {
	switch code := ErrorCode(err); {
	case code == "NoSuchEntity", code == "ResourceNotFoundException", code == "NotFoundException",
		code == "NoSuchBucket", code == "NotFound", code == "AWS.SimpleQueueService.NonExistentQueue",
		code == "QueueDoesNotExist", code == "FileSystemNotFound", code == "AccessPointNotFound", code == "MountTargetNotFound":
		return true
	case strings.HasSuffix(code, ".NotFound"):
		return true
	}
	return false
}
