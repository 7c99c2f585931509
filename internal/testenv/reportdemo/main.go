// Command reportdemo is make report-demo: it seeds a local AWS emulator
// (moto_server) with SageMaker resources in two accounts and two regions,
// runs the real vpcguard backfill (notebooks and endpoints enforced, models
// ticketed) with --format html, opens
// the report in headless Chromium and saves a 1280×800 screenshot of it.
//
//	go run ./internal/testenv/reportdemo [-out build/report-demo]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/vpcguard/vpcguard/internal/testenv/browser"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
)

// otherAccount is a second account, reached by the backfill through a role
// moto lets it assume.
const otherAccount = "111122223333"

func main() {
	out := flag.String("out", filepath.Join("build", "report-demo"), "directory for report.html and report.png")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "report-demo:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	chromium, err := browser.Find()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	moto, err := motoserver.Start()
	if err != nil {
		return err
	}
	defer moto.Stop()

	// Each account and region holds a different estate, so the charts differ.
	sizes := map[string]map[string]int{motoserver.Account: {"us-east-1": 14, "eu-west-1": 6}, otherAccount: {"us-east-1": 9, "eu-west-1": 3}}
	for account, regions := range sizes {
		for region, n := range regions {
			cfg := moto.Config(region)
			cfg.APIOptions = append(cfg.APIOptions, asAccount(account))
			c := estate.New(cfg)
			net, err := c.NewNetwork(ctx, region)
			if err != nil {
				return err
			}
			if _, err := c.Bulk(ctx, net, n, 4); err != nil {
				return err
			}
			if err := c.Model(ctx, "legacy-batch-scoring", nil, map[string]string{"vpcguard:exempt": "batch job outside the VPC until Q3, see SEC-1234"}); err != nil {
				return err
			}
		}
	}

	dir, err := os.MkdirTemp("", "vpcguard-report-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vpcguard")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/vpcguard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build vpcguard: %w", err)
	}
	htmlPath := filepath.Join(out, "report.html")
	f, err := os.Create(htmlPath)
	if err != nil {
		return err
	}
	args := []string{"backfill", "--accounts", motoserver.Account + "," + otherAccount, "--assume-role", "VpcGuardAudit",
		"--regions", "us-east-1,eu-west-1", "--sinks", "securityhub", "--format", "html",
		// Notebooks and endpoints enforced (stopped; private DNS on), models
		// only ticketed: the report shows contained and untouched side by side.
		"--mode", "ticket", "--rule-modes", "sagemaker-notebook-no-direct-internet-access=enforce,sagemaker-vpc-endpoint-private-dns=enforce"}
	fmt.Fprintf(os.Stderr, "$ vpcguard %v > %s\n", args, htmlPath)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), moto.Env("us-east-1")...)
	cmd.Stdout, cmd.Stderr = f, os.Stderr
	err = cmd.Run()
	f.Close()
	if err != nil {
		return fmt.Errorf("vpcguard backfill: %w", err)
	}

	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return err
	}
	page, err := browser.Open(ctx, chromium, "file://"+abs, 1280, 800)
	if err != nil {
		return err
	}
	defer page.Close()
	png, err := page.Screenshot()
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	pngPath := filepath.Join(out, "report.png")
	if err := os.WriteFile(pngPath, png, 0o644); err != nil {
		return err
	}
	if errs := page.Errors(); len(errs) > 0 {
		return fmt.Errorf("the report logged errors in Chromium: %q", errs)
	}
	fmt.Printf("report:     %s\nscreenshot: %s (1280×800)\n", htmlPath, pngPath)
	return nil
}

// asAccount makes moto act as account for a client's calls (moto's
// x-moto-account-id header): seeding another account needs no role.
func asAccount(account string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Build.Add(middleware.BuildMiddlewareFunc("reportdemo/account", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok {
				req.Header.Set("x-moto-account-id", account)
			}
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
}
