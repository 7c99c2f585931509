package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Any error, throttle or dead letter means an event may have gone unchecked, so every
// alarm fires on the first one.
func alarmAboveZero(scope constructs.Construct, id, description string, metric awscloudwatch.IMetric, topic awssns.ITopic) awscloudwatch.Alarm {
	a := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	return a
}

func fiveMinuteSum() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Sum")}
}

func addFunctionAlarms(g *guardFunction, name string, topic awssns.ITopic) {
	alarmAboveZero(g.Construct, "ErrorsAlarm", "vpcguard "+name+" returned errors", g.Function.MetricErrors(fiveMinuteSum()), topic)
	alarmAboveZero(g.Construct, "ThrottlesAlarm", "vpcguard "+name+" was throttled", g.Function.MetricThrottles(fiveMinuteSum()), topic)
}

func addQueueAlarm(scope constructs.Construct, id, description string, q awssqs.IQueue, topic awssns.ITopic) {
	metric := q.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
		Period:    awscdk.Duration_Minutes(jsii.Number(5)),
		Statistic: jsii.String("Maximum"),
	})
	alarmAboveZero(scope, id, description, metric, topic)
}
