#!/usr/bin/env bash
# audit-throughput.sh: how fast `kmslint audit` reads CloudTrail at volume,
# against the usual shell baseline on the same files:
#
#   zcat FILES | jq -c '.Records[] | select(.eventSource=="kms.amazonaws.com")'
#
# It generates SIZE_MB (default 400) MB of gzip'd CloudTrail in the S3
# layout: files of ~2,000 records as CloudTrail delivers them, a mix of
# recommendation KMS calls (DescribeKey, DryRun and real GenerateDataKey and
# Decrypt with the aws:bedrock-agentcore:recommendationArn context, by the
# caller through the service and by the service principal), other KMS calls
# (S3 SSE-KMS, no recommendation context), and the bulk: S3 data events, EC2
# Describe* with large responseElements, STS AssumeRole, IAM and Lambda
# calls, with random ids so the data compresses like real logs (~10x).
# Both commands run once with a warm page cache; the script reports wall
# time, throughput over the gzip'd bytes, the speed-up, and peak RSS
# (/usr/bin/time -v "Maximum resident set size").
#
# Environment: SIZE_MB (default 400), KEEP=DIR to keep (and reuse) the
# generated trail there, KMSLINT_FLAGS extra flags for kmslint audit.
set -euo pipefail

cd "$(dirname "$0")/.."
size_mb=${SIZE_MB:-400}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trail=${KEEP:-$work/trail}

command -v jq >/dev/null || { echo "jq is missing (apt-get install jq)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

go build -o "$work/kmslint" ./cmd/kmslint

if [ ! -f "$trail/.complete-$size_mb" ]; then
	mkdir -p "$work/gen" "$trail"
	cat >"$work/gen/main.go" <<'GO'
// Command gen writes gzip'd CloudTrail log files in the S3 layout until
// their total size reaches the target.
package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const acct = "111122223333"

var base = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func uuid(r *rand.Rand) string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff)
}

func hexs(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func upper(r *rand.Rand, n int) string {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(len(digits))]
	}
	return string(b)
}

func role(r *rand.Rand, name string, t time.Time) map[string]any {
	sess := "session-" + strconv.Itoa(r.IntN(50))
	return map[string]any{
		"type": "AssumedRole", "principalId": "AROA" + upper(r, 17) + ":" + sess,
		"arn":       "arn:aws:sts::" + acct + ":assumed-role/" + name + "/" + sess,
		"accountId": acct, "accessKeyId": "ASIA" + upper(r, 16),
		"sessionContext": map[string]any{
			"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + upper(r, 17),
				"arn": "arn:aws:iam::" + acct + ":role/" + name, "accountId": acct, "userName": name},
			"webIdFederationData": map[string]any{},
			"attributes":          map[string]any{"creationDate": t.Add(-time.Duration(r.IntN(3600)) * time.Second).Format(time.RFC3339), "mfaAuthenticated": "false"},
		},
	}
}

func common(r *rand.Rand, t time.Time, source, name string) map[string]any {
	id := uuid(r)
	return map[string]any{
		"eventVersion": "1.11", "eventTime": t.Format(time.RFC3339), "eventSource": source, "eventName": name,
		"awsRegion": "us-east-1", "sourceIPAddress": fmt.Sprintf("203.0.113.%d", r.IntN(255)),
		"userAgent": "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64 api/" + source,
		"requestID": uuid(r), "eventID": id, "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": acct, "eventCategory": "Management",
		"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
			"clientProvidedHostHeader": source[:len(source)-len(".amazonaws.com")] + ".us-east-1.amazonaws.com"},
	}
}

const keyARN = "arn:aws:kms:us-east-1:" + acct + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"

// kmsRec is a recommendation's KMS call; recommendations run for a while,
// so each one's ~12 calls spread over three consecutive files.
func kmsRec(r *rand.Rand, t time.Time, file int64) map[string]any {
	rec := fmt.Sprintf("arn:aws:bedrock-agentcore:us-east-1:%s:recommendation/PromptRec-%010d", acct, file/3*20+int64(r.IntN(20)))
	names := []string{"GenerateDataKey", "Decrypt", "DescribeKey"}
	name := names[r.IntN(3)]
	ev := common(r, t, "kms.amazonaws.com", name)
	ev["resources"] = []any{map[string]any{"accountId": acct, "type": "AWS::KMS::Key", "ARN": keyARN}}
	ev["responseElements"] = nil
	params := map[string]any{"keyId": keyARN, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
	if name != "DescribeKey" {
		params["encryptionContext"] = map[string]any{"aws:bedrock-agentcore:recommendationArn": rec}
	}
	if name == "GenerateDataKey" {
		params["keySpec"] = "AES_256"
		delete(params, "encryptionAlgorithm")
	}
	ev["requestParameters"] = params
	if r.IntN(2) == 0 {
		ev["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "bedrock-agentcore.amazonaws.com"}
		ev["sourceIPAddress"] = "bedrock-agentcore.amazonaws.com"
		ev["userAgent"] = "bedrock-agentcore.amazonaws.com"
		ev["sharedEventID"] = uuid(r)
	} else {
		u := role(r, "MyRecommendationRole", t)
		u["invokedBy"] = "bedrock-agentcore.amazonaws.com"
		ev["userIdentity"] = u
		ev["sourceIPAddress"] = "bedrock-agentcore.amazonaws.com"
		if r.IntN(8) == 0 {
			ev["errorCode"] = "DryRunOperationException"
			ev["errorMessage"] = "The request would have succeeded, but the DryRun option is set."
		}
	}
	return ev
}

func kmsOther(r *rand.Rand, t time.Time) map[string]any {
	ev := common(r, t, "kms.amazonaws.com", "Decrypt")
	ev["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "s3.amazonaws.com"}
	ev["resources"] = []any{map[string]any{"accountId": acct, "type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:" + acct + ":key/" + uuid(r)}}
	ev["requestParameters"] = map[string]any{"encryptionAlgorithm": "SYMMETRIC_DEFAULT",
		"encryptionContext": map[string]any{"aws:s3:arn": "arn:aws:s3:::data-bucket/" + hexs(r, 24) + ".parquet"}}
	ev["responseElements"] = nil
	return ev
}

func unrelated(r *rand.Rand, t time.Time) map[string]any {
	switch r.IntN(5) {
	case 0, 1: // S3 data events dominate busy trails
		ev := common(r, t, "s3.amazonaws.com", []string{"GetObject", "PutObject", "HeadObject"}[r.IntN(3)])
		ev["userIdentity"] = role(r, "DataPipelineRole", t)
		ev["eventCategory"], ev["managementEvent"], ev["eventType"] = "Data", false, "AwsApiCall"
		key := "warehouse/" + hexs(r, 8) + "/part-" + strconv.Itoa(r.IntN(99999)) + ".parquet"
		ev["requestParameters"] = map[string]any{"bucketName": "data-bucket", "Host": "data-bucket.s3.us-east-1.amazonaws.com", "key": key}
		ev["additionalEventData"] = map[string]any{"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
			"bytesTransferredIn": 0, "bytesTransferredOut": r.IntN(1 << 24), "x-amz-id-2": upper(r, 60), "AuthenticationMethod": "AuthHeader"}
		ev["resources"] = []any{map[string]any{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::data-bucket/" + key},
			map[string]any{"accountId": acct, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::data-bucket"}}
		return ev
	case 2: // EC2 Describe* with big responses
		ev := common(r, t, "ec2.amazonaws.com", "DescribeInstances")
		ev["userIdentity"] = role(r, "MonitoringRole", t)
		var items []any
		for i := 0; i < 1+r.IntN(4); i++ {
			items = append(items, map[string]any{"instanceId": "i-" + hexs(r, 17), "imageId": "ami-" + hexs(r, 17),
				"instanceType": "m7g.large", "privateIpAddress": fmt.Sprintf("10.0.%d.%d", r.IntN(255), r.IntN(255)),
				"subnetId": "subnet-" + hexs(r, 17), "vpcId": "vpc-" + hexs(r, 17),
				"tagSet": map[string]any{"items": []any{map[string]any{"key": "Name", "value": "worker-" + hexs(r, 6)}}}})
		}
		ev["requestParameters"] = map[string]any{"instancesSet": map[string]any{}, "filterSet": map[string]any{}}
		ev["responseElements"] = map[string]any{"requestId": uuid(r), "reservationSet": map[string]any{"items": items}}
		return ev
	case 3:
		ev := common(r, t, "sts.amazonaws.com", "AssumeRole")
		ev["userIdentity"] = role(r, "CIRole", t)
		ev["readOnly"] = false
		ev["requestParameters"] = map[string]any{"roleArn": "arn:aws:iam::" + acct + ":role/DeployRole", "roleSessionName": "ci-" + hexs(r, 12), "durationSeconds": 3600}
		ev["responseElements"] = map[string]any{"credentials": map[string]any{"accessKeyId": "ASIA" + upper(r, 16),
			"sessionToken": upper(r, 300), "expiration": t.Add(time.Hour).Format("Jan 2, 2006, 3:04:05 PM")},
			"assumedRoleUser": map[string]any{"assumedRoleId": "AROA" + upper(r, 17) + ":ci", "arn": "arn:aws:sts::" + acct + ":assumed-role/DeployRole/ci"}}
		ev["resources"] = []any{map[string]any{"ARN": "arn:aws:iam::" + acct + ":role/DeployRole", "accountId": acct, "type": "AWS::IAM::Role"}}
		return ev
	default:
		svc := []string{"lambda.amazonaws.com", "iam.amazonaws.com", "logs.amazonaws.com", "secretsmanager.amazonaws.com"}[r.IntN(4)]
		ev := common(r, t, svc, []string{"GetFunction", "ListRoles", "DescribeLogGroups", "GetSecretValue"}[r.IntN(4)])
		ev["userIdentity"] = role(r, "AppRole", t)
		ev["requestParameters"] = map[string]any{"name": "app-" + hexs(r, 10), "maxItems": 100}
		ev["responseElements"] = nil
		return ev
	}
}

func main() {
	dir := os.Args[1]
	target, _ := strconv.ParseInt(os.Args[2], 10, 64)
	target <<= 20
	var written, next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for written.Load() < target {
				n := next.Add(1)
				r := rand.New(rand.NewPCG(uint64(n), 42))
				t0 := base.Add(time.Duration(n) * 5 * time.Minute)
				day := t0.Format("2006/01/02")
				name := filepath.Join(dir, "AWSLogs", acct, "CloudTrail", "us-east-1", day,
					fmt.Sprintf("%s_CloudTrail_us-east-1_%s_%s.json.gz", acct, t0.Format("20060102T1504Z"), upper(r, 16)))
				os.MkdirAll(filepath.Dir(name), 0o755)
				f, err := os.Create(name)
				if err != nil {
					panic(err)
				}
				zw := gzip.NewWriter(f)
				recs := make([]any, 2000)
				for i := range recs {
					t := t0.Add(time.Duration(i) * 150 * time.Millisecond)
					switch x := r.IntN(100); {
					case x < 4:
						recs[i] = kmsRec(r, t, n)
					case x < 8:
						recs[i] = kmsOther(r, t)
					default:
						recs[i] = unrelated(r, t)
					}
				}
				if err := json.NewEncoder(zw).Encode(map[string]any{"Records": recs}); err != nil {
					panic(err)
				}
				zw.Close()
				st, _ := f.Stat()
				f.Close()
				written.Add(st.Size())
			}
		}()
	}
	wg.Wait()
}
GO
	(cd "$work/gen" && go mod init gen >/dev/null 2>&1 && go build -o gen .)
	echo "generating ${size_mb} MB of gzip'd CloudTrail in $trail ..." >&2
	nice "$work/gen/gen" "$trail" "$size_mb"
	touch "$trail/.complete-$size_mb"
fi

gz_bytes=$(find "$trail" -name '*.json.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$trail" -name '*.json.gz' | wc -l)
raw_bytes=$(find "$trail" -name '*.json.gz' -print0 | xargs -0 cat | gzip -dc | wc -c)
echo "trail: $files files, $((gz_bytes >> 20)) MiB gzip'd, $((raw_bytes >> 20)) MiB of JSON" >&2

# measure LABEL CMD...: run under /usr/bin/time -v, print "LABEL SECONDS RSS_KB".
measure() {
	local label=$1
	shift
	/usr/bin/time -v -o "$work/time.$label" "$@"
	local wall rss
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.$label" |
		awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.$label")
	echo "$label $wall $rss" >>"$work/results"
}

# Warm the page cache so neither side pays for the first read.
find "$trail" -name '*.json.gz' -print0 | xargs -0 cat >/dev/null

# shellcheck disable=SC2086
measure kmslint "$work/kmslint" audit --format json -o "$work/report.json" --fail-on never ${KMSLINT_FLAGS:-} "$trail"
measure jq sh -c "find '$trail' -name '*.json.gz' -print0 | sort -z | xargs -0 zcat | jq -c '.Records[] | select(.eventSource==\"kms.amazonaws.com\")' >'$work/jq.out'"

kms_kmslint=$(jq '.summary.kmsEvents' "$work/report.json")
kms_jq=$(wc -l <"$work/jq.out")
recs=$(jq '.summary.records' "$work/report.json")
recommendations=$(jq '.summary.recommendations' "$work/report.json")
echo
echo "records $recs, KMS events: kmslint $kms_kmslint, jq $kms_jq; recommendations $recommendations"
[ "$kms_kmslint" = "$kms_jq" ] || echo "WARNING: the two disagree on the KMS event count" >&2
awk -v gz="$gz_bytes" -v raw="$raw_bytes" '
	{ wall[$1] = $2; rss[$1] = $3 }
	END {
		printf "%-8s %9s %14s %14s %12s\n", "", "wall s", "gz MiB/s", "JSON MiB/s", "peak RSS MiB"
		for (k in wall) printf "%-8s %9.2f %14.1f %14.1f %12.1f\n", k, wall[k], gz / 1048576 / wall[k], raw / 1048576 / wall[k], rss[k] / 1024
		printf "speed-up of kmslint over zcat|jq: %.1fx\n", wall["jq"] / wall["kmslint"]
	}' "$work/results"
