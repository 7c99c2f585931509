package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// SageMakerGaps stands in front of moto_server and fakes the SageMaker
// behaviour moto 5.2.1 lacks, speaking SageMaker's JSON protocol (AWS JSON
// 1.1, X-Amz-Target SageMaker.<Op>); every other request goes to moto
// unchanged. It is a fake, and tests that use it say so:
//
//   - moto creates training, processing and tuning jobs Completed and has no
//     Stop*Job: a job marked Running reads InProgress (describe, and list by
//     StatusEquals=InProgress) until its Stop call, which the fake answers
//     and records (the job then reads Stopping); a Stop of a job that is not
//     running is refused as AWS does, with a ValidationException naming its
//     status;
//   - moto's DescribeTrainingJob never has TuningJobArn or AutoMLJobArn: a
//     job given a Parent carries it;
//   - moto has no UpdateDomain: the fake answers it (or refuses it as told,
//     as AWS does while a domain has apps running), and DescribeDomain then
//     reads the new network settings.
type SageMakerGaps struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	running  map[string]string // "<ARN type>/<name>" -> InProgress or Stopping
	parents  map[string]string // "training-job/<name>" -> parent ARN
	domains  map[string]map[string]any
	refuse   map[string][2]string // operation -> error code, message
	answered []SageMakerCall
}

// SageMakerCall is a request the fake answered itself.
type SageMakerCall struct {
	Op   string
	Body map[string]any
}

// NewSageMakerGaps starts the fake in front of the moto_server at upstream;
// it stops when the test ends.
func NewSageMakerGaps(t testing.TB, upstream string) *SageMakerGaps {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("SageMakerGaps: upstream %q: %v", upstream, err)
	}
	g := &SageMakerGaps{proxy: httputil.NewSingleHostReverseProxy(u), running: map[string]string{}, parents: map[string]string{},
		domains: map[string]map[string]any{}, refuse: map[string][2]string{}}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// WithSageMakerGaps starts the fake in front of the Env's moto_server and
// returns it with a SageMaker client (recorded, as the Env's) that goes
// through it.
func (e *Env) WithSageMakerGaps() (*SageMakerGaps, *sagemaker.Client) {
	g := NewSageMakerGaps(e.T, e.Server.URL)
	cfg := e.Config.Copy()
	cfg.BaseEndpoint = aws.String(g.URL())
	return g, sagemaker.NewFromConfig(cfg)
}

// URL is the fake's endpoint.
func (g *SageMakerGaps) URL() string { return g.srv.URL }

// jobTypes maps each faked operation's job to its ARN type and the name
// field of its requests.
var gapJobs = map[string]struct{ arnType, nameField, statusField string }{
	"TrainingJob":             {"training-job", "TrainingJobName", "TrainingJobStatus"},
	"ProcessingJob":           {"processing-job", "ProcessingJobName", "ProcessingJobStatus"},
	"HyperParameterTuningJob": {"hyper-parameter-tuning-job", "HyperParameterTuningJobName", "HyperParameterTuningJobStatus"},
}

// Running makes a training, processing or tuning job (jobType as the API
// names it: TrainingJob, ProcessingJob, HyperParameterTuningJob) read
// InProgress until it is stopped.
func (g *SageMakerGaps) Running(jobType, name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running[gapJobs[jobType].arnType+"/"+name] = "InProgress"
}

// Parent makes a training job read as started by parentARN (a tuning job's
// or an AutoML job's).
func (g *SageMakerGaps) Parent(trainingJob, parentARN string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.parents["training-job/"+trainingJob] = parentARN
}

// Refuse makes op answer HTTP 400 with code and message (UpdateDomain with
// ResourceInUse, as AWS does while the domain has apps running).
func (g *SageMakerGaps) Refuse(op, code, message string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refuse[op] = [2]string{code, message}
}

// Reset forgets every running job, parent, domain update and refusal, as
// a moto reset forgets the resources they were about.
func (g *SageMakerGaps) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running, g.parents, g.domains, g.refuse = map[string]string{}, map[string]string{}, map[string]map[string]any{}, map[string][2]string{}
	g.answered = nil
}

// Answered is what the fake answered itself, in order.
func (g *SageMakerGaps) Answered() []SageMakerCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]SageMakerCall(nil), g.answered...)
}

func (g *SageMakerGaps) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "SageMaker.")
	if !ok {
		g.proxy.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		gapError(w, "InternalFailure", err.Error())
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		gapError(w, "SerializationException", err.Error())
		return
	}
	g.mu.Lock()
	refusal, refused := g.refuse[op]
	g.mu.Unlock()
	switch {
	case refused:
		g.record(op, in)
		gapError(w, refusal[0], refusal[1])
	case op == "UpdateDomain":
		g.updateDomain(w, in)
	case strings.HasPrefix(op, "Stop") && gapJobs[strings.TrimPrefix(op, "Stop")].arnType != "":
		g.stop(w, strings.TrimPrefix(op, "Stop"), in)
	case strings.HasPrefix(op, "List") && strings.HasSuffix(op, "s") && gapJobs[strings.TrimSuffix(strings.TrimPrefix(op, "List"), "s")].arnType != "" && in["StatusEquals"] == "InProgress":
		// moto knows no running job: ask for them all, keep the running.
		delete(in, "StatusEquals")
		g.forward(w, r, in, func(out map[string]any) { g.keepRunning(strings.TrimSuffix(strings.TrimPrefix(op, "List"), "s"), out) })
	case strings.HasPrefix(op, "Describe") && gapJobs[strings.TrimPrefix(op, "Describe")].arnType != "":
		g.forward(w, r, in, func(out map[string]any) { g.patchJob(strings.TrimPrefix(op, "Describe"), out) })
	case op == "DescribeDomain":
		g.forward(w, r, in, func(out map[string]any) { g.patchDomain(out) })
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		g.proxy.ServeHTTP(w, r)
	}
}

func (g *SageMakerGaps) record(op string, in map[string]any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answered = append(g.answered, SageMakerCall{Op: op, Body: in})
}

func (g *SageMakerGaps) updateDomain(w http.ResponseWriter, in map[string]any) {
	g.record("UpdateDomain", in)
	id, _ := in["DomainId"].(string)
	g.mu.Lock()
	patch := map[string]any{}
	for _, k := range []string{"AppNetworkAccessType", "VpcId", "SubnetIds"} {
		if v, ok := in[k]; ok {
			patch[k] = v
		}
	}
	g.domains[id] = patch
	g.mu.Unlock()
	gapReply(w, map[string]any{"DomainArn": "arn:aws:sagemaker:" + Region + ":" + Account + ":domain/" + id})
}

func (g *SageMakerGaps) stop(w http.ResponseWriter, jobType string, in map[string]any) {
	j := gapJobs[jobType]
	name, _ := in[j.nameField].(string)
	key := j.arnType + "/" + name
	g.record("Stop"+jobType, in)
	g.mu.Lock()
	status, ok := g.running[key]
	if ok && status == "InProgress" {
		g.running[key] = "Stopping"
	}
	g.mu.Unlock()
	switch {
	case !ok:
		// moto's jobs are all Completed: AWS refuses to stop a finished job.
		gapError(w, "ValidationException", fmt.Sprintf("The job %s is in status Completed and cannot be stopped.", name))
	case status != "InProgress":
		gapError(w, "ValidationException", fmt.Sprintf("The job %s is in status %s and cannot be stopped.", name, status))
	default:
		gapReply(w, map[string]any{})
	}
}

// forward sends in to moto and hands its JSON answer to patch before
// answering with it.
func (g *SageMakerGaps) forward(w http.ResponseWriter, r *http.Request, in map[string]any, patch func(map[string]any)) {
	body, _ := json.Marshal(in)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	rec := httptest.NewRecorder()
	g.proxy.ServeHTTP(rec, r)
	res := rec.Result()
	out := map[string]any{}
	if res.StatusCode != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	patch(out)
	gapReply(w, out)
}

func (g *SageMakerGaps) patchJob(jobType string, out map[string]any) {
	j := gapJobs[jobType]
	name, _ := out[j.nameField].(string)
	g.mu.Lock()
	defer g.mu.Unlock()
	if status, ok := g.running[j.arnType+"/"+name]; ok {
		out[j.statusField] = status
	}
	if parent, ok := g.parents[j.arnType+"/"+name]; ok {
		if strings.Contains(parent, ":automl-job/") {
			out["AutoMLJobArn"] = parent
		} else {
			out["TuningJobArn"] = parent
		}
	}
}

func (g *SageMakerGaps) keepRunning(jobType string, out map[string]any) {
	j := gapJobs[jobType]
	key := jobType + "Summaries"
	summaries, _ := out[key].([]any)
	g.mu.Lock()
	defer g.mu.Unlock()
	var kept []any
	for _, s := range summaries {
		m, _ := s.(map[string]any)
		name, _ := m[j.nameField].(string)
		if g.running[j.arnType+"/"+name] == "InProgress" {
			m[j.statusField] = "InProgress"
			kept = append(kept, m)
		}
	}
	out[key] = kept
}

func (g *SageMakerGaps) patchDomain(out map[string]any) {
	id, _ := out["DomainId"].(string)
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, v := range g.domains[id] {
		out[k] = v
	}
}

func gapReply(w http.ResponseWriter, out map[string]any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func gapError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
