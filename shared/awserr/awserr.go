// Package awserr classifies AWS API errors by their error code, so callers
// can be idempotent (not found, already exists) and retry what is transient.
package awserr

import (
	"errors"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Code returns the AWS error code of err, or "".
func Code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func message(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorMessage()
	}
	return ""
}

// IsNotFound reports whether err says the resource does not exist. SageMaker
// answers a missing model or notebook with a ValidationException whose
// message says so, not with a dedicated code.
func IsNotFound(err error) bool {
	if err == nil {
		return false
	}
	code := Code(err)
	switch code {
	case "ResourceNotFound", "ResourceNotFoundException", "NoSuchEntity", "NotFoundException",
		"InvalidVpcEndpointId.NotFound", "InvalidVpcID.NotFound", "OpsItemNotFoundException", "NotFound":
		return true
	case "ValidationException":
		msg := strings.ToLower(message(err))
		return strings.Contains(msg, "could not find") || strings.Contains(msg, "recordnotfound") ||
			strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found")
	}
	return strings.HasSuffix(code, ".NotFound")
}

// IsThrottled reports whether err is AWS refusing for rate.
func IsThrottled(err error) bool {
	switch Code(err) {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
		"SlowDown", "RequestThrottled", "LimitExceededException":
		return true
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusTooManyRequests {
		return true
	}
	return false
}

// IsAccessDenied reports whether the caller lacks permission. S3 answers a
// HEAD request, which has no body to carry a code, with "Forbidden".
func IsAccessDenied(err error) bool {
	switch Code(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthorizationError", "Forbidden":
		return true
	}
	return false
}

// IsUnmodifiable reports whether AWS refuses to change the entity at all
// (IAM Identity Center roles, service-linked roles).
func IsUnmodifiable(err error) bool {
	return Code(err) == "UnmodifiableEntity"
}

// IsConflict reports whether the resource is in a state that refuses the
// change for now (a notebook still Pending, a conflicting operation).
func IsConflict(err error) bool {
	switch Code(err) {
	case "ConflictException", "ResourceInUse", "IncorrectState", "InvalidState":
		return true
	case "ValidationException":
		msg := strings.ToLower(message(err))
		return strings.Contains(msg, "status") || strings.Contains(msg, "state")
	}
	return false
}
