// Package delivery holds vpcguard's delivery reliability tests, run against
// moto_server: every sample event delivered three times and in shuffled
// orders must leave AWS as one ordered delivery does (one ticket, one
// guardrail attachment, one stop), and the CloudTrail events that
// vpcguard's own remediations cause, fed back to the guards, must not make
// them act again. The tests are in the _test.go files; this file only
// names the package.
//
// VPCGUARD_RELIABILITY=long runs more shuffled orders;
// VPCGUARD_DELIVERY_SEED=n runs the order of seed n alone (the seed is
// printed with every failure).
package delivery
