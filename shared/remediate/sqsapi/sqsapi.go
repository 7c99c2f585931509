// Package sqsapi gives the notebook remediation (package remediate) the SQS
// call that schedules its re-checks. It is the only part of remediate that
// imports the SQS SDK, so a function that schedules no re-check does not
// link it.
package sqsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Client is the part of the SQS client re-checks need.
type Client interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// API is remediate.QueueAPI over an SQS client.
type API struct{ Client Client }

// New wraps c.
func New(c Client) API { return API{Client: c} }

// Send sends body to the queue queueURL, to be delivered after delaySeconds.
func (a API) Send(ctx context.Context, queueURL, body string, delaySeconds int32) error {
	_, err := a.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(queueURL),
		MessageBody:  aws.String(body),
		DelaySeconds: delaySeconds,
	})
	return err
}
