// Package networks wires what SageMaker's network paths are judged on: VPCs
// (EC2 to read them and their endpoints, SageMaker to find the models they
// host), and models read with the Availability Zones of their subnets (EC2).
// The rules that judge them only ticket, so nothing here remediates and no
// IAM client is linked.
package networks

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/networkstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// VPCs reads VPCs, their endpoints and the models they host. A guard's
// reader bounds its scan of models (networkstate.MaxDescribesPerRead); the
// backfill's lister reads every model once for all the region's VPCs, and
// that read is the model listing's when the run lists models too.
var VPCs = setup.Kind{
	Kind: resource.VPC,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return networkstate.VPCs{
			EC2:          awsclients.Service(c, ec2.NewFromConfig),
			Subnets:      Subnets(c),
			Models:       sagemakerstate.ModelSubnets{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig), MaxDescribes: networkstate.MaxDescribesPerRead},
			ModelsMatter: rules.ModelsMatter,
		}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, log *slog.Logger, l *setup.Listing) backfill.Lister {
		return networkstate.VPCList{
			EC2:          awsclients.Service(c, ec2.NewFromConfig),
			Models:       modelScan(c, log, l).Subnets(),
			ModelsMatter: rules.ModelsMatter,
		}
	},
}

// modelScan is the run's one read of the account and region's models, as
// setup/models.ModelScan builds it (imported, it would link IAM here).
func modelScan(c *awsclients.Clients, log *slog.Logger, l *setup.Listing) *sagemakerstate.ModelScan {
	return setup.Once(l, func() *sagemakerstate.ModelScan {
		return sagemakerstate.NewModelScan(awsclients.Service(c, sagemaker.NewFromConfig), sagemakerstate.ListDescribes, log)
	})
}

// Subnets is the account and region's cache of subnets' zones and VPCs, for
// the life of the process: a subnet never changes either, and every reader
// and lister built on c shares it (a guard builds its readers per read).
func Subnets(c *awsclients.Clients) *networkstate.Subnets {
	api := awsclients.Service(c, ec2.NewFromConfig)
	return awsclients.Shared(c, func() *networkstate.Subnets { return networkstate.NewSubnets(api) })
}

// Models reads models with their subnets' zones and remediates nothing:
// network-guard's model rule only tickets.
var Models = Zoned(setup.Kind{
	Kind: resource.Model,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &sagemakerstate.Reader{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, log *slog.Logger, l *setup.Listing) backfill.Lister {
		return modelScan(c, log, l).Models()
	},
})

// Zoned adds the zones of a model's subnets to what k reads and lists, and
// keeps k's remediation: the backfill and the CLI wire models once
// (networks.Zoned(models.Wiring)) and judge them under every model rule.
// Zones come from the account and region's one cache (Subnets).
func Zoned(k setup.Kind) setup.Kind {
	reader, lister := k.Reader, k.Lister
	k.Reader = func(c *awsclients.Clients) evaluate.StateReader {
		return networkstate.ZonedModels{Models: reader(c), Zones: Subnets(c)}
	}
	if lister != nil {
		k.Lister = func(c *awsclients.Clients, cfg config.Config, log *slog.Logger, l *setup.Listing) backfill.Lister {
			return networkstate.ZonedModelList{Models: lister(c, cfg, log, l), Zones: Subnets(c)}
		}
	}
	k.Details = append(append([]rules.Detail{}, k.Details...), rules.SubnetZones)
	return k
}
