package sqlexport

import (
	"bytes"
	"testing"

	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// benchExport renders the test trails 100 times over as d's result.
func benchExport(b *testing.B, d Dialect) []byte {
	var rows []map[string]string
	for _, name := range []string{"healthy.json", "disabled.json", "putkeypolicy.json", "intruder.json"} {
		for _, ev := range trailEvents(b, name) {
			rows = append(rows, engineRow(b, ev, d))
		}
	}
	var all []map[string]string
	for range 100 {
		all = append(all, rows...)
	}
	if d == Athena {
		return athenaCSV(b, all)
	}
	return lakeResults(b, all, 10)
}

func benchmarkRead(b *testing.B, d Dialect) {
	data := benchExport(b, d)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		fn := func(*cloudtrail.Event) error { n++; return nil }
		var errs []cloudtrail.InputError
		if d == Athena {
			_, errs, _ = ReadAthenaCSV(bytes.NewReader(data), "bench", nil, fn)
		} else {
			_, errs, _ = ReadLakeJSON(bytes.NewReader(data), "bench", nil, fn)
		}
		if n == 0 || len(errs) > 0 {
			b.Fatalf("%d events, errors %v", n, errs)
		}
	}
}

func BenchmarkReadAthenaCSV(b *testing.B) { benchmarkRead(b, Athena) }
func BenchmarkReadLakeJSON(b *testing.B)  { benchmarkRead(b, CloudTrailLake) }
