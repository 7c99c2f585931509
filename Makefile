# vpcguard: build, test, demo, benchmarks. `make help` lists the targets.

GO        ?= go
FUNCTIONS := $(notdir $(wildcard functions/*))
BUILD_DIR := build
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags="-s -w"
FUZZTIME  ?= 30s
TEST_FUZZTIME ?= 3s
TEST_FLAGS ?=

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION ?= 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION ?= 1

.PHONY: help deps build test vet fuzz bench sdk-updates reliability demo report-demo evaluate clean

help:
	@echo "make deps          install what tests need (moto_server, cfn-lint) when missing"
	@echo "make build         build every Lambda bootstrap for provided.al2023 arm64 into build/<name>/bootstrap"
	@echo "make test          vet, unit and integration tests (moto_server), CDK synth checks (cdk-nag, cfn-lint)"
	@echo "make demo          the main job on a local AWS emulator: backfill, replay events in enforce mode, backfill again"
	@echo "make report-demo   an HTML report of an enforce-mode backfill on the emulator, and its 1280x800 screenshot (build/report-demo/)"
	@echo "make evaluate EVENT=events/model-create-no-vpc.json   evaluate one event offline"
	@echo "make bench         benchmarks; prints a table and writes bench/results.json"
	@echo "make sdk-updates   newer AWS SDK releases on the module proxy, and how to measure what taking them costs (needs the network)"
	@echo "make reliability   the long reliability suite (faults, duplicates, bad input, real binaries)"
	@echo "make fuzz          fuzz the parser and each rule for FUZZTIME each (default $(FUZZTIME))"
	@echo "make synth|deploy|diff|destroy   the CDK app (see README)"

# Tests talk to moto_server (a real AWS API emulator) and check the CDK
# template with cfn-lint; a fresh machine gets both from PyPI. The HTML
# report's browser test drives Debian's chromium package (CI too: .ci/run
# runs make test, which runs this). If it cannot be installed the test
# says SKIP, loudly, instead of passing.
deps:
	@command -v moto_server >/dev/null 2>&1 || python3 -m pip install --quiet 'moto[server]==5.2.1'
	@command -v cfn-lint >/dev/null 2>&1 || python3 -m pip install --quiet cfn-lint
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || [ -n "$$VPCGUARD_CHROMIUM" ] || { \
		echo "deps: installing Chromium (apt-get install -y chromium) for the HTML report's browser test"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
		echo "deps: WARNING: Chromium could not be installed (apt-get install -y chromium failed): TestReportInBrowser will SKIP"; }
	@$(GO) mod download

build:
	@for fn in $(FUNCTIONS); do \
		if [ -d functions/$$fn ]; then \
			echo "build $(BUILD_DIR)/$$fn/bootstrap"; \
			CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(GOFLAGS_LAMBDA) -o $(BUILD_DIR)/$$fn/bootstrap ./functions/$$fn || exit 1; \
		fi; \
	done

vet:
	$(GO) vet ./...

# The whole suite, then the HTML report in a real browser on its own (-v:
# its PASS, or its SKIP and why, is printed), then a few seconds of each
# fuzz target (their seed corpora already ran as ordinary tests).
BROWSER_TEST = ^TestReportInBrowser$$

test: deps vet build
	$(GO) test $(TEST_FLAGS) -count=1 -skip '$(BROWSER_TEST)' ./...
	$(GO) test $(TEST_FLAGS) -count=1 -v -run '$(BROWSER_TEST)' ./shared/report/
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# Every package with a Fuzz target, found from the test files.
FUZZ_PKGS = $(shell grep -rl --include='*_test.go' '^func Fuzz' shared cmd 2>/dev/null | xargs -r -n1 dirname | sort -u)

fuzz:
	@set -e; for pkg in $(FUZZ_PKGS); do \
		for target in $$($(GO) test -list '^Fuzz' ./$$pkg | grep '^Fuzz'); do \
			echo "fuzz ./$$pkg $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./$$pkg; \
		done; \
	done

bench:
	$(GO) run ./cmd/vpcguard-bench

# Newer releases of the AWS SDK modules vpcguard requires directly, from the
# Go module proxy (so it needs the network; make test never runs it). Taking
# one is measured, not assumed: the bench prints each function's cold start
# and bootstrap size. Some modules' version lists are refused by the proxy
# here: for those it says so instead of claiming they are current.
SDK_MODULES = $(shell $(GO) list -m -f '{{if not .Indirect}}{{.Path}}{{end}}' all | grep -E '^github.com/aws/(aws-sdk-go-v2|smithy-go)')

sdk-updates:
	@out=$$($(GO) list -e -m -u -versions -f '{{.Path}} {{.Version}} {{with .Update}}{{.Version}}{{else}}-{{end}} {{len .Versions}}' $(SDK_MODULES)) || \
		{ echo "sdk-updates: cannot ask the Go module proxy (go list -m -u failed, see above)"; exit 1; }; \
	printf '%s\n' "$$out" | { get=""; while read -r mod cur new listed; do \
		if [ "$$new" != "-" ]; then printf '%-54s %-9s newer: %s\n' "$$mod" "$$cur" "$$new"; get="$$get $$mod@$$new"; \
		elif [ "$$listed" = 0 ]; then printf '%-54s %-9s unknown: the proxy lists no versions of it; look up its latest release, then go get %s@vX.Y.Z\n' "$$mod" "$$cur" "$$mod"; \
		else printf '%-54s %-9s current\n' "$$mod" "$$cur"; fi; \
	done; echo; \
	if [ -n "$$get" ]; then echo "To take them (exact versions; the core and the other service modules may have to move with them):"; \
		echo "  $(GO) get$$get && $(GO) mod tidy"; else echo "Every module whose versions the proxy lists is current."; fi; }; \
	echo "What it costs: run  $(GO) run ./cmd/vpcguard-bench -only coldstart  before and after, and compare each"; \
	echo "function's cold-start median and linux/arm64 bootstrap size (the README's Benchmarks give the last figures)."

reliability:
	VPCGUARD_RELIABILITY=long $(GO) test -count=1 -timeout 60m -v ./reliability/...

demo:
	$(GO) run ./cmd/vpcguard demo

# Not committed: build/ is ignored.
report-demo: deps
	$(GO) run ./internal/testenv/reportdemo -out $(BUILD_DIR)/report-demo

EVENT ?= events/model-create-no-vpc.json
evaluate:
	$(GO) run ./cmd/vpcguard evaluate --offline $(EVENT)

clean:
	rm -rf $(BUILD_DIR) cdk.out

include infra/infra.mk
