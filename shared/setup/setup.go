// Package setup assembles vpcguard from a configuration and the resource
// kinds a binary guards: the one place that knows which AWS clients feed
// which interfaces. Each kind's readers, listers and remediations come with
// its Kind (packages models, notebooks, endpoints), so a function's main
// reads as the list of what it is made of, and links only the AWS services
// those kinds call: a Lambda that guards endpoints links EC2 and not
// SageMaker. The SDK's service packages are large, and importing one runs
// its init at every cold start. setup itself links no service but the
// ticket sinks' (Security Hub, OpsCenter, SNS: which of them a function uses
// is configuration, read at run time).
package setup

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Kind wires one kind of resource to the AWS clients that read, list and
// remediate it.
type Kind struct {
	Kind resource.Kind
	// Reader reads resources of the kind with c's clients; nil for a kind
	// judged from its events alone (rules.EventOnly), which reads nothing.
	Reader func(c *awsclients.Clients) evaluate.StateReader
	// Lister lists the kind's resources for the backfill, as cfg says (a
	// lookback window, say); nil for a kind that cannot be listed. l is
	// what the account and region's listers of one run share.
	Lister func(c *awsclients.Clients, cfg config.Config, log *slog.Logger, l *Listing) backfill.Lister
	// Remediation sets on api the clients the kind's remediations call; nil
	// for a kind whose rules only ticket.
	Remediation func(c *awsclients.Clients, api *remediate.API)
	// Recorded is how AWS Config records the kind, declared beside its
	// reader; nil when Config does not record it (the organization
	// backfill then lists it in every account and region).
	Recorded *recorded.Kind
	// Details are what the Reader reads beyond the kind's own state (the
	// zones of a model's subnets): a rule that decides on a detail needs a
	// kind that reads it (rules.DetailsOf).
	Details []rules.Detail
}

// Guard builds the pipeline for rules, reading and remediating the kinds'
// resources through accounts' clients. With accounts nil it decides from
// events alone and touches no AWS API (vpcguard evaluate --offline).
func Guard(cfg config.Config, accounts *awsclients.Accounts, rs []rules.Rule, log *slog.Logger, kinds ...Kind) *guard.Guard {
	ev := &evaluate.Evaluator{Rules: rules.Configured(rs, cfg.RuleSettings()), ExemptTagKey: cfg.ExemptTagKey}
	g := &guard.Guard{Config: cfg, Evaluator: ev, Log: log}
	if accounts == nil {
		return g
	}
	ev.Readers = func(ctx context.Context, account, region string) (evaluate.StateReader, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return nil, err
		}
		return readers(c, kinds), nil
	}
	g.Remediator = &remediate.Remediator{Config: cfg, APIs: remediationAPIs(accounts, kinds), Log: log, Confirm: ev.Reconfirm}
	g.Tickets = Tickets(cfg, accounts)
	return g
}

// Sources hands the backfill engine each account and region's reader,
// listers and tag index (tagIndex may be nil), through accounts' clients.
func Sources(cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger, tagIndex TagIndex, kinds ...Kind) backfill.Sources {
	return func(ctx context.Context, account, region string) (backfill.Source, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return backfill.Source{}, err
		}
		shared := &Listing{by: map[reflect.Type]any{}}
		var tags backfill.TagIndex
		if tagIndex != nil {
			tags = tagIndex(c, account, log)
		}
		return backfill.Source{
			Tags:   tags,
			Reader: readers(c, kinds),
			Lister: func(kind resource.Kind) (backfill.Lister, error) {
				for _, k := range kinds {
					if k.Kind == kind && k.Lister != nil {
						return k.Lister(c, cfg, log, shared), nil
					}
				}
				return nil, fmt.Errorf("this binary does not list %s resources (no lister wired)", kind)
			},
		}, nil
	}
}

// Listing is what one backfill run's listers of an account and region
// share: a read two kinds need (a region's models, which the model and the
// VPC listings both read) is made once, and let go with the account and
// region's source when its listings are done. Not per process, as
// awsclients.Shared is: what exists changes between runs.
type Listing struct {
	mu sync.Mutex
	by map[reflect.Type]any
}

// Once returns l's one T, built by build on first use.
func Once[T any](l *Listing, build func() T) T {
	key := reflect.TypeFor[T]()
	l.mu.Lock()
	defer l.mu.Unlock()
	if v, ok := l.by[key]; ok {
		return v.(T)
	}
	v := build()
	l.by[key] = v
	return v
}

// readers is the one dispatcher by kind: each kind is read by its own reader.
func readers(c *awsclients.Clients, kinds []Kind) evaluate.StateReader {
	r := byKind{}
	for _, k := range kinds {
		if k.Reader != nil {
			r[k.Kind] = k.Reader(c)
		}
	}
	return r
}

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

// Resolve resolves ref through its kind's reader when it names its
// resources through others (evaluate.Resolver); other refs are their own.
func (r byKind) Resolve(ctx context.Context, ref resource.Ref) (resource.Ref, bool, error) {
	if sr, ok := r[ref.Kind].(evaluate.Resolver); ok {
		return sr.Resolve(ctx, ref)
	}
	return ref, true, nil
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

// remediationAPIs hands the remediations the kinds' clients.
func remediationAPIs(accounts *awsclients.Accounts, kinds []Kind) remediate.APIs {
	return func(ctx context.Context, account, region string) (remediate.API, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return remediate.API{}, err
		}
		var api remediate.API
		for _, k := range kinds {
			if k.Remediation != nil {
				k.Remediation(c, &api)
			}
		}
		return api, nil
	}
}

// unwired returns an error naming the first rule whose resource kind none of
// kinds reads, or whose kind's reader lacks a detail the rule decides on,
// or nil.
func unwired(rs []rules.Rule, kinds []Kind) error {
	for _, r := range rs {
		i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Kind == r.Kind() })
		if i < 0 {
			return fmt.Errorf("rule %s guards %s resources, which this function is not wired to read", r.Name(), r.Kind())
		}
		for _, d := range rules.DetailsOf(r) {
			if !slices.Contains(kinds[i].Details, d) {
				return fmt.Errorf("rule %s decides on %s, which this function's %s reader does not read", r.Name(), d, r.Kind())
			}
		}
	}
	return nil
}
