package organization

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/shared/orgbackfill"
)

// S3API is the part of the S3 client the runs store calls.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ S3API = (*s3.Client)(nil)

// Store keeps the organization backfill's runs in one bucket.
type Store struct {
	S3     S3API
	Bucket string
}

var _ orgbackfill.Store = Store{}

// NewS3 is the S3 client of cfg; with a custom endpoint (an emulator) the
// bucket goes in the path.
func NewS3(cfg aws.Config, opts ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(cfg, append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }}, opts...)...)
}

// Put writes an object.
func (s Store) Put(ctx context.Context, key string, body []byte) error {
	_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("application/json")})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", s.Bucket, key, err)
	}
	return nil
}

// maxObject bounds what Get reads: a run's plan, a shard's record, never
// more than a few MiB (the shard list, 25,000 shards, is about 2 MiB).
const maxObject = 64 << 20

// Get reads an object.
func (s Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.Bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, maxObject+1))
	if err != nil {
		return nil, fmt.Errorf("read s3://%s/%s: %w", s.Bucket, key, err)
	}
	if len(b) > maxObject {
		return nil, fmt.Errorf("read s3://%s/%s: larger than %d MiB", s.Bucket, key, maxObject>>20)
	}
	return b, nil
}

// List hands each key under prefix to each, page by page.
func (s Store) List(ctx context.Context, prefix string, each func(string) error) error {
	p := s3.NewListObjectsV2Paginator(s.S3, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list s3://%s/%s: %w", s.Bucket, prefix, err)
		}
		for _, o := range page.Contents {
			if err := each(aws.ToString(o.Key)); err != nil {
				return err
			}
		}
	}
	return nil
}
