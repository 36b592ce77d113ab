#!/usr/bin/env bash
# Whole-process speed of `kmslint lint` (start-up included), the Bar of
# issue 3: one policy in <= 150 ms, and 1,000 policies in one run at
# >= 500 policies/s. The 1,000 policies are the labelled examples and the
# canonical policy, each copy with its own caller role, so no two documents
# share a profile. CPU time (user+sys) is printed next to wall time because
# the machine is shared: wall time moves with other people's load.
# Usage: bench/lint-throughput.sh [N] [RUNS]   (default 1000 policies, 5 runs)
# KMSLINT=path/to/kmslint measures that binary instead of building one.
set -euo pipefail
n=${1:-1000}
runs=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${KMSLINT:-}" ]; then
  cp "$KMSLINT" "$tmp/kmslint"
else
  (cd "$root" && go build -o "$tmp/kmslint" ./cmd/kmslint)
fi

# Environment flags as the examples are labelled (examples_test.go), so
# inference never stops the run.
flags=(--account 111122223333 --region us-east-1 --fail-on never --format json --output /dev/null)

mkdir "$tmp/policies"
srcs=("$root/policies/canonical.json")
for f in "$root"/policies/examples/*.json; do
  [ "$(basename "$f")" = expected.json ] || srcs+=("$f")
done
texts=()
for f in "${srcs[@]}"; do texts+=("$(cat "$f")"); done
for ((i = 0; i < n; i++)); do
  t=${texts[i % ${#texts[@]}]}
  printf '%s\n' "${t//MyRecommendationRole/Role$i}" > "$tmp/policies/p$i.json"
done

# run LABEL ARGS...: prints wall and CPU seconds of one kmslint run.
run() {
  local out
  out=$( { TIMEFORMAT='%R %U %S'; time "$tmp/kmslint" lint "${flags[@]}" "$@" >/dev/null 2>"$tmp/err"; } 2>&1 ) ||
    { cat "$tmp/err" >&2; exit 1; }
  echo "$out"
}

# best-of and median of RUNS runs: the minimum is what the code costs, the
# median what a user on this machine sees.
summary() {
  sort -n | awk -v label="$1" -v n="$2" '{ w[NR] = $1; c[NR] = $2 }
    END { m = int((NR + 1) / 2)
      printf "%s: wall best %.3f s median %.3f s; cpu (user+sys) best %.3f s", label, w[1], w[m], c[1]
      if (n > 1) printf "; %.0f policies/s (best wall), %.0f policies/s per CPU-second", n / w[1], n / c[1]
      printf "\n" }'
}

for ((r = 0; r < runs; r++)); do
  run "$root/policies/canonical.json" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
done | summary "1 policy (canonical.json)" 1

for ((r = 0; r < runs; r++)); do
  run "$tmp/policies" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
done | summary "$n policies (one run)" "$n"
