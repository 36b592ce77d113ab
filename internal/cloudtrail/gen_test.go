package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Test inputs are generated rather than stored: a trail of any size can be
// made, and each test says in its own code what the records contain.

// genEvent returns a CloudTrail record shaped like the ones AWS writes: KMS
// calls with encryption contexts and resources, and a mix of other services
// with larger request and response elements, as in real trails.
func genEvent(rng *rand.Rand, i int, kms bool) map[string]any {
	acct := "111122223333"
	t := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
	id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.Uint32()&0xffff, i&0xfff, rng.Uint32()&0xfff, rng.Uint64()&0xffffffffffff)
	ev := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type":        "AssumedRole",
			"principalId": "AROAEXAMPLEID:session-" + fmt.Sprint(i%7),
			"arn":         "arn:aws:sts::" + acct + ":assumed-role/MyRecommendationRole/session-" + fmt.Sprint(i%7),
			"accountId":   acct,
			"accessKeyId": fmt.Sprintf("ASIA%016X", rng.Uint64()),
			"sessionContext": map[string]any{
				"sessionIssuer": map[string]any{
					"type": "Role", "principalId": "AROAEXAMPLEID", "accountId": acct, "userName": "MyRecommendationRole",
					"arn": "arn:aws:iam::" + acct + ":role/MyRecommendationRole",
				},
				"webIdFederationData": map[string]any{},
				"attributes":          map[string]any{"creationDate": t.Add(-time.Hour).Format(time.RFC3339), "mfaAuthenticated": "false"},
			},
		},
		"eventTime":          t.Format(time.RFC3339),
		"awsRegion":          "us-east-1",
		"userAgent":          "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22 md/GOOS#linux api/kms#1.35.0",
		"requestID":          id,
		"eventID":            id,
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": acct,
		"eventCategory":      "Management",
		"tlsDetails":         map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "kms.us-east-1.amazonaws.com"},
	}
	if kms {
		rec := "arn:aws:bedrock-agentcore:us-east-1:" + acct + ":recommendation/MyPromptRec-" + fmt.Sprintf("%010X", rng.Uint64()&0xffffffffff)
		names := []string{"Decrypt", "GenerateDataKey", "DescribeKey"}
		ev["eventSource"] = KMSEventSource
		ev["eventName"] = names[i%3]
		ev["sourceIPAddress"] = "bedrock-agentcore.amazonaws.com"
		ev["userIdentity"].(map[string]any)["invokedBy"] = "bedrock-agentcore.amazonaws.com"
		ev["requestParameters"] = map[string]any{
			"keyId":             "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
			"encryptionContext": map[string]any{"aws:bedrock-agentcore:recommendationArn": rec},
			"keySpec":           "AES_256",
		}
		ev["responseElements"] = nil
		ev["resources"] = []any{map[string]any{"accountId": acct, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"}}
		if i%11 == 0 {
			ev["errorCode"] = "AccessDenied"
			ev["errorMessage"] = "User is not authorized to perform: kms:Decrypt"
		}
		return ev
	}
	services := []string{"ec2", "ssm", "iam", "s3", "secretsmanager", "sts"}
	svc := services[i%len(services)]
	ev["eventSource"] = svc + ".amazonaws.com"
	ev["eventName"] = "Describe" + svc
	ev["sourceIPAddress"] = fmt.Sprintf("203.0.113.%d", i%250)
	filters := make([]any, 1+i%6)
	for k := range filters {
		filters[k] = map[string]any{"name": fmt.Sprintf("tag:Name%d", k), "valueSet": map[string]any{"items": []any{map[string]any{"value": fmt.Sprintf("value-%x", rng.Uint64())}}}}
	}
	ev["requestParameters"] = map[string]any{"filterSet": map[string]any{"items": filters}, "maxResults": 1000, "includeAllInstances": i%2 == 0}
	ev["responseElements"] = map[string]any{"requestId": id, "reservationSet": map[string]any{}, "policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`}
	ev["additionalEventData"] = map[string]any{"SignatureVersion": "SigV4", "bytesTransferredIn": 0, "x-amz-id-2": fmt.Sprintf("%x", rng.Uint64())}
	return ev
}

// genRecords returns n records, about one in twelve a KMS call (as in the
// invictus dataset), each as its own JSON text.
func genRecords(seed uint64, first, n int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, uint64(first)))
	out := make([][]byte, n)
	for k := range out {
		i := first + k
		b, err := json.Marshal(genEvent(rng, i, i%12 == 5))
		if err != nil {
			panic(err)
		}
		out[k] = b
	}
	return out
}

// recordsFile wraps records the way CloudTrail delivers them.
func recordsFile(recs [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Records":[`)
	for i, r := range recs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(r)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// trailObjectKey is where CloudTrail would put the n-th log file of a day.
func trailObjectKey(acct string, n int) string {
	return fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/2024/01/02/%s_CloudTrail_us-east-1_20240102T%02d%02dZ_%016d.json.gz",
		acct, acct, n/12, n%12*5, n)
}
