package cloudtrail

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRead reads a generated gzip'd trail in S3 layout (8 files of
// 2,500 records, one in twelve a KMS call; about 36 MB of JSON, 2.3 MB
// gzip'd). MB/s is decompressed JSON; gzMB/s is the compressed input.
// "kms" is the audit's case (the prefilter spares most records); "all"
// decodes every record, the worst case of a trail made of KMS calls.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	const files, perFile = 8, 2500
	var plain, packed int64
	for f := range files {
		data := recordsFile(genRecords(1, f*perFile, perFile))
		gz := gzipBytes(b, data)
		plain += int64(len(data))
		packed += int64(len(gz))
		writeFile(b, filepath.Join(dir, filepath.FromSlash(trailObjectKey("111122223333", f))), gz)
	}
	for _, bb := range []struct {
		name   string
		filter *Filter
	}{{"kms", nil}, {"all", &Filter{}}} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(plain)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				res, err := Read(context.Background(), Inputs{Paths: []string{dir}}, Options{Filter: bb.filter}, func(*Event) error { return nil })
				if err != nil || len(res.Errors) > 0 || res.Stats.Records != files*perFile {
					b.Fatalf("err=%v errors=%v stats=%+v", err, res.Errors, res.Stats)
				}
			}
			b.ReportMetric(float64(packed)*float64(b.N)/time.Since(start).Seconds()/1e6, "gzMB/s")
		})
	}
}
