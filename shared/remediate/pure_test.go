package remediate

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestPureParsePrincipal(t *testing.T) {
	tests := []struct {
		arn  string
		want Principal
	}{
		{"arn:aws:iam::111122223333:role/MLEngineer",
			Principal{Account: "111122223333", Kind: "role", Name: "MLEngineer", Path: "/"}},
		{"arn:aws:iam::111122223333:role/teams/ml/MLEngineer",
			Principal{Account: "111122223333", Kind: "role", Name: "MLEngineer", Path: "/teams/ml/"}},
		{"arn:aws:iam::111122223333:role/aws-service-role/sagemaker.amazonaws.com/AWSServiceRoleForAmazonSageMakerNotebooks",
			Principal{Account: "111122223333", Kind: "role", Name: "AWSServiceRoleForAmazonSageMakerNotebooks", Path: "/aws-service-role/sagemaker.amazonaws.com/"}},
		{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataScientist_0123456789abcdef",
			Principal{Account: "111122223333", Kind: "role", Name: "AWSReservedSSO_DataScientist_0123456789abcdef", Path: "/aws-reserved/sso.amazonaws.com/eu-west-1/"}},
		{"arn:aws:iam::111122223333:user/bob",
			Principal{Account: "111122223333", Kind: "user", Name: "bob", Path: "/"}},
		{"arn:aws:iam::111122223333:user/contractors/eve",
			Principal{Account: "111122223333", Kind: "user", Name: "eve", Path: "/contractors/"}},
		{"arn:aws-cn:iam::111122223333:role/Admin",
			Principal{Account: "111122223333", Kind: "role", Name: "Admin", Path: "/"}},
		{"arn:aws-us-gov:iam::111122223333:user/gov",
			Principal{Account: "111122223333", Kind: "user", Name: "gov", Path: "/"}},
		{"arn:aws:iam::111122223333:root",
			Principal{Account: "111122223333", Kind: "root"}},
		// Not IAM users or roles: no kind, so no guardrail.
		{"arn:aws:sts::111122223333:assumed-role/MLEngineer/alice", Principal{}},
		{"arn:aws:sts::111122223333:federated-user/carol", Principal{}},
		{"arn:aws:iam::111122223333:group/admins", Principal{Account: "111122223333"}},
		{"arn:aws:iam::111122223333:policy/p", Principal{Account: "111122223333"}},
		{"sagemaker.amazonaws.com", Principal{}},
		{"AIDAEXAMPLE", Principal{}},
		{"arn:aws:iam::111122223333", Principal{}},
		{"", Principal{}},
	}
	for _, tt := range tests {
		tt.want.ARN = tt.arn
		if got := ParsePrincipal(tt.arn); got != tt.want {
			t.Errorf("ParsePrincipal(%q):\ngot  %+v\nwant %+v", tt.arn, got, tt.want)
		}
	}
}

func TestPureRefusal(t *testing.T) {
	cfg := config.Default()
	cfg.ProtectedPrincipals = []string{"arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::111122223333:role/platform/*"}
	r := &Remediator{Config: cfg}
	const account = "111122223333"
	tests := []struct {
		name      string
		principal string
		want      string // substring of the refusal; "" means the guardrail may go on
	}{
		{"role", "arn:aws:iam::111122223333:role/MLEngineer", ""},
		{"role with a path", "arn:aws:iam::111122223333:role/teams/ml/MLEngineer", ""},
		{"user", "arn:aws:iam::111122223333:user/bob", ""},
		{"no caller", "", "caller is unknown"},
		{"root", "arn:aws:iam::111122223333:root", "root user"},
		{"service", "sagemaker.amazonaws.com", "not an IAM user or role"},
		{"session ARN", "arn:aws:sts::111122223333:assumed-role/MLEngineer/alice", "not an IAM user or role"},
		{"other account", "arn:aws:iam::444455556666:role/MLEngineer", "belongs to account 444455556666, not 111122223333"},
		{"service-linked role", "arn:aws:iam::111122223333:role/aws-service-role/sagemaker.amazonaws.com/AWSServiceRoleForAmazonSageMakerNotebooks", "service-linked role"},
		{"SSO role", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScientist_0123", "permission set"},
		{"protected by exact name", "arn:aws:iam::111122223333:role/BreakGlass", "matches arn:aws:iam::*:role/BreakGlass"},
		{"protected by path", "arn:aws:iam::111122223333:role/platform/ci/deployer", "matches arn:aws:iam::111122223333:role/platform/*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.refusal(ParsePrincipal(tt.principal), account)
			if tt.want == "" && got != "" {
				t.Errorf("refusal: got %q; want none", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("refusal: got %q; want it to contain %q", got, tt.want)
			}
		})
	}
	// Without a finding account, the principal's account is not compared.
	if got := r.refusal(ParsePrincipal("arn:aws:iam::444455556666:role/MLEngineer"), ""); got != "" {
		t.Errorf("refusal with no finding account: got %q; want none", got)
	}
}

// TestPurePastCreator: a creator found in CloudTrail's history gets the
// guardrail only when the operator opted in, and only for a recent call;
// a caller named by the event itself is not concerned.
func TestPurePastCreator(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name    string
		optIn   bool
		creator *evaluate.Creator
		want    string // substring of the refusal; "" means the guardrail may go on
	}{
		{"the event's caller", false, nil, ""},
		{"a past creator, not opted in", false, &evaluate.Creator{Age: day, Source: "CloudTrail event history"},
			"found in CloudTrail event history); guardrails on past creators are off (VPCGUARD_CREATOR_GUARDRAILS)"},
		{"a past creator, opted in", true, &evaluate.Creator{Age: 29 * day}, ""},
		{"exactly the maximum age", true, &evaluate.Creator{Age: 30 * day}, ""},
		{"older than the maximum age", true, &evaluate.Creator{Age: 31 * day}, "the creating call is 31 days old, older than VPCGUARD_CREATOR_MAX_AGE_DAYS=30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.CreatorLookup, cfg.CreatorGuardrails, cfg.CreatorMaxAgeDays = true, tt.optIn, 30
			got := (&Remediator{Config: cfg}).pastCreator(&evaluate.Result{Creator: tt.creator})
			if tt.want == "" && got != "" {
				t.Errorf("pastCreator: got %q; want none", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("pastCreator: got %q; want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestPureIsFullAccessPolicy(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"no policy", "", true},
		{"AWS's default", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, true},
		{"with a version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, true},
		{"lists of one star", `{"Statement":[{"Effect":"Allow","Principal":["*"],"Action":["*"],"Resource":["*"]}]}`, true},
		{"AWS principal star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}]}`, true},
		{"AWS principal list of star", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"*","Resource":"*"}]}`, true},
		{"lower-case keys", `{"statement":[{"effect":"Allow","principal":"*","action":"*","resource":"*"}]}`, true},
		{"one full statement among others", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"sagemaker:CreateModel","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, true},
		{"scoped action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sagemaker:*","Resource":"*"}]}`, false},
		{"several actions", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["*","sagemaker:*"],"Resource":"*"}]}`, false},
		{"scoped resource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:sagemaker:*:111122223333:*"}]}`, false},
		{"scoped principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}]}`, false},
		{"service principal", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":"*","Resource":"*"}]}`, false},
		{"with a condition", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`, false},
		{"deny everything", `{"Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`, false},
		{"no statements", `{"Statement":[]}`, false},
		{"not JSON", `Allow *`, false},
		{"statement as an object", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, false},
	}
	for _, tt := range tests {
		if got := IsFullAccessPolicy(tt.doc); got != tt.want {
			t.Errorf("IsFullAccessPolicy(%s) %s: got %v; want %v", tt.doc, tt.name, got, tt.want)
		}
	}
}

// TestPureRetryable: a remediation that failed because the service failed
// or refused for rate returns its error (the Lambda retries the event); one
// the request itself caused does not (a retry would meet the same answer).
func TestPureRetryable(t *testing.T) {
	respErr := func(status int, code string) error {
		return &smithy.OperationError{ServiceID: "EC2", OperationName: "DescribeVpcAttribute", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err: &smithy.GenericAPIError{Code: code, Message: "m"}},
		}}
	}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"EC2 503 Unavailable", respErr(503, "Unavailable"), true},
		{"503 ServiceUnavailable", respErr(503, "ServiceUnavailable"), true},
		{"500 InternalError", respErr(500, "InternalError"), true},
		{"502 with an unknown code", respErr(502, "BadGatewayish"), true},
		{"400 RequestLimitExceeded", respErr(400, "RequestLimitExceeded"), true},
		{"429 TooManyRequestsException", respErr(429, "TooManyRequestsException"), true},
		{"403 UnauthorizedOperation", respErr(403, "UnauthorizedOperation"), false},
		{"400 InvalidParameter", respErr(400, "InvalidParameter"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v; want %v", tt.err, got, tt.want)
			}
		})
	}
}

// hangingEC2 is a fake EC2 whose ModifyVpcEndpoint never answers, as boto3
// #2554 reports of the real one under narrow IAM policies; moto always
// answers, so this is the one way to see the remediation bound the wait.
type hangingEC2 struct{ EC2API }

func (hangingEC2) VpcAttribute(context.Context, string, string) (bool, error) { return true, nil }

func (hangingEC2) EnablePrivateDNS(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestPurePrivateDNSDoesNotHang: a ModifyVpcEndpoint that never answers is a
// failed action naming the likely missing permission, returned for a retry,
// instead of a Lambda timeout with nothing recorded.
func TestPurePrivateDNSDoesNotHang(t *testing.T) {
	r := &Remediator{Config: config.Default(), PrivateDNSTimeout: 50 * time.Millisecond}
	res := &evaluate.Result{
		Finding: finding.Finding{Rule: "sagemaker-vpc-endpoint-private-dns", Status: finding.NonCompliant},
		State:   resource.State{Ref: resource.Ref{Kind: resource.VPCEndpoint, ID: "vpce-1"}, Endpoint: &resource.EndpointConfig{VPCID: "vpc-1"}},
	}
	err := r.enablePrivateDNS(context.Background(), API{EC2: hangingEC2{}}, res)
	if err == nil {
		t.Errorf("enablePrivateDNS error = nil; want the timeout, for a retry")
	}
	if len(res.Finding.Actions) != 1 {
		t.Fatalf("actions = %+v; want one", res.Finding.Actions)
	}
	a := res.Finding.Actions[0]
	if a.Type != actionPrivateDNS || a.Outcome != finding.Failed || !strings.Contains(a.Detail, "route53:AssociateVPCWithHostedZone") {
		t.Errorf("action = %+v; want a failed enable-private-dns naming route53:AssociateVPCWithHostedZone", a)
	}
}

// TestPureGuardrailInAccount: the guardrail attached in a member account is
// that account's policy of the same path and name.
func TestPureGuardrailInAccount(t *testing.T) {
	for _, tt := range []struct{ arn, account, want string }{
		{"arn:aws:iam::111122223333:policy/vpcguard-guardrail", "222233334444", "arn:aws:iam::222233334444:policy/vpcguard-guardrail"},
		{"arn:aws:iam::111122223333:policy/security/vpcguard-guardrail", "111122223333", "arn:aws:iam::111122223333:policy/security/vpcguard-guardrail"},
		{"arn:aws-cn:iam::111122223333:policy/g", "222233334444", "arn:aws-cn:iam::222233334444:policy/g"},
		{"", "222233334444", ""},
		{"arn:aws:iam::111122223333:policy/g", "", "arn:aws:iam::111122223333:policy/g"},
	} {
		if got := inAccount(tt.arn, tt.account); got != tt.want {
			t.Errorf("inAccount(%q, %q) = %q; want %q", tt.arn, tt.account, got, tt.want)
		}
	}
}
