package faultproxy

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const maxAttempts = 10

// quickBackoff keeps the SDK's retry decisions but not its sleeps (up to 20s
// each), which would only make the suite slow.
func quickBackoff(o *retry.StandardOptions) {
	o.MaxAttempts = maxAttempts
	o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
}

// rounds is how many rounds of calls each retryer gets in the throttling
// test. The adaptive retryer's client-side rate limiter sleeps after
// throttles, by design and whatever the backoff (its rate floor is 0.5
// requests/s): 50 rounds take over a minute with it, so it gets fewer.
var retryers = []struct {
	name   string
	rounds int
	new    func() aws.Retryer
}{
	{"standard", 50, func() aws.Retryer { return retry.NewStandard(quickBackoff) }},
	{"adaptive", 10, func() aws.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, quickBackoff)
		})
	}},
}

// proxiedConfig is moto's config with every call going through p.
func proxiedConfig(srv *motoserver.Server, p *Proxy, newRetryer func() aws.Retryer) aws.Config {
	cfg := srv.Config("us-east-1")
	cfg.BaseEndpoint = aws.String(p.URL())
	cfg.RetryMaxAttempts = maxAttempts
	cfg.Retryer = newRetryer
	return cfg
}

func createModel(ctx context.Context, sm *sagemaker.Client, name string) error {
	_, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{
		ModelName:        aws.String(name),
		ExecutionRoleArn: aws.String("arn:aws:iam::" + motoserver.Account + ":role/sagemaker"),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/model:latest")},
	})
	return err
}

// TestThrottledCallsSucceedThroughRetries: with 30% of calls throttled, a run
// of SageMaker and EC2 calls all succeed through the SDK's retryer, and each
// call reached moto exactly once (a throttled CreateModel is not half-done).
func TestThrottledCallsSucceedThroughRetries(t *testing.T) {
	for _, r := range retryers {
		rounds := r.rounds
		t.Run(r.name, func(t *testing.T) {
			srv := motoserver.Require(t)
			p := startProxy(t, srv.URL, Options{ThrottleRate: 0.3, Seed: 1})
			cfg := proxiedConfig(srv, p, r.new)
			sm, ec := sagemaker.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
			ctx := context.Background()
			for i := range rounds {
				name := fmt.Sprintf("model-%d", i)
				if err := createModel(ctx, sm, name); err != nil {
					t.Fatalf("CreateModel %s: got %v; want nil", name, err)
				}
				out, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(name)})
				if err != nil {
					t.Fatalf("DescribeModel %s: got %v; want nil", name, err)
				}
				if got := aws.ToString(out.ModelName); got != name {
					t.Errorf("DescribeModel: got %q; want %q", got, name)
				}
				if _, err := ec.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
					t.Fatalf("DescribeVpcs: got %v; want nil", err)
				}
			}
			st := p.Stats()
			if st.Throttled == 0 {
				t.Errorf("throttled: got 0; want > 0")
			}
			for _, op := range []Op{{"sagemaker", "CreateModel"}, {"sagemaker", "DescribeModel"}, {"ec2", "DescribeVpcs"}} {
				c := st.ByOperation[op]
				if c.Forwarded != rounds {
					t.Errorf("%v forwarded: got %d; want %d", op, c.Forwarded, rounds)
				}
				if c.Total != c.Forwarded+c.Throttled {
					t.Errorf("%v: got total %d, forwarded %d, throttled %d; want total = forwarded + throttled", op, c.Total, c.Forwarded, c.Throttled)
				}
			}
			if st.Failed != 0 || st.UpstreamErrors != 0 {
				t.Errorf("failed, upstream errors: got %d, %d; want 0, 0", st.Failed, st.UpstreamErrors)
			}
			t.Logf("%s retryer: %d requests, %d throttled, %d forwarded", r.name, st.Total, st.Throttled, st.Forwarded)
		})
	}
}

// TestFailingServiceFails: a denied service fails on the first attempt (the
// SDK does not retry it), a failing one after every attempt, and the other
// services keep working.
func TestFailingServiceFails(t *testing.T) {
	tests := []struct {
		name         string
		mode         FailMode
		wantCode     string
		wantAttempts int
	}{
		{"denied, not retried", FailDenied, "AccessDeniedException", 1},
		{"internal error, retried until attempts run out", FailInternal, "InternalFailure", maxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := motoserver.Require(t)
			p := startProxy(t, srv.URL, Options{FailService: "sagemaker", FailMode: tt.mode})
			cfg := proxiedConfig(srv, p, retryers[0].new)
			ctx := context.Background()
			_, err := sagemaker.NewFromConfig(cfg).DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("m")})
			if got := errorCode(err); got != tt.wantCode {
				t.Errorf("DescribeModel error code: got %q (%v); want %q", got, err, tt.wantCode)
			}
			if got := p.Stats().ByOperation[Op{"sagemaker", "DescribeModel"}]; got.Total != tt.wantAttempts || got.Failed != tt.wantAttempts {
				t.Errorf("DescribeModel attempts: got %+v; want %d, all failed", got, tt.wantAttempts)
			}
			if _, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); err != nil {
				t.Errorf("DescribeVpcs while sagemaker fails: got %v; want nil", err)
			}
		})
	}
}

// TestFailOperations: with FailOperations only those operations of the
// failing service fail; its other operations reach moto.
func TestFailOperations(t *testing.T) {
	srv := motoserver.Require(t)
	p := startProxy(t, srv.URL, Options{FailService: "sagemaker", FailOperations: []string{"DescribeModel"}})
	cfg := proxiedConfig(srv, p, retryers[0].new)
	sm := sagemaker.NewFromConfig(cfg)
	ctx := context.Background()
	if err := createModel(ctx, sm, "m"); err != nil {
		t.Fatalf("CreateModel: got %v; want nil", err)
	}
	if _, err := sm.ListModels(ctx, &sagemaker.ListModelsInput{}); err != nil {
		t.Errorf("ListModels: got %v; want nil", err)
	}
	_, err := sm.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("m")})
	if got := errorCode(err); got != "AccessDeniedException" {
		t.Errorf("DescribeModel error code: got %q (%v); want AccessDeniedException", got, err)
	}
	if got := p.Stats().ByOperation[Op{"sagemaker", "ListModels"}]; got.Forwarded != 1 || got.Failed != 0 {
		t.Errorf("ListModels: got %+v; want forwarded once, never failed", got)
	}
}
