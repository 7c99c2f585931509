package testenv

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// PendingNotebooks fakes a notebook still starting: moto creates notebook
// instances InService at once, so the Pending status AWS reports right after
// CreateNotebookInstance is put on the DescribeNotebookInstance answer here,
// while Set(true). Every other call goes to Client unchanged.
type PendingNotebooks struct {
	*sagemaker.Client
	mu      sync.Mutex
	pending bool
}

// Set makes every notebook read Pending (true) or as moto has it (false).
func (p *PendingNotebooks) Set(pending bool) {
	p.mu.Lock()
	p.pending = pending
	p.mu.Unlock()
}

// DescribeNotebookInstance is moto's answer, Pending while Set(true).
func (p *PendingNotebooks) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	out, err := p.Client.DescribeNotebookInstance(ctx, in, opts...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && p.pending {
		out.NotebookInstanceStatus = smtypes.NotebookInstanceStatusPending
	}
	return out, err
}
