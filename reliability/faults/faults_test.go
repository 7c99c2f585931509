package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/faultproxy"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// long is the longer form `make reliability` runs: more rounds, more
// resources, two regions.
var long = os.Getenv("VPCGUARD_RELIABILITY") == "long"

// maxBackoff is the cap on the SDK's wait between retries, set through the
// option production code exposes (awsclients.WithMaxBackoff); everything
// else about the retryer is production's. VPCGUARD_FAULTS_BACKOFF=production
// keeps production's cap, to measure how long a run really takes.
func maxBackoff() time.Duration {
	if os.Getenv("VPCGUARD_FAULTS_BACKOFF") == "production" {
		return awsclients.MaxBackoff
	}
	return 20 * time.Millisecond
}

// throttle30 is the scenario: 30% of calls answered with a
// throttle, a 429 or a 503, in equal shares.
func throttle30(seed uint64) faultproxy.Options {
	return faultproxy.Options{ThrottleRate: 0.3, Faults: faultproxy.AllFaults, Seed: seed}
}

// handlers builds each guard's handler the way setup.GuardHandler does for
// the Lambdas: configuration from the environment, clients from
// awsclients.Load with AWS_ENDPOINT_URL at endpoint (the fault proxy). The
// one difference is the retry backoff cap (see maxBackoff).
func handlers(t *testing.T, e *testenv.Env, endpoint string, w *world.World) map[string]Handler {
	t.Helper()
	e.Setenv(endpoint)
	t.Setenv("VPCGUARD_MODE", "enforce")
	t.Setenv("VPCGUARD_SINKS", "securityhub,sns")
	t.Setenv("VPCGUARD_SNS_TOPIC_ARN", w.Topic)
	t.Setenv("VPCGUARD_GUARDRAIL_ARN", w.Guardrail)
	ctx := context.Background()
	out := map[string]Handler{}
	for _, fn := range rules.Guards() {
		cfg, err := config.FromEnv()
		if err != nil {
			t.Fatalf("configuration: %v", err)
		}
		base, err := awsclients.Load(ctx, os.Getenv("AWS_REGION"), awsclients.WithMaxBackoff(maxBackoff()))
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		h, err := guards.FunctionOn(cfg, awsclients.NewAccounts(base, cfg.AssumeRoleName), fn.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[fn.Name] = h.Handle
	}
	return out
}

// delivered is one delivery and what it did.
type delivered struct {
	Delivery
	services []string // SigV4 services the handler called, through the proxy
	summary  []string // findings and actions, comparable across moto states
}

// eventRun is one replay of every sample event.
type eventRun struct {
	tally      Tally
	deliveries []delivered
	stats      faultproxy.Stats
	elapsed    time.Duration
	// tickets are the Security Hub findings moto holds after the run, by
	// rule and status (their ids hash moto's endpoint ids).
	tickets map[string]int
	// messages are the SNS messages delivered to the topic's subscriber,
	// by subject.
	messages map[string]int
}

// runEvents seeds a fresh moto, then replays every sample event through
// the guards, whose calls go through a fault proxy with opts.
func runEvents(t *testing.T, scenario string, opts faultproxy.Options) eventRun {
	t.Helper()
	return replay(t, scenario, opts, nil)
}

// replay is runEvents, with the proxy set to opts for the first invocation
// of each delivery and, when retry is not nil, to *retry for Lambda's
// retries of it: a service failing and recovering before the retry.
func replay(t *testing.T, scenario string, opts faultproxy.Options, retry *faultproxy.Options) eventRun {
	t.Helper()
	e := testenv.New(t, testenv.Seed(testenv.SampleAccount|testenv.SampleResources)) // resets moto
	ctx := context.Background()
	w := e.World()
	p, err := faultproxy.Start(e.Server.URL, opts)
	if err != nil {
		t.Fatalf("fault proxy: %v", err)
	}
	defer p.Close()
	hs := handlers(t, e, p.URL(), w)
	run := eventRun{tally: Tally{Scenario: scenario}}
	var total faultproxy.Stats
	start := time.Now()
	for _, step := range Steps {
		if step.Before != nil {
			if err := step.Before(ctx, w); err != nil {
				t.Fatalf("%s: prepare: %v", step.File, err)
			}
		}
		raw, err := events.FS.ReadFile(step.File)
		if err != nil {
			t.Fatalf("read events/%s: %v", step.File, err)
		}
		raw = w.Rewrite(raw)
		evs, err := cloudtrail.Parse(raw)
		if err != nil {
			t.Fatalf("events/%s: %v", step.File, err)
		}
		for _, fn := range rules.Guards() {
			if !routed(fn, evs) {
				continue
			}
			p.ResetStats()
			h := hs[fn.Name]
			if retry != nil {
				h = recovering(t, p, opts, *retry, h)
			}
			d := Deliver(ctx, fn.Name, step.File, h, json.RawMessage(raw))
			st := p.Stats()
			addStats(&total, st)
			dd := delivered{Delivery: d, summary: summarize(w, d)}
			for svc, c := range st.ByService {
				if c.Total > 0 {
					dd.services = append(dd.services, svc)
				}
			}
			slices.Sort(dd.services)
			run.tally.Add(d)
			run.deliveries = append(run.deliveries, dd)
		}
	}
	run.elapsed = time.Since(start)
	run.stats = total
	run.tickets = map[string]int{}
	for _, f := range e.HubFindings() {
		status := ""
		if f.Compliance != nil {
			status = string(f.Compliance.Status)
		}
		run.tickets[aws.ToString(f.GeneratorId)+" "+status+" "+string(f.RecordState)]++
	}
	run.messages = map[string]int{}
	for _, n := range e.Inbox() {
		run.messages[w.Unrewrite(n.Subject)]++
	}
	return run
}

// recovering wraps h so that its first invocation runs with the proxy set
// to first and every later one with retry.
func recovering(t *testing.T, p *faultproxy.Proxy, first, retry faultproxy.Options, h Handler) Handler {
	invocations := 0
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		opts := first
		if invocations > 0 {
			opts = retry
		}
		invocations++
		if err := p.SetOptions(opts); err != nil {
			t.Fatalf("fault proxy: %v", err)
		}
		return h(ctx, raw)
	}
}

// routed reports whether fn's EventBridge rule sends it any of evs.
func routed(fn rules.Function, evs []cloudtrail.Event) bool {
	e := &evaluate.Evaluator{Rules: fn.Rules}
	for i := range evs {
		if e.Handles(&evs[i]) {
			return true
		}
	}
	return false
}

func addStats(total *faultproxy.Stats, st faultproxy.Stats) {
	total.Total += st.Total
	total.Forwarded += st.Forwarded
	total.Throttled += st.Throttled
	total.Failed += st.Failed
	total.UpstreamErrors += st.UpstreamErrors
}

// summarize is what a delivery decided and did, with moto's made-up
// endpoint ids put back to the sample ids: rule, resource and status of
// each finding, and type, target and outcome of each action.
func summarize(w *world.World, d Delivery) []string {
	var out []string
	for _, f := range d.Response.Findings {
		line := fmt.Sprintf("%s %s: %s %s %s", d.Function, d.Event, f.Rule, f.ResourceID, f.Status)
		for _, a := range f.Actions {
			line += fmt.Sprintf(" | %s %s %s", a.Type, a.Target, a.Outcome)
		}
		out = append(out, hubID.ReplaceAllString(w.Unrewrite(line), "$1<key hash>"))
	}
	for _, s := range d.Response.Skipped {
		out = append(out, fmt.Sprintf("%s %s: skipped %s", d.Function, d.Event, s.EventName))
	}
	return out
}

func (r eventRun) summaries() []string {
	var out []string
	for _, d := range r.deliveries {
		out = append(out, d.summary...)
	}
	return out
}

func printTable(t *testing.T, ts ...Tally) {
	t.Helper()
	var b strings.Builder
	if err := WriteTable(&b, ts); err != nil {
		t.Fatalf("table: %v", err)
	}
	t.Log("\n" + b.String())
}

// TestEventsUnderThrottling: with 30% of calls throttled (throttle, 429,
// 503), with and without added latency, every sample event ends handled by
// the guards in enforce mode with tickets, with the same findings, actions
// and Security Hub findings as a run without faults, on a fresh moto each.
// None goes to the dead-letter queue; none is lost.
func TestEventsUnderThrottling(t *testing.T) {
	base := eventsBaseline(t)
	type scenario struct {
		name string
		opts faultproxy.Options
	}
	withLatency := func(seed uint64, d time.Duration) scenario {
		o := throttle30(seed)
		o.Latency = d
		return scenario{fmt.Sprintf("30%% throttled + %v latency, seed %d", d, seed), o}
	}
	scenarios := []scenario{{"30% throttled, seed 1", throttle30(1)}, withLatency(2, 10*time.Millisecond)}
	if long {
		for seed := uint64(3); seed <= 6; seed++ {
			scenarios = append(scenarios, scenario{fmt.Sprintf("30%% throttled, seed %d", seed), throttle30(seed)})
		}
		scenarios = append(scenarios, withLatency(7, 50*time.Millisecond))
	}
	tallies := []Tally{base.tally}
	for _, sc := range scenarios {
		got := runEvents(t, sc.name, sc.opts)
		tallies = append(tallies, got.tally)
		t.Logf("%s: %d calls, %d throttled, %d forwarded, in %v (no faults: %d calls in %v)",
			got.tally.Scenario, got.stats.Total, got.stats.Throttled, got.stats.Forwarded, got.elapsed.Round(time.Millisecond), base.stats.Total, base.elapsed.Round(time.Millisecond))
		if got.stats.Throttled == 0 {
			t.Errorf("%s: no call was throttled; the scenario tested nothing", got.tally.Scenario)
		}
		if got.stats.Failed != 0 || got.stats.UpstreamErrors != 0 {
			t.Errorf("%s: failed %d, upstream errors %d; want 0, 0", got.tally.Scenario, got.stats.Failed, got.stats.UpstreamErrors)
		}
		checkAccounted(t, got.tally)
		checkDeliveries(t, got)
		if got.tally.DLQ != 0 || got.tally.Handled+got.tally.Retried != got.tally.In {
			t.Errorf("%s: %+v; want every event handled, none in the DLQ", got.tally.Scenario, got.tally)
		}
		for _, d := range got.deliveries {
			for i, err := range d.Errors {
				t.Logf("%s %s: invocation %d returned %v", d.Function, d.Event, i+1, err)
			}
		}
		if !equalMaps(got.tickets, base.tickets) {
			t.Errorf("%s: Security Hub holds %v; want %v as without faults", got.tally.Scenario, got.tickets, base.tickets)
		}
		if !equalMaps(got.messages, base.messages) {
			t.Errorf("%s: SNS delivered %v; want %v as without faults", got.tally.Scenario, got.messages, base.messages)
		}
		if diff := compare(base.summaries(), got.summaries()); diff != "" {
			t.Errorf("%s: findings and actions differ from the run without faults:\n%s", got.tally.Scenario, diff)
		}
	}
	printTable(t, tallies...)
}

var (
	eventsBase   *eventRun
	backfillBase *backfillRun
)

// eventsBaseline is the replay without faults, run once for every test
// that compares with it, and checked.
func eventsBaseline(t *testing.T) eventRun {
	t.Helper()
	if eventsBase == nil {
		base := runEvents(t, "no faults", faultproxy.Options{})
		checkBaseline(t, base)
		eventsBase = &base
	}
	return *eventsBase
}

// checkDeliveries fails the test for each delivery acknowledged undone.
func checkDeliveries(t *testing.T, r eventRun) {
	t.Helper()
	for _, d := range r.deliveries {
		if d.Outcome == Lost {
			t.Errorf("%s: %s %s lost: %s (after %d errors: %v)", r.tally.Scenario, d.Function, d.Event, d.Why, len(d.Errors), d.Errors)
		}
	}
}

// checkBaseline: without faults every event is handled on the first try and
// the replay did what the demo shows: something to compare against.
func checkBaseline(t *testing.T, base eventRun) {
	t.Helper()
	checkAccounted(t, base.tally)
	if base.tally.Handled != base.tally.In {
		for _, d := range base.deliveries {
			if d.Outcome != Handled {
				t.Errorf("no faults: %s %s: %s (%s) %v", d.Function, d.Event, d.Outcome, d.Why, d.Errors)
			}
		}
		t.FailNow()
	}
	all := strings.Join(base.summaries(), "\n")
	for _, want := range []string{
		"model-guard model-create-no-vpc.json: sagemaker-model-in-vpc arn:aws:sagemaker:us-east-1:123456789012:model/churn-xgb-public NON_COMPLIANT",
		"notebook-guard notebook-create-internet-enabled.json: sagemaker-notebook-no-direct-internet-access",
		"stop-notebook",
		"attach-guardrail",
		"enable-private-dns",
		"ticket:securityhub",
		"ticket:sns",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no faults: no %q in the findings:\n%s", want, all)
		}
	}
	if len(base.tickets) == 0 || len(base.messages) == 0 {
		t.Errorf("no faults: Security Hub findings %v, SNS messages %v; want some of each", base.tickets, base.messages)
	}
	if base.tally.In < len(Steps) {
		t.Errorf("no faults: %d deliveries; want at least one per sample event (%d)", base.tally.In, len(Steps))
	}
}

func checkAccounted(t *testing.T, tl Tally) {
	t.Helper()
	if !tl.Accounted() {
		t.Errorf("%s: %+v: in != handled + retried + DLQ + lost", tl.Scenario, tl)
	}
	if tl.Lost != 0 {
		t.Errorf("%s: lost %d; want 0", tl.Scenario, tl.Lost)
	}
	if tl.Panics != 0 {
		t.Errorf("%s: %d invocations panicked; want 0", tl.Scenario, tl.Panics)
	}
}

// compare returns the lines only in want or only in got, or "".
func compare(want, got []string) string {
	var b strings.Builder
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "  want %s\n  got  %s\n", w, g)
		}
	}
	return b.String()
}

// failure is a service failing every call, and the error code its callers see.
type failure struct {
	service string
	mode    faultproxy.FailMode
	code    string
}

var failures = []failure{
	{"sagemaker", faultproxy.FailDenied, "AccessDeniedException"},
	{"sagemaker", faultproxy.FailInternal, "InternalFailure"},
	{"ec2", faultproxy.FailDenied, "UnauthorizedOperation"},
	{"ec2", faultproxy.FailInternal, "InternalError"},
}

func (f failure) String() string {
	mode := "denied"
	if f.mode == faultproxy.FailInternal {
		mode = "internal error"
	}
	return f.service + " " + mode
}

// TestEventsWithFailingService: when a service fails every call, each event
// whose handling needs it makes the guard return an error naming the
// failure on every invocation, so Lambda retries it and then keeps it in the
// dead-letter queue; the events that do not need it are handled. None is
// acknowledged undone (lost).
func TestEventsWithFailingService(t *testing.T) {
	base := eventsBaseline(t)
	tallies := []Tally{base.tally}
	for _, f := range failures {
		t.Run(f.String(), func(t *testing.T) {
			got := runEvents(t, f.String()+", every call", faultproxy.Options{FailService: f.service, FailMode: f.mode})
			tallies = append(tallies, got.tally)
			checkAccounted(t, got.tally)
			checkDeliveries(t, got)
			if len(got.deliveries) != len(base.deliveries) {
				t.Fatalf("%d deliveries; want %d as without faults", len(got.deliveries), len(base.deliveries))
			}
			affected := 0
			for i, d := range got.deliveries {
				needs := slices.Contains(base.deliveries[i].services, f.service)
				switch {
				case needs && d.Outcome != DLQ:
					t.Errorf("%s %s needs %s: %s (%s); want it in the DLQ after %d invocations", d.Function, d.Event, f.service, d.Outcome, d.Why, LambdaRetries+1)
				case needs:
					affected++
					if len(d.Errors) != LambdaRetries+1 {
						t.Errorf("%s %s: %d invocations returned an error; want %d", d.Function, d.Event, len(d.Errors), LambdaRetries+1)
					}
					for _, err := range d.Errors {
						if !strings.Contains(err.Error(), f.code) {
							t.Errorf("%s %s: error %q does not name the failure %s", d.Function, d.Event, err, f.code)
						}
					}
				case d.Outcome != Handled:
					t.Errorf("%s %s does not need %s: %s (%s, %v); want handled", d.Function, d.Event, f.service, d.Outcome, d.Why, d.Errors)
				}
			}
			if affected == 0 {
				t.Errorf("no event needed %s; the scenario tested nothing", f.service)
			}
			if got.tally.DLQ != affected {
				t.Errorf("DLQ %d; want %d, the events that need %s", got.tally.DLQ, affected, f.service)
			}
		})
	}
	printTable(t, tallies...)
}

// TestEventsWithSNSFailing: SNS is the one ticket sink with no memory, so
// the sinks with one must not forget that it failed (shared/ticket
// announces a change before Security Hub writes it). While SNS refuses every
// call, each event with a ticket change to announce fails every invocation
// and ends in the dead-letter queue, nothing is acknowledged unannounced,
// and Security Hub holds nothing that was not announced; when SNS is back
// for Lambda's retry, every notification of the fault-free run is delivered,
// once, and Security Hub ends as without faults. None is lost.
func TestEventsWithSNSFailing(t *testing.T) {
	base := eventsBaseline(t)
	denied := faultproxy.Options{FailService: "sns", FailMode: faultproxy.FailDenied}
	const code = "AccessDenied"
	tallies := []Tally{base.tally}

	t.Run("every call", func(t *testing.T) {
		got := runEvents(t, "sns denied, every call", denied)
		tallies = append(tallies, got.tally)
		checkAccounted(t, got.tally)
		checkDeliveries(t, got)
		if len(got.deliveries) != len(base.deliveries) {
			t.Fatalf("%d deliveries; want %d as without faults", len(got.deliveries), len(base.deliveries))
		}
		for i, d := range got.deliveries {
			switch d.Outcome {
			case DLQ:
				if len(d.Errors) != LambdaRetries+1 {
					t.Errorf("%s %s: %d invocations returned an error; want %d", d.Function, d.Event, len(d.Errors), LambdaRetries+1)
				}
				for _, err := range d.Errors {
					if !strings.Contains(err.Error(), "ticket sns: ") || !strings.Contains(err.Error(), code) {
						t.Errorf("%s %s: error %q does not name the sns failure %s", d.Function, d.Event, err, code)
					}
				}
			case Handled:
				// Nothing to announce: its tickets already said so, or there
				// was nothing open to resolve (its opening is in the DLQ).
				for _, f := range d.Response.Findings {
					for _, a := range f.Actions {
						if strings.HasPrefix(a.Type, "ticket:") && a.Outcome == finding.Done {
							t.Errorf("%s %s: %s %s done with sns down; want nothing written unannounced", d.Function, d.Event, a.Type, a.Target)
						}
					}
				}
			default:
				t.Errorf("%s %s: %s (%v); want handled or in the DLQ: sns never answers", d.Function, d.Event, d.Outcome, d.Errors)
			}
			if opensTicket(base.deliveries[i].Response) && d.Outcome != DLQ {
				t.Errorf("%s %s opened or updated a ticket without faults: %s; want it in the DLQ, its notification unsent", d.Function, d.Event, d.Outcome)
			}
		}
		if got.tally.DLQ == 0 {
			t.Errorf("no event in the DLQ; the scenario tested nothing")
		}
		if len(got.messages) != 0 {
			t.Errorf("SNS delivered %v; want nothing", got.messages)
		}
		if len(got.tickets) != 0 {
			t.Errorf("Security Hub holds %v; want nothing: no change is written before it is announced", got.tickets)
		}
	})

	t.Run("recovered for the retry", func(t *testing.T) {
		got := replay(t, "sns denied, recovered for the retry", denied, &faultproxy.Options{})
		tallies = append(tallies, got.tally)
		checkAccounted(t, got.tally)
		checkDeliveries(t, got)
		if len(got.deliveries) != len(base.deliveries) {
			t.Fatalf("%d deliveries; want %d as without faults", len(got.deliveries), len(base.deliveries))
		}
		for i, d := range got.deliveries {
			needs := slices.Contains(base.deliveries[i].services, "sns")
			switch {
			case needs && (d.Outcome != Retried || len(d.Errors) != 1):
				t.Errorf("%s %s needs sns: %s after %d errors (%v); want handled on the first retry", d.Function, d.Event, d.Outcome, len(d.Errors), d.Errors)
			case needs && !strings.Contains(d.Errors[0].Error(), code):
				t.Errorf("%s %s: error %q does not name the sns failure %s", d.Function, d.Event, d.Errors[0], code)
			case !needs && d.Outcome != Handled:
				t.Errorf("%s %s does not need sns: %s (%v); want handled", d.Function, d.Event, d.Outcome, d.Errors)
			}
			if want, got := decisions(base.deliveries[i].Response), decisions(d.Response); !slices.Equal(want, got) {
				t.Errorf("%s %s: decided %v; want %v as without faults", d.Function, d.Event, got, want)
			}
		}
		if got.tally.Retried == 0 {
			t.Errorf("no event was retried; the scenario tested nothing")
		}
		if !equalMaps(got.messages, base.messages) {
			t.Errorf("SNS delivered %v; want %v, each notification once as without faults", got.messages, base.messages)
		}
		if !equalMaps(got.tickets, base.tickets) {
			t.Errorf("Security Hub holds %v; want %v as without faults", got.tickets, base.tickets)
		}
	})
	printTable(t, tallies...)
}

// opensTicket reports whether resp announced a NON_COMPLIANT finding.
func opensTicket(resp guard.Response) bool {
	for _, f := range resp.Findings {
		for _, a := range f.Actions {
			if f.Status == finding.NonCompliant && a.Type == "ticket:sns" && a.Outcome == finding.Done {
				return true
			}
		}
	}
	return false
}

// TestEventsUnderHeavyThrottling: at 80% throttling some calls fail all
// their attempts, so invocations return errors and Lambda's retries (and
// the dead-letter queue) come into play. Every event still ends handled or
// in the DLQ, none lost; an event handled on a retry decides every resource
// as the fault-free run did (its actions may differ: the first invocation
// may have done some of them).
func TestEventsUnderHeavyThrottling(t *testing.T) {
	base := eventsBaseline(t)
	rounds := 1
	if long {
		rounds = 3
	}
	tallies := []Tally{base.tally}
	for round := range rounds {
		seed := uint64(round + 1)
		got := runEvents(t, fmt.Sprintf("80%% throttled, seed %d", seed), faultproxy.Options{ThrottleRate: 0.8, Seed: seed})
		tallies = append(tallies, got.tally)
		checkAccounted(t, got.tally)
		checkDeliveries(t, got)
		// A redelivered event updates its tickets; it does not open more.
		if got.tally.DLQ == 0 && !equalMaps(got.tickets, base.tickets) {
			t.Errorf("%s: Security Hub holds %v; want %v as without faults", got.tally.Scenario, got.tickets, base.tickets)
		}
		// Nor does it lose a notification: every SNS message of the
		// fault-free run was delivered (a retry may repeat one).
		if got.tally.DLQ == 0 {
			for subject, n := range base.messages {
				if got.messages[subject] < n {
					t.Errorf("%s: SNS message %q delivered %d times; want at least %d as without faults: a notification was lost", got.tally.Scenario, subject, got.messages[subject], n)
				}
			}
		}
		if got.tally.ReturnedForRetry == 0 {
			t.Errorf("%s: no invocation returned an error; the scenario tested nothing Lambda does", got.tally.Scenario)
		}
		for i, d := range got.deliveries {
			if d.Outcome == DLQ {
				t.Logf("%s %s: in the DLQ: %v", d.Function, d.Event, d.Errors[len(d.Errors)-1])
				continue
			}
			if want, got := decisions(base.deliveries[i].Response), decisions(d.Response); !slices.Equal(want, got) {
				t.Errorf("%s %s (%s): decided %v; want %v as without faults", d.Function, d.Event, d.Outcome, got, want)
			}
			if d.Outcome == Retried {
				t.Logf("%s %s: handled on invocation %d after %v", d.Function, d.Event, len(d.Errors)+1, d.Errors)
				if diff := compare(base.deliveries[i].summary, d.summary); diff != "" {
					t.Logf("%s %s: actions after the retry differ from the fault-free run (the first invocation did some):\n%s", d.Function, d.Event, diff)
				}
			}
		}
	}
	printTable(t, tallies...)
}

// decisions are the rule and status of each finding of resp.
func decisions(resp guard.Response) []string {
	var out []string
	for _, f := range resp.Findings {
		out = append(out, f.Rule+" "+string(f.Status))
	}
	return out
}

// TestStepsCoverEverySample: every sample in events/ is replayed, so a new
// sample cannot be left out of these tests unnoticed.
func TestStepsCoverEverySample(t *testing.T) {
	names, err := fs.Glob(events.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range Steps {
		files = append(files, s.File)
	}
	for _, n := range names {
		if !slices.Contains(files, n) {
			t.Errorf("events/%s is not in Steps: add it, with what makes the world look as it says", n)
		}
	}
	if len(files) != len(names) {
		t.Errorf("Steps has %d events; events/ has %d", len(files), len(names))
	}
}
