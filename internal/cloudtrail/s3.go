package cloudtrail

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3API is the part of *s3.Client the reader uses.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, params *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3URI is a parsed s3://bucket/prefix.
type S3URI struct {
	Bucket string
	Prefix string // may be empty: the whole bucket
}

// ParseS3URI parses s3://bucket[/prefix].
func ParseS3URI(s string) (S3URI, error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return S3URI{}, fmt.Errorf("%q is not an s3:// URI", s)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return S3URI{}, fmt.Errorf("%q names no bucket", s)
	}
	return S3URI{Bucket: bucket, Prefix: prefix}, nil
}

func (u S3URI) String() string { return "s3://" + u.Bucket + "/" + u.Prefix }

// enumerateS3 lists the objects under a prefix, page by page as the workers
// take them, so a bucket of any size is never held in memory. Listing order
// is S3's (UTF-8 binary key order), which is deterministic.
func (r *run) enumerateS3(ctx context.Context, client S3API, u S3URI, send func(*job) error) error {
	input := &s3.ListObjectsV2Input{Bucket: aws.String(u.Bucket)}
	if u.Prefix != "" {
		input.Prefix = aws.String(u.Prefix)
	}
	pages := s3.NewListObjectsV2Paginator(client, input)
	listed := 0
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			r.enumError(InputError{Source: u.String(), Record: -1,
				Err: fmt.Errorf("list objects: %w", err), Unreadable: listed == 0})
			return nil
		}
		for _, obj := range page.Contents {
			listed++
			key := aws.ToString(obj.Key)
			if strings.HasSuffix(key, "/") {
				continue // a console "folder" placeholder
			}
			name := "s3://" + u.Bucket + "/" + key
			// A key that is the whole prefix was named by the user: read it
			// whatever it is called.
			if key != u.Prefix {
				if reason := skipReason(key, strings.TrimPrefix(key, u.Prefix), false); reason != "" {
					r.skip(name, reason)
					continue
				}
			}
			bucket := u.Bucket
			err := send(&job{name: name, size: aws.ToInt64(obj.Size), open: func(ctx context.Context) (io.ReadCloser, error) {
				out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
				if err != nil {
					return nil, fmt.Errorf("get object: %w", err)
				}
				return out.Body, nil
			}})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
