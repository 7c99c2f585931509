// Command infra is the vpcguard CDK app. `cdk` runs it through cdk.json; `make synth` runs
// it directly (go run ./infra [-c key=value ...]), reading cdk.json's context itself so
// both paths synthesize the same template.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		os.Exit(1)
	}
}

// contextFlags collects repeated -c key=value, the same syntax the cdk CLI takes.
type contextFlags map[string]any

func (c contextFlags) String() string { return fmt.Sprint(map[string]any(c)) }

func (c contextFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q is not key=value", s)
	}
	c[k] = v
	return nil
}

func run(args []string) error {
	overrides := contextFlags{}
	fs := flag.NewFlagSet("infra", flag.ContinueOnError)
	fs.Var(overrides, "c", "context `key=value` (repeatable), as with cdk -c")
	if err := fs.Parse(args); err != nil {
		return err
	}

	props := &awscdk.AppProps{}
	// The cdk CLI sets CDK_OUTDIR and passes cdk.json's context itself; run directly we
	// read cdk.json and write cdk.out like the CLI would.
	if os.Getenv("CDK_OUTDIR") == "" {
		ctx, err := cdkJSONContext("cdk.json")
		if err != nil {
			return err
		}
		for k, v := range overrides {
			ctx[k] = v
		}
		props.Context = &ctx
		props.Outdir = jsii.String("cdk.out")
	} else if len(overrides) > 0 {
		return errors.New("-c flags are for direct runs; pass them to the cdk CLI instead")
	}

	app := awscdk.NewApp(props)
	config, err := stack.ConfigFromContext(app.Node())
	if err != nil {
		return err
	}
	if err := checkAssets(config); err != nil {
		return err
	}
	stackProps := &awscdk.StackProps{
		Description: jsii.String("vpcguard: keeps SageMaker private (models in VPCs, VPC endpoints with private DNS, notebooks without direct internet access)"),
	}
	if config.Organization.Enabled() {
		// The central stack (with the member StackSets) and the member
		// stacks, for the management account.
		if _, err := stack.NewOrganizationStacks(app, stackProps, config, rules.Guards()); err != nil {
			return err
		}
	} else {
		stack.NewVpcGuardStack(app, config.StackName, stackProps, config, rules.Guards())
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	assembly := app.Synth(nil)
	return nagErrors(assembly)
}

func cdkJSONContext(path string) (map[string]any, error) {
	ctx := map[string]any{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ctx, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var file struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	for k, v := range file.Context {
		ctx[k] = v
	}
	return ctx, nil
}

// checkAssets fails early with the fix instead of a jsii stack trace from Code.fromAsset.
func checkAssets(c stack.Config) error {
	names := stack.FunctionNames()
	if c.Organization.Enabled() {
		names = stack.AllFunctionNames()
	}
	for _, name := range names {
		p := filepath.Join(c.AssetDir, name, "bootstrap")
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("function asset %s: %w (`make build` builds it from functions/%s; or set -c assetDir=...)", p, err, name)
		}
	}
	return nil
}

// nagErrors makes unsuppressed cdk-nag errors fail a direct run, as they fail `cdk synth`.
func nagErrors(assembly cxapi.CloudAssembly) error {
	var msgs []string
	for _, st := range *assembly.Stacks() {
		for _, m := range *st.Messages() {
			if m.Level == cxapi.SynthesisMessageLevel_ERROR {
				msgs = append(msgs, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
			}
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%d synthesis errors:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}
	return nil
}
