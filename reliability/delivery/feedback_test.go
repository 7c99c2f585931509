package delivery_test

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// feedback is the CloudTrail event (as EventBridge delivers it) that AWS
// records for a write a guard made, with the guard's role as the caller.
// SNS Publish and SQS SendMessage are data events, which EventBridge does
// not carry from CloudTrail unless a trail logs them; they are built all
// the same, so the guards are shown to ignore them.
func (w *world) feedback(c call) (delivery, bool) {
	w.seq++
	var role string
	for _, g := range w.guards {
		if g.name == c.guard {
			role = g.role
		}
	}
	var source, name string
	var req, resp any
	switch in := c.in.(type) {
	case *iam.AttachRolePolicyInput:
		source, name = "iam", c.op
		req = map[string]any{"roleName": aws.ToString(in.RoleName), "policyArn": aws.ToString(in.PolicyArn)}
	case *iam.AttachUserPolicyInput:
		source, name = "iam", c.op
		req = map[string]any{"userName": aws.ToString(in.UserName), "policyArn": aws.ToString(in.PolicyArn)}
	case *sagemaker.StopNotebookInstanceInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"notebookInstanceName": aws.ToString(in.NotebookInstanceName)}
	case *sagemaker.AddTagsInput:
		source, name = "sagemaker", c.op
		var tags []map[string]string
		for _, t := range in.Tags {
			tags = append(tags, map[string]string{"key": aws.ToString(t.Key), "value": aws.ToString(t.Value)})
		}
		req = map[string]any{"resourceArn": aws.ToString(in.ResourceArn), "tags": tags}
		resp = map[string]any{"tags": tags}
	case *sagemaker.DeleteModelInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"modelName": aws.ToString(in.ModelName)}
	case *sagemaker.StopAutoMLJobInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"autoMLJobName": aws.ToString(in.AutoMLJobName)}
	case *sagemaker.StopTrainingJobInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"trainingJobName": aws.ToString(in.TrainingJobName)}
	case *sagemaker.UpdateDomainInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"domainId": aws.ToString(in.DomainId), "appNetworkAccessType": string(in.AppNetworkAccessType),
			"vpcId": aws.ToString(in.VpcId), "subnetIds": in.SubnetIds}
		resp = map[string]any{"domainArn": "arn:aws:sagemaker:" + region + ":" + acct + ":domain/" + aws.ToString(in.DomainId)}
	case *ec2.ModifyVpcEndpointInput:
		source, name = "ec2", c.op
		r := map[string]any{"VpcEndpointId": aws.ToString(in.VpcEndpointId)}
		if in.PrivateDnsEnabled != nil {
			r["PrivateDnsEnabled"] = *in.PrivateDnsEnabled
		}
		if in.PolicyDocument != nil {
			r["PolicyDocument"] = aws.ToString(in.PolicyDocument)
		}
		req = map[string]any{"ModifyVpcEndpointRequest": r}
		resp = map[string]any{"ModifyVpcEndpointResponse": map[string]any{"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "return": true}}
	case *ec2.CreateTagsInput:
		source, name = "ec2", c.op
		var res, tags []map[string]string
		for _, id := range in.Resources {
			res = append(res, map[string]string{"resourceId": id})
		}
		for _, t := range in.Tags {
			tags = append(tags, map[string]string{"key": aws.ToString(t.Key), "value": aws.ToString(t.Value)})
		}
		req = map[string]any{"resourcesSet": map[string]any{"items": res}, "tagSet": map[string]any{"items": tags}}
		resp = map[string]any{"_return": true}
	case *securityhub.BatchImportFindingsInput:
		source, name = "securityhub", c.op
		var ids []map[string]string
		for _, f := range in.Findings {
			ids = append(ids, map[string]string{"id": aws.ToString(f.Id), "productArn": aws.ToString(f.ProductArn)})
		}
		req = map[string]any{"findings": ids}
		resp = map[string]any{"failedCount": 0, "successCount": len(ids), "failedFindings": []any{}}
	case *sns.PublishInput:
		source, name = "sns", c.op
		req = map[string]any{"topicArn": aws.ToString(in.TopicArn), "subject": aws.ToString(in.Subject)}
		resp = map[string]any{"messageId": "m-" + strconv.Itoa(w.seq)}
	case *sqs.SendMessageInput:
		source, name = "sqs", c.op
		req = map[string]any{"queueUrl": aws.ToString(in.QueueUrl), "delaySeconds": in.DelaySeconds}
	default:
		w.t.Errorf("no feedback event for %s (%T)", c.op, c.in)
		return delivery{}, false
	}
	return delivery{name: fmt.Sprintf("feedback %s by %s", name, c.guard), raw: w.cloudTrailEvent(source, name, role, req, resp)}, true
}

// cloudTrailEvent builds an EventBridge "AWS API Call via CloudTrail" event
// for a call made by an assumed-role session of role, shaped as the
// samples in events/ are.
func (w *world) cloudTrailEvent(service, eventName, role string, req, resp any) json.RawMessage {
	w.t.Helper()
	id := fmt.Sprintf("%012d", w.seq)
	ev := map[string]any{
		"version": "0", "id": "feedback-" + id, "detail-type": "AWS API Call via CloudTrail",
		"source": "aws." + service, "account": acct, "time": "2026-11-20T11:00:00Z", "region": region, "resources": []any{},
		"detail": map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "principalId": "AROAVPCGUARD:" + role,
				"arn":       "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + role + "-session",
				"accountId": acct, "accessKeyId": "ASIAVPCGUARD",
				"sessionContext": map[string]any{
					"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAVPCGUARD", "arn": "arn:aws:iam::" + acct + ":role/" + role,
						"accountId": acct, "userName": role},
					"attributes": map[string]any{"creationDate": "2026-11-20T10:59:00Z", "mfaAuthenticated": "false"},
				},
				"invokedBy": "lambda.amazonaws.com",
			},
			"eventTime": "2026-11-20T11:00:00Z", "eventSource": service + ".amazonaws.com", "eventName": eventName,
			"awsRegion": region, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-sdk-go-v2/1.47.7",
			"requestParameters": req, "responseElements": resp,
			"requestID": "req-" + id, "eventID": "00000000-0000-0000-0000-" + id,
			"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
			"recipientAccountId": acct, "eventCategory": "Management",
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		w.t.Fatalf("marshal feedback event: %v", err)
	}
	return b
}
