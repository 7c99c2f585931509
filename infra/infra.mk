# CDK targets, included by the top-level Makefile.
#
#   make synth                       # go run ./infra: cdk.json context, writes cdk.out/
#   make synth CDK_CONTEXT='-c mode=enforce -c createTrail=true'
#   make deploy CDK_CONTEXT='-c notificationEmail=ops@example.com'
#
# synth needs no npm CLI; deploy, diff and destroy use the pinned aws-cdk CLI through npx.

CDK_CLI_VERSION ?= 2.1148.1
CDK             ?= npx --yes aws-cdk@$(CDK_CLI_VERSION)
CDK_CONTEXT     ?=
CDK_FLAGS       ?=

# Node 20 still works for the jsii runtime; its end-of-life banners only add noise.
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION ?= 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION ?= 1

.PHONY: synth deploy diff destroy

synth: build
	go run ./infra $(CDK_CONTEXT)

deploy: build
	$(CDK) deploy $(CDK_CONTEXT) $(CDK_FLAGS)

diff: build
	$(CDK) diff $(CDK_CONTEXT) $(CDK_FLAGS)

destroy: build
	$(CDK) destroy $(CDK_CONTEXT) $(CDK_FLAGS)
