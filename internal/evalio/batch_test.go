package evalio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
)

func testEngine(t *testing.T) *authz.Engine {
	return engineOf(t, "k.json", []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Describe","Effect":"Allow",`+
		`"Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"kms:DescribeKey","Resource":"*"}]}`))
}

// TestBatchMalformedLines: a malformed line gets an error object in its
// place, every other line its decision, and the batch reports the first
// malformed line and how many there were, across chunk boundaries.
func TestBatchMalformedLines(t *testing.T) {
	const allow = `{"principal":"arn:aws:iam::111122223333:role/R","action":"kms:DescribeKey"}`
	const deny = `{"principal":"arn:aws:iam::111122223333:role/R","action":"kms:Decrypt"}`
	bad := map[int]string{ // line -> what the error says
		2:    `"principal" must be a string`,
		700:  `action "kms:Decrpyt": not a KMS action; did you mean kms:Decrypt?`,
		1500: `unknown request field "actions"`,
	}
	var in strings.Builder
	const n = 1600 // several 512-line chunks
	for i := 1; i <= n; i++ {
		switch i {
		case 2:
			in.WriteString(`{"principal": 7, "action":"kms:Decrypt"}`)
		case 700:
			in.WriteString(`{"principal":"arn:aws:iam::111122223333:role/R","action":"kms:Decrpyt"}`)
		case 1500:
			in.WriteString(`{"principal":"arn:aws:iam::111122223333:role/R","actions":"kms:Decrypt"}`)
		default:
			if i%2 == 0 {
				in.WriteString(deny)
			} else {
				in.WriteString(allow)
			}
		}
		in.WriteByte('\n')
	}
	var out bytes.Buffer
	stats, err := Batch("req.jsonl", strings.NewReader(in.String()), &out, testEngine(t), RequestTemplate{}, 3)
	var me *MalformedError
	if !errors.As(err, &me) || me.Count != 3 || me.First.Line != 2 {
		t.Fatalf("err = %v, want the line-2 error of 3", err)
	}
	if !strings.HasPrefix(err.Error(), `req.jsonl:2:15: "principal" must be a string`) || !strings.Contains(err.Error(), "and 2 more malformed request lines") {
		t.Errorf("error text: %v", err)
	}
	if want := (Stats{Decisions: n - 3, Denied: (n-3)/2 - 1, Malformed: 3}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("%d output lines for %d requests", len(lines), n)
	}
	for i, l := range lines {
		var got struct {
			Decision string
			Error    string
			Line     int
		}
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		if msg, isBad := bad[i+1]; isBad {
			if !strings.Contains(got.Error, msg) || got.Line != i+1 {
				t.Errorf("line %d: %s, want error %q", i+1, l, msg)
			}
			continue
		}
		want := "ImplicitDeny"
		if (i+1)%2 == 1 {
			want = "Allow"
		}
		if got.Decision != want {
			t.Errorf("line %d: %s, want %s", i+1, l, want)
		}
	}
}

func TestBatchCleanHasNoError(t *testing.T) {
	in := `{"principal":"arn:aws:iam::111122223333:role/R","action":"kms:DescribeKey"}` + "\n\n"
	var out bytes.Buffer
	stats, err := Batch("r", strings.NewReader(in), &out, testEngine(t), RequestTemplate{}, 1)
	if err != nil || stats != (Stats{Decisions: 1}) || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("stats %+v err %v out %q", stats, err, out.String())
	}
}

func TestAppendErrorJSON(t *testing.T) {
	got := string(AppendErrorJSON(nil, &InputError{Line: 3, Col: 9, Msg: "bad \"x\"\n"}))
	var v map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatal(err)
	}
	if v["error"] != "bad \"x\"\n" || v["line"] != 3.0 || v["column"] != 9.0 || len(v) != 3 {
		t.Errorf("%s", got)
	}
}
