// Package wire builds a guard from a configuration and the resource kinds
// it guards: the one place that knows which AWS clients feed which
// interfaces. It links no AWS service of its own but the ticket sinks'
// (Security Hub, OpsCenter, SNS: which of them a function uses is
// configuration, read at run time). Each kind's readers and remediations
// come with its Kind (packages models, notebooks, endpoints), so a Lambda
// that guards endpoints links EC2 and not SageMaker, and one that guards
// models links SageMaker and IAM and not EC2: the SDK's service packages
// are large, and importing one runs its init at every cold start.
package wire

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Kind wires one kind of resource to the AWS clients that read and
// remediate it.
type Kind struct {
	Kind resource.Kind
	// Reader reads resources of the kind with c's clients.
	Reader func(c *awsclients.Clients) evaluate.StateReader
	// Remediation sets on api the clients the kind's remediations call.
	Remediation func(c *awsclients.Clients, api *remediate.API)
}

// Readers reads the kinds' resources through accounts' clients.
func Readers(accounts *awsclients.Accounts, kinds []Kind) evaluate.Readers {
	return func(ctx context.Context, account, region string) (evaluate.StateReader, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return nil, err
		}
		r := byKind{}
		for _, k := range kinds {
			r[k.Kind] = k.Reader(c)
		}
		return r, nil
	}
}

// byKind reads each kind with its own reader.
type byKind map[resource.Kind]evaluate.StateReader

func (r byKind) reader(kind resource.Kind) (evaluate.StateReader, error) {
	if sr, ok := r[kind]; ok {
		return sr, nil
	}
	return nil, fmt.Errorf("this function does not read %s resources (no reader wired for %q)", kind, kind)
}

func (r byKind) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	sr, err := r.reader(ref.Kind)
	if err != nil {
		return resource.State{Ref: ref}, err
	}
	return sr.Read(ctx, ref)
}

func (r byKind) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	if s.Tags != nil {
		return s.Tags, nil
	}
	sr, err := r.reader(s.Kind)
	if err != nil {
		return nil, err
	}
	return sr.Tags(ctx, s)
}

// RemediationAPIs hands the remediations the kinds' clients.
func RemediationAPIs(accounts *awsclients.Accounts, kinds []Kind) remediate.APIs {
	return func(ctx context.Context, account, region string) (remediate.API, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return remediate.API{}, err
		}
		var api remediate.API
		for _, k := range kinds {
			k.Remediation(c, &api)
		}
		return api, nil
	}
}

// Guard builds the pipeline for rules, reading and remediating the kinds'
// resources. With offline set it decides from events alone and touches no
// AWS API.
func Guard(cfg config.Config, accounts *awsclients.Accounts, rs []rules.Rule, offline bool, log *slog.Logger, kinds ...Kind) *guard.Guard {
	ev := &evaluate.Evaluator{Rules: rs, ExemptTagKey: cfg.ExemptTagKey}
	g := &guard.Guard{Config: cfg, Evaluator: ev, Log: log}
	if offline || accounts == nil {
		return g
	}
	ev.Readers = Readers(accounts, kinds)
	g.Remediator = &remediate.Remediator{Config: cfg, APIs: RemediationAPIs(accounts, kinds), Log: log}
	g.Tickets = Tickets(cfg, accounts, log)
	return g
}

// Unwired returns an error naming the rules whose resource kind none of
// kinds reads, or nil.
func Unwired(rs []rules.Rule, kinds []Kind) error {
	for _, r := range rs {
		found := false
		for _, k := range kinds {
			found = found || k.Kind == r.Kind()
		}
		if !found {
			return fmt.Errorf("rule %s guards %s resources, which this function is not wired to read", r.Name(), r.Kind())
		}
	}
	return nil
}

// GuardHandler builds a guard Lambda's handler from the environment: the
// configuration is read and validated, and the AWS configuration loaded,
// once per cold start (the clients are built on first use). An error here
// is an init error: the function must not run half-configured.
func GuardHandler(ctx context.Context, rs []rules.Rule, log *slog.Logger, kinds ...Kind) (*guard.Handler, error) {
	if err := Unwired(rs, kinds); err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	base, err := awsclients.Load(ctx, os.Getenv("AWS_REGION"))
	if err != nil {
		return nil, err
	}
	accounts := awsclients.NewAccounts(base, cfg.AssumeRoleName)
	g := Guard(cfg, accounts, rs, false, log, kinds...)
	h := &guard.Handler{Guard: g}
	if rem, ok := g.Remediator.(*remediate.Remediator); ok {
		h.Rechecker = rem
	}
	return h, nil
}
