package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// GuardHandler builds the handler of the guard function named name (a row
// of rules.Guards: its rules) from the environment: the configuration is read
// and validated, and the AWS configuration loaded, once per cold start (the
// clients are built on first use). An error is an init error: the function
// must not run half-configured.
func GuardHandler(ctx context.Context, log *slog.Logger, name string, kinds ...Kind) (*guard.Handler, error) {
	fn, ok := rules.Guard(name)
	if !ok {
		return nil, fmt.Errorf("no guard function %q in the rule catalogue (rules.Guards)", name)
	}
	if err := unwired(fn.Rules, kinds); err != nil {
		return nil, err
	}
	cfg, accounts, err := fromEnvironment(ctx)
	if err != nil {
		return nil, err
	}
	return &guard.Handler{Guard: Guard(cfg, accounts, fn.Rules, log, kinds...)}, nil
}

// TagIndex builds the tag index of one account and region from its clients
// (tagindex.New).
type TagIndex func(c *awsclients.Clients, account string, log *slog.Logger) backfill.TagIndex

// Creators builds one backfill run's lookup of the creators of what already
// exists (setup/creators wires it to CloudTrail and S3, which only the
// binaries that look creators up link).
type Creators func(ctx context.Context, cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger) (backfill.Creators, error)

// BackfillOnly is what only a backfill calls, beyond its kinds: each comes
// from a package of its own, so that the guard Lambdas, which import setup,
// link none of EC2's region listing, the Resource Groups Tagging API,
// CloudTrail or S3.
type BackfillOnly struct {
	// EnabledRegions lists an account's regions, for {"regions": ["all"]}
	// (regions.Enabled); nil refuses "all".
	EnabledRegions func(*awsclients.Accounts) backfill.RegionLister
	// TagIndex finds the exempt resources of an account and region in one
	// query (tagindex.New); nil reads each non-compliant resource's tags.
	TagIndex TagIndex
	// Creators looks up the creators of NON_COMPLIANT resources when the
	// configuration asks for it (VPCGUARD_CREATOR_LOOKUP; creators.Wiring).
	Creators Creators
}

// BackfillHandler builds the backfill function's handler from the
// environment, for every rule of the catalogue; kinds must read them all
// (but the rules that judge calls, which a backfill cannot list).
func BackfillHandler(ctx context.Context, log *slog.Logger, only BackfillOnly, kinds ...Kind) (*backfill.Handler, error) {
	listed, _ := backfill.Listable(rules.All())
	if err := unwired(listed, kinds); err != nil {
		return nil, err
	}
	calls := backfill.NewCalls()
	cfg, accounts, err := fromEnvironment(ctx, calls.Instrument)
	if err != nil {
		return nil, err
	}
	opts := BackfillOptions(cfg, accounts, log, only, kinds...)
	opts.Calls = calls
	h := &backfill.Handler{
		Config:   cfg,
		Options:  opts,
		NewGuard: func(cfg config.Config, rs []rules.Rule) *guard.Guard { return Guard(cfg, accounts, rs, log, kinds...) },
		Log:      log,
	}
	if cfg.CreatorLookup {
		creators := only.Creators
		if creators == nil {
			return nil, fmt.Errorf("%s is on, but this function is not wired to look creators up", config.EnvCreatorLookup)
		}
		h.NewCreators = func(ctx context.Context) (backfill.Creators, error) { return creators(ctx, cfg, accounts, log) }
	}
	return h, nil
}

// BackfillOptions is what every backfill run through accounts shares: the
// kinds' sources (listing as cfg says) and the tag index, the home account
// and region, the enabled regions; and, once an account is done, its clients
// let go, so a run over many accounts holds the clients of the few in flight.
func BackfillOptions(cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger, only BackfillOnly, kinds ...Kind) backfill.Options {
	opts := backfill.Options{Sources: Sources(cfg, accounts, log, only.TagIndex, kinds...), Home: accounts,
		AccountDone: func(s backfill.AccountSummary) { accounts.Forget(s.Account) }}
	if only.EnabledRegions != nil {
		opts.EnabledRegions = only.EnabledRegions(accounts)
	}
	return opts
}

// Environment is the configuration and the AWS clients' base of a function
// assembled outside this package (the organization backfill's orchestrator,
// setup/organization), as fromEnvironment reads them.
func Environment(ctx context.Context, instrument ...func(*aws.Config)) (config.Config, *awsclients.Accounts, error) {
	return fromEnvironment(ctx, instrument...)
}

// fromEnvironment reads the configuration and builds the AWS clients' base;
// instrument adds middleware before any client is built.
func fromEnvironment(ctx context.Context, instrument ...func(*aws.Config)) (config.Config, *awsclients.Accounts, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	base, err := awsclients.Load(ctx, os.Getenv("AWS_REGION"))
	if err != nil {
		return cfg, nil, err
	}
	for _, fn := range instrument {
		fn(&base)
	}
	return cfg, awsclients.NewAccounts(base, cfg.AssumeRoleName), nil
}

// InitErrorType is the errorType a vpcguard function reports when its init
// fails.
const InitErrorType = "InitError"

// InitFailed ends a Lambda function whose init failed: it logs err, reports
// it to the Runtime API's init/error endpoint, so that the init error Lambda
// records names the problem (a bad VPCGUARD_* variable, say) rather than
// "exit status 1", and exits 1.
func InitFailed(log *slog.Logger, err error) {
	if log == nil {
		log = slog.Default()
	}
	log.Error("init failed", "error", err.Error())
	if rerr := ReportInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), err); rerr != nil {
		log.Error("could not report the init error to the Lambda Runtime API", "error", rerr.Error())
	}
	os.Exit(1)
}

// ReportInitError posts err in Lambda's error shape to
// http://{api}/2018-06-01/runtime/init/error. With api empty (not running
// under Lambda) there is no one to tell, and it does nothing.
func ReportInitError(api string, err error) error {
	if api == "" || err == nil {
		return nil
	}
	body, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{err.Error(), InitErrorType})
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return fmt.Errorf("report init error: %w", rerr)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, rerr := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if rerr != nil {
		return fmt.Errorf("report init error: %w", rerr)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("report init error: runtime api answered %s", resp.Status)
	}
	return nil
}
