package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// newTrail records management events in every region: EventBridge only receives
// "AWS API Call via CloudTrail" events while some trail records them. Accounts that
// already have an organization or account trail should leave createTrail off. With
// readEvents (a rule's calls may be read-only management events, rules.NeedReadEvents)
// it records read events too: whether EventBridge needs the trail to record them to
// deliver them is not documented, so the safe side is taken.
func newTrail(scope constructs.Construct, id string, readEvents bool) awscloudtrail.Trail {
	c := constructs.NewConstruct(scope, jsii.String(id))
	accessLogs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(accessLogs, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This bucket receives the trail bucket's server access logs; logging it to itself would loop and another bucket would need the same exemption."),
	}}, jsii.Bool(false))
	bucket := awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("trail-bucket/"),
	})
	events := awscloudtrail.ReadWriteType_WRITE_ONLY
	if readEvents {
		events = awscloudtrail.ReadWriteType_ALL
	}
	return awscloudtrail.NewTrail(c, jsii.String("Trail"), &awscloudtrail.TrailProps{
		Bucket:                     bucket,
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		ManagementEvents:           events,
		EnableFileValidation:       jsii.Bool(true),
		SendToCloudWatchLogs:       jsii.Bool(false),
	})
}
