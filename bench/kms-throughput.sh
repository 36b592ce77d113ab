#!/usr/bin/env bash
# kms-throughput.sh: GenerateDataKey+Decrypt pairs per second against the
# fake KMS (simulator/kms) over loopback with the official AWS SDK for Go, at
# 1 and 8 client goroutines, with SigV4 verification, key-policy enforcement
# (the seed's canonical policy, recommendation encryption context) and the
# CloudTrail trail written as S3-layout files.
#
# Measured two ways:
#   in-process   the simulator inside the benchmark's process, as users' Go
#                tests run it (simulator/kms.Start);
#   own process  the simulator in a process of its own
#                (simulator/kms/internal/benchserver), as `kmslint serve` or
#                local-kms run.
# For reading the numbers on a shared machine it also reports two ceilings,
# the same client loop against a server that returns canned responses, in
# its own process (own-process-ceiling: the most any separate KMS server can
# reach here) and in the client's process (client-ceiling), and the
# simulator's handler alone (pre-signed requests, no client, no network).
#
# Side by side with another KMS that you run yourself (for example
# nsmithuk/local-kms), same client code, same machine:
#   LOCAL_KMS_ENDPOINT=http://127.0.0.1:8080 bench/kms-throughput.sh
# This script fetches and builds nothing but this repository.
#
# Environment: BENCHTIME (default 5s), COUNT runs per benchmark (default 3).
set -euo pipefail

cd "$(dirname "$0")/.."
benchtime=${BENCHTIME:-5s}
count=${COUNT:-3}
work=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# run LABEL BENCH-REGEXP PACKAGE [ENV...]: run a benchmark, echo its output,
# and keep its result lines prefixed with LABEL for the summary.
run() {
	local label=$1 re=$2 pkg=$3
	shift 3
	env "$@" go test -run '^$' -bench "$re" -benchtime "$benchtime" -count "$count" "$pkg" | tee "$work/out"
	sed -n "s|^\(Benchmark[^ ]*\)|$label \1|p" "$work/out" >>"$work/results"
}

run in-process '^BenchmarkGenerateDataKeyDecrypt$/inprocess' ./simulator/kms/

go build -o "$work/benchserver" ./simulator/kms/internal/benchserver
# own LABEL [FLAGS...]: start benchserver with FLAGS, run the endpoint
# benchmark against it, stop it.
own() {
	local label=$1
	shift
	"$work/benchserver" "$@" >"$work/server.out" &
	server_pid=$!
	for _ in $(seq 100); do grep -q '^endpoint=' "$work/server.out" && break; sleep 0.1; done
	endpoint=$(sed -n 's/^endpoint=//p' "$work/server.out")
	[ -n "$endpoint" ] || { echo "benchserver did not start" >&2; exit 1; }
	run "$label" '^BenchmarkGenerateDataKeyDecrypt$/endpoint' ./simulator/kms/ KMS_BENCH_ENDPOINT="$endpoint"
	kill -TERM "$server_pid"
	wait "$server_pid"
	server_pid=
}
own own-process
# The same client against a server in its own process that only returns
# canned responses: no KMS server in its own process can beat this here.
own own-process-ceiling -canned

if [ -n "${LOCAL_KMS_ENDPOINT:-}" ]; then
	run local-kms '^BenchmarkGenerateDataKeyDecrypt$/endpoint' ./simulator/kms/ KMS_BENCH_ENDPOINT="$LOCAL_KMS_ENDPOINT"
fi
run client-ceiling '^BenchmarkClientCeiling$' ./simulator/kms/internal/clientceiling/
run handler-only '^BenchmarkServeHTTPPair$' ./simulator/kms/

# Median pairs/s of each benchmark over the runs.
echo
echo "median pairs/s over $count runs of $benchtime:"
awk '
	{
		name = $1 " " $2; sub(/-[0-9]+$/, "", name)
		for (i = 3; i < NF; i++) if ($(i+1) == "pairs/s") v[name] = v[name] " " $i
	}
	END {
		for (name in v) {
			c = split(substr(v[name], 2), a, " ")
			for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			m = (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
			printf "  %-75s %8.0f\n", name, m
		}
	}' "$work/results" | sort
