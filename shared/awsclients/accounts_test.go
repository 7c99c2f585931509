package awsclients

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// fakeSTS answers GetCallerIdentity; blocking holds the answer until released,
// so a test can see whether Accounts holds its lock across the call.
type fakeSTS struct {
	STS
	mu      sync.Mutex
	calls   int
	account string
	err     error
	release chan struct{}
}

func (f *fakeSTS) GetCallerIdentity(ctx context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.release != nil {
		<-f.release
	}
	if f.err != nil {
		return nil, f.err
	}
	return &sts.GetCallerIdentityOutput{Account: aws.String(f.account)}, nil
}

// TestHomeAccountAsksOnce: the first answer is kept; an error is returned and
// asked again next time.
func TestHomeAccountAsksOnce(t *testing.T) {
	f := &fakeSTS{err: errors.New("no credentials")}
	a := &Accounts{home: NewRegional(aws.Config{Region: "us-east-1"}), sts: f, others: map[string]*Regional{}}
	if _, err := a.HomeAccount(context.Background()); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("HomeAccount error = %v; want the STS error", err)
	}
	f.err, f.account = nil, "111122223333"
	for range 3 {
		if got, err := a.HomeAccount(context.Background()); err != nil || got != "111122223333" {
			t.Fatalf("HomeAccount = %q, %v; want 111122223333", got, err)
		}
	}
	if f.calls != 2 {
		t.Errorf("GetCallerIdentity calls = %d; want 2 (the failed one, then one kept answer)", f.calls)
	}
}

// TestHomeAccountDoesNotHoldTheLockAcrossTheCall: while STS is slow to answer
// (retrying, say), nothing else waiting for the lock is held up.
func TestHomeAccountDoesNotHoldTheLockAcrossTheCall(t *testing.T) {
	f := &fakeSTS{account: "111122223333", release: make(chan struct{})}
	a := &Accounts{home: NewRegional(aws.Config{Region: "us-east-1"}), sts: f, others: map[string]*Regional{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = a.HomeAccount(context.Background())
	}()
	for {
		f.mu.Lock()
		n := f.calls
		f.mu.Unlock()
		if n > 0 {
			break
		}
	}
	set := make(chan struct{})
	go func() {
		a.SetHomeAccount("111122223333") // takes the lock
		close(set)
	}()
	select {
	case <-set:
	case <-time.After(10 * time.Second):
		t.Errorf("SetHomeAccount waited for STS's answer: the lock is held across GetCallerIdentity")
	}
	close(f.release)
	<-done
}
