package motoserver

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// TestServersStartedTogetherAreSeparate: servers started at the same moment
// (as test packages run side by side) each get their own emulator, so one's
// reset or seeding never reaches another.
func TestServersStartedTogetherAreSeparate(t *testing.T) {
	const n = 4
	servers := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = Start() })
	}
	wg.Wait()
	for i, s := range servers {
		if errs[i] != nil {
			t.Fatalf("start %d: %v", i, errs[i])
		}
		t.Cleanup(s.Stop)
	}
	ctx := context.Background()
	urls := map[string]bool{}
	for i, s := range servers {
		if urls[s.URL] {
			t.Fatalf("two servers answer on %s", s.URL)
		}
		urls[s.URL] = true
		name := "queue-of-server-" + string(rune('a'+i))
		if _, err := sqs.NewFromConfig(s.Config("us-east-1")).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)}); err != nil {
			t.Fatalf("create queue on %s: %v", s.URL, err)
		}
	}
	if err := servers[0].Reset(); err != nil {
		t.Fatal(err)
	}
	for i, s := range servers {
		out, err := sqs.NewFromConfig(s.Config("us-east-1")).ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil {
			t.Fatalf("list queues on %s: %v", s.URL, err)
		}
		want := 1
		if i == 0 {
			want = 0 // reset
		}
		if len(out.QueueUrls) != want {
			t.Errorf("server %d holds queues %v; want %d: servers share state", i, out.QueueUrls, want)
		}
	}
}
