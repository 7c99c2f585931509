package awserr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// apiErr is an AWS error as the SDK returns it: the API error inside an
// OperationError, inside the HTTP response error, as errors.As finds it.
func apiErr(service, op, code, msg string) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &smithy.GenericAPIError{Code: code, Message: msg}}
}

// httpErr is a failure with an HTTP status and no error code (e.g. a 429
// from a proxy or a 5xx whose body the SDK could not read).
func httpErr(status int) error {
	return &smithy.OperationError{ServiceID: "SageMaker", OperationName: "DescribeModel", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      errors.New("http error"),
		},
	}}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name                   string
		err                    error
		notFound, throttled    bool
		unmodifiable, conflict bool
		accessDenied           bool
		code                   string
	}{
		{name: "nil", err: nil},
		{name: "plain error", err: errors.New("connection refused")},
		{name: "sagemaker model missing", err: apiErr("SageMaker", "DescribeModel", "ValidationException", "Could not find model 'arn:aws:sagemaker:us-east-1:123456789012:model/m'."), notFound: true, code: "ValidationException"},
		{name: "sagemaker notebook missing", err: apiErr("SageMaker", "DescribeNotebookInstance", "ValidationException", "RecordNotFound"), notFound: true, code: "ValidationException"},
		{name: "sagemaker validation about input is not not-found", err: apiErr("SageMaker", "CreateModel", "ValidationException", "1 validation error detected: Value at 'modelName' failed to satisfy constraint"), code: "ValidationException"},
		{name: "sagemaker notebook in wrong status is a conflict", err: apiErr("SageMaker", "StopNotebookInstance", "ValidationException", "Status (Pending) not in ([InService]). Unable to transition to (Stopping)"), conflict: true, code: "ValidationException"},
		{name: "ec2 endpoint missing", err: apiErr("EC2", "DescribeVpcEndpoints", "InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id 'vpce-1' does not exist"), notFound: true, code: "InvalidVpcEndpointId.NotFound"},
		{name: "ec2 vpc missing", err: apiErr("EC2", "DescribeVpcAttribute", "InvalidVpcID.NotFound", "The vpc ID 'vpc-1' does not exist"), notFound: true, code: "InvalidVpcID.NotFound"},
		{name: "ec2 other .NotFound code", err: apiErr("EC2", "DescribeSubnets", "InvalidSubnetID.NotFound", "no subnet"), notFound: true, code: "InvalidSubnetID.NotFound"},
		{name: "iam entity missing", err: apiErr("IAM", "ListAttachedRolePolicies", "NoSuchEntity", "The role with name r cannot be found."), notFound: true, code: "NoSuchEntity"},
		{name: "iam unmodifiable", err: apiErr("IAM", "AttachRolePolicy", "UnmodifiableEntity", "Cannot perform the operation on the protected role"), unmodifiable: true, code: "UnmodifiableEntity"},
		{name: "sagemaker throttling", err: apiErr("SageMaker", "DescribeModel", "ThrottlingException", "Rate exceeded"), throttled: true, code: "ThrottlingException"},
		{name: "ec2 request limit", err: apiErr("EC2", "DescribeVpcEndpoints", "RequestLimitExceeded", "Request limit exceeded."), throttled: true, code: "RequestLimitExceeded"},
		{name: "iam throttling", err: apiErr("IAM", "AttachUserPolicy", "Throttling", "Rate exceeded"), throttled: true, code: "Throttling"},
		{name: "HTTP 429 without a code", err: httpErr(http.StatusTooManyRequests), throttled: true},
		{name: "HTTP 500 without a code", err: httpErr(http.StatusInternalServerError)},
		{name: "access denied", err: apiErr("IAM", "AttachRolePolicy", "AccessDenied", "not authorized"), accessDenied: true, code: "AccessDenied"},
		{name: "S3 HEAD refused", err: apiErr("S3", "HeadBucket", "Forbidden", ""), accessDenied: true, code: "Forbidden"},
		{name: "wrapped by the caller", err: fmt.Errorf("describe model m: %w", apiErr("SageMaker", "DescribeModel", "ValidationException", "Could not find model 'm'.")), notFound: true, code: "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsNotFound(tt.err); got != tt.notFound {
				t.Errorf("IsNotFound = %v; want %v", got, tt.notFound)
			}
			if got := IsThrottled(tt.err); got != tt.throttled {
				t.Errorf("IsThrottled = %v; want %v", got, tt.throttled)
			}
			if got := IsUnmodifiable(tt.err); got != tt.unmodifiable {
				t.Errorf("IsUnmodifiable = %v; want %v", got, tt.unmodifiable)
			}
			if got := IsConflict(tt.err); got != tt.conflict {
				t.Errorf("IsConflict = %v; want %v", got, tt.conflict)
			}
			if got := IsAccessDenied(tt.err); got != tt.accessDenied {
				t.Errorf("IsAccessDenied = %v; want %v", got, tt.accessDenied)
			}
			if got := Code(tt.err); got != tt.code {
				t.Errorf("Code = %q; want %q", got, tt.code)
			}
		})
	}
}
