package sqlexport

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/cloudtrail"
)

func gz(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// checkRead is what every reader must do on any input: no panic, counts
// that add up, errors that name the source.
func checkRead(t *testing.T, st Stats, errs []cloudtrail.InputError, delivered int) {
	if st.Matched != delivered || st.Matched > st.Records {
		t.Fatalf("stats %+v with %d delivered", st, delivered)
	}
	for _, e := range errs {
		if e.Source != "fuzz" || e.Err == nil || e.Record >= st.Records {
			t.Fatalf("bad error %+v (records %d)", e, st.Records)
		}
	}
}

func FuzzReadAthenaCSV(f *testing.F) {
	evs := trailEvents(f, "healthy.json")[:3]
	rows := make([]map[string]string, len(evs))
	for i, ev := range evs {
		rows[i] = engineRow(f, ev, Athena)
	}
	data := athenaCSV(f, rows)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte(strings.Join(Columns, ",") + "\n\"unterminated\n"))
	f.Add([]byte("eventsource,eventname,eventtime,requestparameters\nkms.amazonaws.com,Decrypt,2025-06-01T00:00:00Z,\"{\"\"encryptionContext\"\":{}}\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		st, errs, err := ReadAthenaCSV(bytes.NewReader(in), "fuzz", nil, func(*cloudtrail.Event) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, st, errs, n)
	})
}

func FuzzReadLakeJSON(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, and a large one
	// takes it minutes.
	evs := trailEvents(f, "healthy.json")[:3]
	rows := make([]map[string]string, len(evs))
	for i, ev := range evs {
		rows[i] = engineRow(f, ev, CloudTrailLake)
	}
	data := lakeResults(f, rows, 2)
	f.Add(data)
	f.Add(data[:len(data)/3])
	f.Add([]byte(`[[{"eventsource":"kms.amazonaws.com"},{"eventname":"Decrypt"},{"eventtime":"2025-06-01 10:00:00"},{"encryptioncontext":"{a=b, c=d}"}]]`))
	f.Add([]byte(`{"eventsource":"kms.amazonaws.com","eventname":"Decrypt","eventtime":"2025-06-01T10:00:00Z","readonly":true}`))
	f.Add([]byte(`{"QueryResultRows":[[{"x":null}],{}],"NextToken":"t"} [1]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		n := 0
		st, errs, err := ReadLakeJSON(bytes.NewReader(in), "fuzz", nil, func(*cloudtrail.Event) error { n++; return nil })
		if err != nil {
			t.Fatal(err)
		}
		checkRead(t, st, errs, n)
	})
}
