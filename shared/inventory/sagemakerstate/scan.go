package sagemakerstate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// ModelScan is one read of a region's models that a backfill's model
// listing and its VPC listing share: the VPC listing needs every model's
// subnets, which the model listing reads anyway (Search, or ListModels and
// one DescribeModel a model where Search is refused), so reading them a
// second time doubled the backfill's SageMaker calls. One is built per
// backfill run, account and region (setup.Listing), never per process:
// models come and go between runs.
//
// The model listing streams the models as it reads them and keeps only
// each model's name and subnet ids (about 100 bytes a model: 1 MB at
// 10,000), and only when a VPC listing waits for them; the VPC listing
// takes them once the read is over and lets them go.
type ModelScan struct {
	SageMaker ScanAPI
	// Parallel is how many models are described at once where Search is
	// refused (1 when 0).
	Parallel int
	Log      *slog.Logger // nil: silent

	mu       sync.Mutex
	listings int  // model listings built on this read
	indexed  bool // a VPC listing built after one waits for the subnets
	started  bool
	done     chan struct{}
	hosted   []hosted
	err      error
}

// hosted is a model's name and the subnets of its VpcConfig.
type hosted struct {
	name    string
	subnets []string
}

// ListDescribes is how many models a backfill describes at once where
// Search is refused: it reads every model of the region, beside the
// backfill's own workers.
const ListDescribes = 8

// NewModelScan returns a scan not yet read.
func NewModelScan(api ScanAPI, parallel int, log *slog.Logger) *ModelScan {
	return &ModelScan{SageMaker: api, Parallel: parallel, Log: log, done: make(chan struct{})}
}

// Models returns the backfill's model lister reading through m. Build it
// before m.Subnets: a VPC listing waits only for a model listing built
// before it (the backfill builds an account and region's listers in the
// catalogue's order, models first), so it can never wait for one that no
// worker will run.
func (m *ModelScan) Models() Models {
	m.mu.Lock()
	m.listings++
	m.mu.Unlock()
	return Models{scan: m}
}

// Subnets returns what a VPC listing reads the models' subnets with (a
// networkstate.ModelScanner): the model listing's read when one was built
// before, else a scan of its own (ModelSubnets, Parallel describes at once).
func (m *ModelScan) Subnets() SharedSubnets {
	m.mu.Lock()
	defer m.mu.Unlock()
	wait := m.listings > 0
	m.indexed = m.indexed || wait
	return SharedSubnets{scan: m, wait: wait}
}

// SharedSubnets is ModelScan.Subnets.
type SharedSubnets struct {
	scan *ModelScan
	wait bool
}

// Each calls fn with each model's name and subnets, until fn returns false.
func (s SharedSubnets) Each(ctx context.Context, fn func(name string, subnets []string) bool) error {
	m := s.scan
	if !s.wait {
		return ModelSubnets{SageMaker: m.SageMaker, Parallel: m.Parallel}.Each(ctx, fn)
	}
	select {
	case <-m.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.mu.Lock()
	all, err := m.hosted, m.err
	m.hosted = nil // one VPC listing a region: let them go
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("the model listing's read: %w", err)
	}
	for _, h := range all {
		if !fn(h.name, h.subnets) {
			return nil
		}
	}
	return nil
}

// errStopped ends the read of a listing stopped before its end (the run
// was cancelled, or its time budget ran out): what it read is not every
// model.
var errStopped = errors.New("model listing stopped before its end")

// abandon ends a read that will not happen: a VPC listing waiting for it
// is told so (errStopped) instead of waiting for ever.
func (m *ModelScan) abandon() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return // the read ends on its own
	}
	m.started, m.err = true, errStopped
	close(m.done)
}

// list reads the models and streams them to emit, keeping their subnets
// when a VPC listing waits for them. Search returns each model's VpcConfig
// and tags, 100 a page; where it is refused on its first page (moto does
// not implement it for models; a policy may not allow it) the models are
// listed and described, Parallel at a time, and handed on known. A model
// that cannot be described is handed on unknown, so that the reader reads
// it again and its finding carries the error (a model deleted in between
// reads as missing).
func (m *ModelScan) list(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) (err error) {
	m.mu.Lock()
	first := !m.started
	m.started = true
	keep := first && m.indexed
	m.mu.Unlock()
	var kept []hosted
	var describeErrs []error
	interned := map[string]string{} // models share subnets: one copy of each id
	record := func(name string, subnets []string) {
		if !keep {
			return
		}
		h := hosted{name: name}
		for _, sn := range subnets {
			if v, ok := interned[sn]; ok {
				sn = v
			} else {
				interned[sn] = sn
			}
			h.subnets = append(h.subnets, sn)
		}
		kept = append(kept, h)
	}
	if first {
		defer func() {
			m.mu.Lock()
			m.hosted, m.err = kept, cmpErr(err, describeErrs)
			if !m.indexed {
				m.hosted = nil
			}
			m.mu.Unlock()
			close(m.done)
		}()
	}
	stop := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return errStopped
	}

	in := &sagemaker.SearchInput{Resource: smtypes.ResourceTypeModel, MaxResults: aws.Int32(min(pageSize, 100))}
	for page := 0; ; page++ {
		out, err := m.SageMaker.Search(ctx, in)
		if err != nil {
			if page == 0 && ctx.Err() == nil {
				if m.Log != nil {
					m.Log.DebugContext(ctx, "search refused; listing and describing models instead", "account", account, "region", region, "error", err.Error())
				}
				break
			}
			return fmt.Errorf("search models: %w", err)
		}
		for _, rec := range out.Results {
			if rec.Model == nil || rec.Model.Model == nil {
				continue
			}
			s := searchedModel(account, region, rec.Model.Model)
			record(s.ID, vpcSubnets(rec.Model.Model.VpcConfig))
			if !emit(s, true) {
				return stop()
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}

	p := sagemaker.NewListModelsPaginator(m.SageMaker, &sagemaker.ListModelsInput{MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list models: %w", err)
		}
		// Described a few at a time and handed on before the next few: a
		// page may hold every model of the region (moto ignores
		// MaxResults), and a whole page of descriptions held at once grew
		// a backfill of 10,000 models to 232 MB.
		models := page.Models
		for len(models) > 0 {
			chunk := models[:min(len(models), describeChunk(m.Parallel))]
			models = models[len(chunk):]
			names := make([]string, len(chunk))
			for i, sum := range chunk {
				names[i] = aws.ToString(sum.ModelName)
			}
			outs, errs := describeModels(ctx, m.SageMaker, names, m.Parallel)
			for i, sum := range chunk {
				s := resource.State{Ref: resource.Ref{Kind: resource.Model, ID: names[i], Account: account, Region: region},
					ARN: aws.ToString(sum.ModelArn), Created: aws.ToTime(sum.CreationTime)}
				known := false
				switch {
				case errs[i] != nil:
					describeErrs = append(describeErrs, errs[i])
				case outs[i] != nil:
					s, known = describedModel(s.Ref, outs[i]), true
					record(s.ID, s.Model.Subnets)
				}
				if !emit(s, known) {
					return stop()
				}
			}
		}
	}
	return nil
}

// describeChunk is how many models are described before they are handed
// on: a few rounds of the parallel describes.
func describeChunk(parallel int) int { return 4 * max(parallel, 1) }

// cmpErr is the read's error as a VPC listing sees it: the listing's, or
// the describes that failed (their models' subnets are unknown).
func cmpErr(err error, describeErrs []error) error {
	if err != nil {
		return err
	}
	return errors.Join(describeErrs...)
}

// describeModels describes the models, parallel at a time, in their order:
// a nil answer and no error for a model that no longer exists.
func describeModels(ctx context.Context, api ScanAPI, names []string, parallel int) ([]*sagemaker.DescribeModelOutput, []error) {
	out := make([]*sagemaker.DescribeModelOutput, len(names))
	errs := make([]error, len(names))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Go(func() {
			for i := range work {
				d, err := api.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(names[i])})
				switch {
				case awserr.IsNotFound(err):
				case err != nil:
					errs[i] = fmt.Errorf("describe model %s: %w", names[i], err)
				default:
					out[i] = d
				}
			}
		})
	}
	for i := range names {
		work <- i
	}
	close(work)
	wg.Wait()
	return out, errs
}
