package delivery_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/events"
	sampleworld "github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// TestTimelineCoversEverySample: every sample in events/ is delivered, so a
// new sample cannot be left out of these tests unnoticed.
func TestTimelineCoversEverySample(t *testing.T) {
	names, err := fs.Glob(events.FS, "*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !slices.Contains(timeline, n) {
			t.Errorf("events/%s is not in timeline: add it, with the call it records in makeCall", n)
		}
	}
	if len(timeline) != len(names) {
		t.Errorf("timeline has %d events; events/ has %d", len(timeline), len(names))
	}
}

// msg names an SNS message as endState does.
func msg(change, rule, name string) string { return change + " " + rule + " " + name }

const (
	ruleModel    = "sagemaker-model-in-vpc"
	ruleEndpoint = "sagemaker-vpc-endpoint-private-dns"
	ruleNotebook = "sagemaker-notebook-no-direct-internet-access"
	ruleDomain   = "sagemaker-studio-domain-vpc-only"
	ruleJob      = "sagemaker-job-in-vpc"
	ruleURL      = "sagemaker-presigned-url-via-vpc-endpoint"
	ruleIsolated = "sagemaker-model-network-isolation"
	ruleMultiAZ  = "sagemaker-model-vpc-multi-az"
	rulePath     = "sagemaker-vpc-private-path-complete"
)

// ordered runs every sample event once, in the order the calls happened,
// after every call was made, and returns the end state. The first test to
// ask computes it; the others reuse it (moto state is the same each time).
func ordered(t *testing.T) endState {
	t.Helper()
	baseline.mu.Lock()
	defer baseline.mu.Unlock()
	if baseline.done {
		return baseline.s
	}
	w := newWorld(t, worldOptions{})
	w.makeCalls(timeline...)
	w.run("ordered", w.primary(1), nil)
	w.settled("ordered")
	s := w.capture(w.since(0))
	if !t.Failed() {
		baseline.s, baseline.done = s, true
	}
	return s
}

var baseline struct {
	mu   sync.Mutex
	done bool
	s    endState
}

// TestOrderedDelivery pins the end state of one ordered delivery of every
// sample event (plus the events the guards' own writes cause, fed back),
// which the disorder test then holds every other delivery to. The account
// is the one after every sample call was made: churn-xgb-public and the
// sagemaker.api endpoint were deleted, the runtime endpoint's private DNS
// turned off. Every rule is enforced, network isolation included (the
// models' isolation as CreateModel sent it: moto ignores it, the isolation
// fake keeps it).
func TestOrderedDelivery(t *testing.T) {
	s := ordered(t)
	t.Logf("end state of the ordered delivery:\n%s", s)
	finding := "vpcguard:finding"

	// Models: the deleted one is not acted on; the one without subnets is
	// tagged with both rules it broke; every model without network
	// isolation is tagged; the isolated one is left alone.
	if _, ok := s.Models["churn-xgb-public"]; ok {
		t.Errorf("churn-xgb-public exists; it was deleted")
	}
	for name, want := range map[string]string{
		"fraud-empty-subnets": ruleModel + " " + ruleIsolated,
		"churn-xgb-private":   ruleIsolated,
		"forecast-one-az":     ruleIsolated,
		"sandbox-scoring":     ruleIsolated,
		"fraud-isolated":      "",
	} {
		if got := s.Models[name][finding]; got != want {
			t.Errorf("%s tag %s = %q; want %q", name, finding, got, want)
		}
	}
	// Notebooks: the two with direct internet access are stopped and tagged.
	for name, want := range map[string]string{
		"research-open":      "Stopped map[" + finding + ":" + ruleNotebook + "]",
		"quickstart-default": "Stopped map[" + finding + ":" + ruleNotebook + "]",
		"research-private":   "InService map[]",
	} {
		if got := s.Notebooks[name]; got != want {
			t.Errorf("notebook %s = %q; want %q", name, got, want)
		}
	}
	// Endpoints: private DNS turned on and tagged; ssm and s3 left alone.
	for label, want := range map[string]string{
		"sagemaker.runtime": "privateDNS=true state=available map[Name:sagemaker.runtime " + finding + ":" + ruleEndpoint + "]",
		"notebook":          "privateDNS=true state=available map[Name:notebook " + finding + ":" + ruleEndpoint + "]",
		"ssm":               "privateDNS=false state=available map[Name:ssm]",
	} {
		if got := s.Endpoints[label]; got != want {
			t.Errorf("endpoint %s = %q; want %q", label, got, want)
		}
	}
	for _, label := range []string{"s3", "sagemaker.api"} { // a gateway; deleted before any event
		if got := s.Endpoints[label]; strings.Contains(got, finding) {
			t.Errorf("endpoint %s = %q; want it left alone", label, got)
		}
	}
	// Studio domains: the three not VpcOnly tagged; studio-prod left alone.
	for name, want := range map[string]string{
		"studio-prod":     "VpcOnly map[team:ml-platform]",
		"studio-research": "PublicInternetOnly map[team:ml-platform " + finding + ":" + ruleDomain + "]",
		"studio-sandbox":  "PublicInternetOnly map[team:ml-platform " + finding + ":" + ruleDomain + "]",
		"studio-finance":  "PublicInternetOnly map[team:ml-platform " + finding + ":" + ruleDomain + "]",
	} {
		if got := s.Domains[name]; got != want {
			t.Errorf("domain %s = %q; want %q", name, got, want)
		}
	}
	// Jobs: the running AutoML job outside the VPC is stopped; the finished
	// ones are tagged only; the ones in the VPC left alone.
	tagged := " map[team:ml-platform " + finding + ":" + ruleJob + "]"
	for id, want := range map[string]string{
		"automl-job/churn-autopilot":                        "Stopped" + tagged,
		"automl-job/fraud-autopilot":                        "InProgress map[team:ml-platform]",
		"training-job/churn-train-public":                   "Completed" + tagged,
		"training-job/churn-train-private":                  "Completed map[team:ml-platform]",
		"training-job/churn-hpo-001-6f3c2a1b":               "Completed" + tagged,
		"hyper-parameter-tuning-job/churn-hpo":              "Completed" + tagged,
		"processing-job/pipelines-x7k2m9-preprocess-4d1e8b": "Completed map[sagemaker:pipeline-execution-arn:" + sampleworld.PipelineExecution + " " + finding + ":" + ruleJob + "]",
	} {
		if got := s.Jobs[id]; got != want {
			t.Errorf("job %s = %q; want %q", id, got, want)
		}
	}
	// Guardrails: on the callers of the non-compliant calls only; not on the
	// execution role the pipeline step and the tuning job's trial ran as,
	// not on grace's IAM Identity Center role, nor on the guards' own roles.
	// alice (MLEngineer) has one for her models without network isolation
	// and her training and tuning jobs.
	wantPolicies := map[string][]string{
		"role/DataScientist": {"vpcguard-guardrail"},
		"role/MLEngineer":    {"vpcguard-guardrail"},
		"role/PlatformAdmin": {"vpcguard-guardrail"},
		"user/bob":           {"vpcguard-guardrail"},
		"user/carol":         {"vpcguard-guardrail"},
	}
	if fmt.Sprint(s.Policies) != fmt.Sprint(wantPolicies) {
		t.Errorf("attached policies = %v; want %v", s.Policies, wantPolicies)
	}
	// Tickets: one Security Hub finding per non-compliant resource; the
	// endpoints', once fixed, resolved by the guards' own ModifyVpcEndpoint.
	// ml-platform lost its sagemaker.api endpoint and keeps a notebook one;
	// ml-sandbox never had one, nor runtime or S3 endpoints for its model.
	open, resolved := "ACTIVE NEW FAILED HIGH", "ARCHIVED RESOLVED PASSED INFORMATIONAL"
	medium, low := "ACTIVE NEW FAILED MEDIUM", "ACTIVE NEW FAILED LOW"
	wantHub := map[string]string{
		ruleModel + " fraud-empty-subnets":       open,
		ruleNotebook + " research-open":          open,
		ruleNotebook + " quickstart-default":     open,
		ruleEndpoint + " vpce:sagemaker.runtime": resolved,
		ruleEndpoint + " vpce:notebook":          resolved,
		ruleIsolated + " fraud-empty-subnets":    medium,
		ruleIsolated + " churn-xgb-private":      medium,
		ruleIsolated + " forecast-one-az":        medium,
		ruleIsolated + " sandbox-scoring":        medium,
		ruleMultiAZ + " forecast-one-az":         low,
		ruleMultiAZ + " sandbox-scoring":         low,
		rulePath + " vpc:ml-platform":            medium,
		rulePath + " vpc:ml-sandbox":             medium,
	}
	for _, name := range []string{"d-studio-research", "d-studio-sandbox", "d-studio-finance"} {
		wantHub[ruleDomain+" "+name] = open
	}
	for _, name := range []string{"churn-train-public", "churn-hpo-001-6f3c2a1b", "churn-hpo", "pipelines-x7k2m9-preprocess-4d1e8b", "churn-autopilot"} {
		wantHub[ruleJob+" "+name] = open
	}
	// The presigned URLs from public addresses: to dave's and grace's
	// profiles, and to the research-open notebook.
	for _, name := range []string{"dave", "grace", "research-open"} {
		wantHub[ruleURL+" "+name] = medium
	}
	if fmt.Sprint(s.Hub) != fmt.Sprint(wantHub) {
		t.Errorf("Security Hub findings = %v; want %v", s.Hub, wantHub)
	}
	for k, n := range s.HubFindings {
		if n != 1 {
			t.Errorf("Security Hub holds %d findings for %s; want 1", n, k)
		}
	}
	wantSNS := map[string]int{
		msg("opened", ruleModel, "fraud-empty-subnets"):         1,
		msg("opened", ruleNotebook, "research-open"):            1,
		msg("opened", ruleNotebook, "quickstart-default"):       1,
		msg("opened", ruleEndpoint, "vpce:sagemaker.runtime"):   1,
		msg("opened", ruleEndpoint, "vpce:notebook"):            1,
		msg("resolved", ruleEndpoint, "vpce:sagemaker.runtime"): 1,
		msg("resolved", ruleEndpoint, "vpce:notebook"):          1,
	}
	for k, st := range wantHub {
		if st != resolved {
			rule, res, _ := strings.Cut(k, " ")
			wantSNS[msg("opened", rule, res)] = 1
		}
	}
	if fmt.Sprint(s.SNS) != fmt.Sprint(wantSNS) {
		t.Errorf("SNS messages = %v; want %v", s.SNS, wantSNS)
	}
	// Every remediation request was sent once for each rule that asked
	// for it: fraud-empty-subnets is tagged for two rules, the second tag
	// adding its rule to the first's.
	for k, n := range s.Writes {
		want := 1
		if k == "AddTags fraud-empty-subnets" {
			want = 2
		}
		if n != want {
			t.Errorf("%d requests %s; want %d", n, k, want)
		}
	}
	if s.Writes["StopAutoMLJob churn-autopilot"] != 1 {
		t.Errorf("StopAutoMLJob churn-autopilot sent %d times; want 1", s.Writes["StopAutoMLJob churn-autopilot"])
	}
}

// TestDuplicatesAndDisorder: every sample event delivered three times, in
// shuffled orders (and in reverse: StartNotebookInstance before its
// CreateNotebookInstance, deletions before creations), with the events the
// guards' own writes cause fed back at random points, leaves the account
// exactly as one ordered delivery does: the same tags, stops, guardrails,
// one Security Hub finding per (rule, resource) in the same state, the same
// SNS messages, and each remediation request sent once.
func TestDuplicatesAndDisorder(t *testing.T) {
	want := ordered(t)

	t.Run("reversed, each three times", func(t *testing.T) {
		w := newWorld(t, worldOptions{})
		w.makeCalls(timeline...)
		q := w.primary(3)
		slices.Reverse(q)
		order := w.run("reversed", q, rand.New(rand.NewPCG(0, 0)))
		if s, c := index(order, "notebook-start.json"), index(order, "notebook-create-internet-enabled.json"); s > c {
			t.Fatalf("StartNotebookInstance delivered at %d, after its create at %d; the order does not test disorder", s, c)
		}
		w.settled("reversed")
		if d := diff(want, w.capture(w.since(0))); d != "" {
			t.Errorf("reversed triple delivery differs from one ordered delivery:\n%s", d)
		}
	})

	for _, seed := range seeds() {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := newWorld(t, worldOptions{})
			w.makeCalls(timeline...)
			rng := rand.New(rand.NewPCG(seed, seed))
			order := w.run(fmt.Sprintf("seed %d", seed), shuffled(w.primary(3), rng), rng)
			w.settled(fmt.Sprintf("seed %d", seed))
			if d := diff(want, w.capture(w.since(0))); d != "" {
				t.Errorf("seed %d (VPCGUARD_DELIVERY_SEED=%d to rerun): triple shuffled delivery differs from one ordered delivery:\n%s\ndelivery order:\n  %s",
					seed, seed, d, strings.Join(order, "\n  "))
			}
		})
	}
}

// seeds are the shuffles to run: VPCGUARD_DELIVERY_SEED alone when set;
// else three, or twenty in the long form.
func seeds() []uint64 {
	if s := os.Getenv("VPCGUARD_DELIVERY_SEED"); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return []uint64{n}
		}
	}
	n := uint64(3)
	if long() {
		n = 20
	}
	var out []uint64
	for i := range n {
		out = append(out, i+1)
	}
	return out
}

// TestLateEventsForDeletedResources: the guards ticketed a model and a
// notebook; their owners then deleted them; the create events come again
// (late duplicates), with the deletions and dave's start, three times each
// and shuffled. Each finding is NOT_APPLICABLE with no remediation; each
// Security Hub finding is resolved once, not duplicated, and one RESOLVED
// message goes out per ticket.
func TestLateEventsForDeletedResources(t *testing.T) {
	n := uint64(1)
	if long() {
		n = 10
	}
	for seed := range n {
		t.Run(fmt.Sprintf("seed=%d", seed+1), func(t *testing.T) {
			label := fmt.Sprintf("seed %d", seed+1)
			rng := rand.New(rand.NewPCG(seed+1, 7))
			w := newWorld(t, worldOptions{})
			creates := []string{"model-create-no-vpc.json", "notebook-create-internet-enabled.json"}
			w.makeCalls(creates...)
			w.noFeed = true
			for _, name := range creates {
				w.run(label, []delivery{{name: name, raw: w.sample(name)}}, nil)
			}
			opened := w.capture(nil)
			if len(opened.Hub) != 3 || opened.Hub[ruleModel+" churn-xgb-public"] != "ACTIVE NEW FAILED HIGH" ||
				opened.Hub[ruleIsolated+" churn-xgb-public"] != "ACTIVE NEW FAILED MEDIUM" || opened.Hub[ruleNotebook+" research-open"] != "ACTIVE NEW FAILED HIGH" {
				t.Fatalf("%s: after the first deliveries, Security Hub = %v; want the model's two and the notebook's findings open", label, opened.Hub)
			}

			// The owners delete them (the notebook is stopped: the guard stopped it).
			ctx := t.Context()
			if _, err := w.clients.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")}); err != nil {
				t.Fatalf("delete model: %v", err)
			}
			if _, err := w.clients.SageMaker.DeleteNotebookInstance(ctx, &sagemaker.DeleteNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")}); err != nil {
				t.Fatalf("delete notebook: %v", err)
			}
			// DeleteNotebookInstance has no sample: dave's call, built here.
			deleteNotebook := delivery{name: "DeleteNotebookInstance research-open", raw: w.cloudTrailEvent("sagemaker", "DeleteNotebookInstance", "DataScientist",
				map[string]any{"notebookInstanceName": "research-open"}, nil)}

			var q []delivery
			for range 3 {
				for _, name := range []string{"model-create-no-vpc.json", "model-delete.json", "notebook-create-internet-enabled.json", "notebook-start.json"} {
					q = append(q, delivery{name: name, raw: w.sample(name)})
				}
				q = append(q, deleteNotebook)
			}
			mark := w.Recorder.Mark()
			for _, d := range shuffled(q, rng) {
				out, err := w.deliver(d)
				if err != nil {
					t.Errorf("%s: %v", label, err)
				}
				for _, f := range out.findings {
					if f.Status != finding.NotApplicable {
						t.Errorf("%s: %s: %s %s is %s; want NOT_APPLICABLE", label, d.name, f.Rule, f.ResourceID, f.Status)
					}
					for _, a := range f.Actions {
						if !strings.HasPrefix(a.Type, "ticket:") {
							t.Errorf("%s: %s: action %+v on a deleted resource; want none", label, d.name, a)
						}
					}
				}
			}
			s := w.capture(w.since(mark))
			resolved := "ARCHIVED RESOLVED PASSED INFORMATIONAL"
			wantHub := map[string]string{ruleModel + " churn-xgb-public": resolved, ruleIsolated + " churn-xgb-public": resolved, ruleNotebook + " research-open": resolved}
			if fmt.Sprint(s.Hub) != fmt.Sprint(wantHub) {
				t.Errorf("%s: Security Hub = %v; want %v", label, s.Hub, wantHub)
			}
			for k, n := range s.HubFindings {
				if n != 1 {
					t.Errorf("%s: %d Security Hub findings for %s; want 1", label, n, k)
				}
			}
			wantWrites := map[string]int{
				"BatchImportFindings " + ruleModel + " churn-xgb-public ARCHIVED":    1,
				"BatchImportFindings " + ruleIsolated + " churn-xgb-public ARCHIVED": 1,
				"BatchImportFindings " + ruleNotebook + " research-open ARCHIVED":    1,
				"Publish " + msg("resolved", ruleModel, "churn-xgb-public"):          1,
				"Publish " + msg("resolved", ruleIsolated, "churn-xgb-public"):       1,
				"Publish " + msg("resolved", ruleNotebook, "research-open"):          1,
			}
			if fmt.Sprint(s.Writes) != fmt.Sprint(wantWrites) {
				t.Errorf("%s: writes after the deletions = %v; want only one resolution per ticket: %v", label, s.Writes, wantWrites)
			}
			wantSNS := map[string]int{
				msg("opened", ruleModel, "churn-xgb-public"): 1, msg("opened", ruleIsolated, "churn-xgb-public"): 1, msg("opened", ruleNotebook, "research-open"): 1,
				msg("resolved", ruleModel, "churn-xgb-public"): 1, msg("resolved", ruleIsolated, "churn-xgb-public"): 1, msg("resolved", ruleNotebook, "research-open"): 1,
			}
			all := opened.SNS
			for k, v := range s.SNS {
				all[k] += v
			}
			if fmt.Sprint(all) != fmt.Sprint(wantSNS) {
				t.Errorf("%s: SNS messages = %v; want %v", label, all, wantSNS)
			}
			if got := s.Policies["role/MLEngineer"]; !slices.Equal(got, []string{"vpcguard-guardrail"}) {
				t.Errorf("%s: MLEngineer policies = %v; want the guardrail once", label, got)
			}
		})
	}
}

// TestConcurrentDuplicates delivers the three copies of each sample event at
// once, as three Lambda invocations running side by side would take them.
// Whatever the interleaving, there is one Security Hub finding per (rule,
// resource), the same guardrails, tags and stops as one ordered delivery;
// the re-checks a lost race may queue are allowed. SNS may announce a new
// ticket more than once here: the Security Hub read and import are not one
// atomic step, so two invocations can both see no finding and both open it.
// The count is logged, not asserted.
func TestConcurrentDuplicates(t *testing.T) {
	want := ordered(t)
	w := newWorld(t, worldOptions{})
	w.makeCalls(timeline...)
	w.noFeed = true
	for _, name := range timeline {
		raw := w.sample(name)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range 3 {
			wg.Go(func() { _, errs[i] = w.deliver(delivery{name: name, raw: raw}) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Logf("%s: a concurrent copy returned an error (Lambda would retry it): %v", name, err)
			}
		}
	}
	got := w.capture(w.since(0))
	for k, n := range got.HubFindings {
		if n != 1 {
			t.Errorf("%d Security Hub findings for %s; want 1", n, k)
		}
	}
	for _, field := range []struct {
		name      string
		want, got any
	}{
		{"models", want.Models, got.Models},
		{"notebooks", want.Notebooks, got.Notebooks},
		{"policies", want.Policies, got.Policies},
	} {
		if fmt.Sprint(field.want) != fmt.Sprint(field.got) {
			t.Errorf("%s = %v; want %v as after one ordered delivery", field.name, field.got, field.want)
		}
	}
	// Without the feedback round the endpoints' tickets stay open, so only
	// the ticket keys are compared.
	for k := range want.Hub {
		if _, ok := got.Hub[k]; !ok {
			t.Errorf("no Security Hub finding for %s", k)
		}
	}
	if len(got.Hub) != len(want.Hub) {
		t.Errorf("Security Hub findings for %v; want for %v", got.Hub, want.Hub)
	}
	for k, n := range got.SNS {
		if strings.HasPrefix(k, "opened ") && n > 1 {
			t.Logf("SNS announced %q %d times (concurrent duplicates raced on the Security Hub read)", k, n)
		}
	}
}
