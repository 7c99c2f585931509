// Package isolation is a fake for what moto lacks: moto_server 5.2.1's
// CreateModel ignores EnableNetworkIsolation and DescribeModel always
// answers false (moto/sagemaker/models.py Model.__init__ hard-codes it).
// Models keeps what each CreateModel sent and puts it on the DescribeModel
// answers of the same clients, so that a model created isolated reads
// isolated, as on AWS. Every other call, and every other field, is moto's.
//
// It is a fake: tests and the demo that use it say so.
package isolation

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go/middleware"
)

// Models remembers each model's EnableNetworkIsolation as it was created.
type Models struct {
	mu       sync.Mutex
	isolated map[string]bool
}

// Option is smithy middleware for every client of a test (or the demo):
// seeding and reading clients must share one Models.
func (m *Models) Option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("vpcguard/fake-network-isolation",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			switch p := in.Parameters.(type) {
			case *sagemaker.CreateModelInput:
				m.set(aws.ToString(p.ModelName), aws.ToBool(p.EnableNetworkIsolation))
			case *sagemaker.DeleteModelInput:
				m.set(aws.ToString(p.ModelName), false)
			case *sagemaker.DescribeModelInput:
				if o, ok := out.Result.(*sagemaker.DescribeModelOutput); ok && m.get(aws.ToString(o.ModelName)) {
					o.EnableNetworkIsolation = aws.Bool(true)
				}
			}
			return out, md, err
		}), middleware.After)
}

func (m *Models) set(name string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.isolated == nil {
		m.isolated = map[string]bool{}
	}
	m.isolated[name] = on
}

func (m *Models) get(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.isolated[name]
}
