#!/usr/bin/env bash
# Whole-process throughput of `kmslint eval --requests`: JSON lines in, one
# decision per line out, on the canonical policy with a mix of callers,
# the service principal, outsiders, foreign contexts and root delegation.
# Usage: bench/eval-throughput.sh [N]   (default 1,000,000 requests)
set -euo pipefail
n=${1:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/kmslint" ./cmd/kmslint)
awk -v n="$n" 'BEGIN {
  rec = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"
  foreign = "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/X-AB1CD2EF3G"
  caller = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint"
  fas = "\"aws:ViaAWSService\":\"true\",\"aws:CalledVia\":[\"bedrock-agentcore.amazonaws.com\"],\"kms:ViaService\":\"bedrock-agentcore.us-east-1.amazonaws.com\",\"kms:CallerAccount\":\"111122223333\""
  for (i = 0; i < n; i++) {
    k = i % 8
    if (k == 0) printf "{\"principal\":\"%s\",\"action\":\"kms:DescribeKey\",\"context\":{%s}}\n", caller, fas
    else if (k == 1) printf "{\"principal\":\"%s\",\"action\":\"kms:GenerateDataKey\",\"context\":{%s,\"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn\":\"%s\"}}\n", caller, fas, rec
    else if (k == 2) printf "{\"principal\":\"%s\",\"action\":\"kms:Decrypt\",\"context\":{%s,\"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn\":\"%s\"}}\n", caller, fas, foreign
    else if (k == 3) printf "{\"principal\":\"service:bedrock-agentcore.amazonaws.com\",\"action\":\"kms:Decrypt\",\"context\":{\"aws:SourceAccount\":\"111122223333\",\"aws:SourceArn\":\"%s\",\"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn\":\"%s\"}}\n", rec, rec
    else if (k == 4) printf "{\"principal\":\"service:bedrock-agentcore.amazonaws.com\",\"action\":\"kms:GenerateDataKey\",\"context\":{\"aws:SourceAccount\":\"444455556666\",\"aws:SourceArn\":\"%s\"}}\n", foreign
    else if (k == 5) printf "{\"principal\":\"arn:aws:iam::444455556666:role/Outsider\",\"action\":\"kms:Decrypt\",\"context\":{\"kms:CallerAccount\":\"444455556666\"}}\n"
    else if (k == 6) printf "{\"principal\":\"arn:aws:sts::111122223333:assumed-role/Other/s\",\"action\":\"kms:Encrypt\",\"context\":{}}\n"
    else printf "{\"principal\":\"%s\",\"action\":\"kms:ReEncryptFrom\",\"context\":{%s}}\n", caller, fas
  }
}' > "$tmp/requests.jsonl"
bytes=$(wc -c < "$tmp/requests.jsonl")
start=$(date +%s.%N)
"$tmp/kmslint" eval --policy "$root/policies/canonical.json" --requests "$tmp/requests.jsonl" > "$tmp/out.jsonl"
end=$(date +%s.%N)
lines=$(wc -l < "$tmp/out.jsonl")
[ "$lines" -eq "$n" ] || { echo "expected $n decisions, got $lines" >&2; exit 1; }
awk -v n="$n" -v s="$start" -v e="$end" -v b="$bytes" 'BEGIN {
  t = e - s; printf "%d requests (%.1f MB) in %.2f s: %.0f decisions/s\n", n, b/1e6, t, n/t }'
grep -c '"decision":"Allow"' "$tmp/out.jsonl" | awk '{ print "allowed:", $1 }'
