package inventory

import (
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
)

// The readers are evaluate's StateReaders. The check lives here, not in
// evaluate: evaluate importing inventory would link the SageMaker and EC2
// SDKs into every function.
var (
	_ evaluate.StateReader = (*Reader)(nil)
	_ evaluate.StateReader = (*sagemakerstate.Reader)(nil)
	_ evaluate.StateReader = (*endpointstate.Reader)(nil)
)
