// Package iamapi gives the remediations (package remediate) the IAM calls
// they make, in remediate's terms. It is the only part of remediate that
// imports the IAM SDK, so a function that attaches no guardrail does not
// link it.
package iamapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Client is the part of the IAM client guardrails need.
type Client interface {
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	AttachUserPolicy(ctx context.Context, in *iam.AttachUserPolicyInput, opts ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
}

var _ Client = (*iam.Client)(nil)

// API is remediate.IAMAPI over an IAM client.
type API struct{ Client Client }

// New wraps c.
func New(c Client) API { return API{Client: c} }

// HasAttachedPolicy reports whether policyARN is attached to the role or
// user (kind "role" or "user") name, reading the attachments page by page
// until it is found.
func (a API) HasAttachedPolicy(ctx context.Context, kind, name, policyARN string) (bool, error) {
	var marker *string
	for {
		var policies []string
		var next *string
		if kind == "role" {
			out, err := a.Client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name), Marker: marker})
			if err != nil {
				return false, fmt.Errorf("list policies of role %s: %w", name, err)
			}
			for _, ap := range out.AttachedPolicies {
				policies = append(policies, aws.ToString(ap.PolicyArn))
			}
			if out.IsTruncated {
				next = out.Marker
			}
		} else {
			out, err := a.Client.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name), Marker: marker})
			if err != nil {
				return false, fmt.Errorf("list policies of user %s: %w", name, err)
			}
			for _, ap := range out.AttachedPolicies {
				policies = append(policies, aws.ToString(ap.PolicyArn))
			}
			if out.IsTruncated {
				next = out.Marker
			}
		}
		for _, p := range policies {
			if p == policyARN {
				return true, nil
			}
		}
		if next == nil {
			return false, nil
		}
		marker = next
	}
}

// AttachPolicy attaches policyARN to the role or user (kind "role" or
// "user") name.
func (a API) AttachPolicy(ctx context.Context, kind, name, policyARN string) error {
	var err error
	if kind == "role" {
		_, err = a.Client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(policyARN)})
	} else {
		_, err = a.Client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(policyARN)})
	}
	return err
}
