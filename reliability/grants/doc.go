// Package grants checks vpcguard's least privilege both ways: every AWS call
// a function makes is granted to its role in the synthesized CDK template,
// and every permission its role is granted is a call it makes (or one AWS
// makes on its behalf, named with the reason). The calls are recorded by SDK
// middleware while each function, built as its main builds it, runs every
// sample event (and, for the backfill, a run over two accounts and every
// Region; for the organization backfill's orchestrator, a plan over every
// Region asking a Config aggregator, and a summary) on moto in enforce mode
// with every ticket sink. The orchestrator's grants are read from an
// organization's central stack. The test is in grants_test.go and
// orchestrator_test.go.
package grants
