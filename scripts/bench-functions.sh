#!/usr/bin/env bash
# Issue 9's benchmark: a root rotation through the Durable orchestration (the real dispatcher in process, the real
# engine, SQLite store, local vault) over lightweight in-memory clusters at several estate sizes, side by side in
# one run: wall time, wall time per cluster above the smallest size, generations, the largest payload handed to
# history, and the peak of port calls in flight (the cluster parallelism cap is 16). The work is done by
# tests/Rotation.Bench.Functions (Release), which prints one JSON line per rotation; this script prints the machine,
# load and build, and the min / median / max. Not part of the test run: timings depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'USAGE'
Usage: scripts/bench-functions.sh [-n RUNS] [--sizes 10,100,1000]

  -n RUNS        rotations per size (default 3)
  --sizes LIST   cluster counts, comma-separated, 1 to 5000 (default 10,100,1000); the first is the baseline
  -h, --help     this text

Prints one line per rotation, then per size the wall time and the wall time per cluster above the baseline
((wall - median baseline wall) / (clusters - baseline clusters)) as min / median / max. Needs jq.
USAGE
}

runs=3
sizes="10,100,1000"
while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) runs="${2:?-n needs a number}"; shift 2 ;;
        --sizes) sizes="${2:?--sizes needs a list}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-functions: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-functions: -n must be a positive number, not '$runs'" >&2; exit 2; }
[[ "$sizes" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bench-functions: --sizes is a comma-separated list of cluster counts, e.g. 10,100,1000, not '$sizes'" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench-functions: needs jq (apt-get install jq)" >&2; exit 2; }

dotnet build tests/Rotation.Bench.Functions -c Release -nologo -v quiet >/dev/null
runner="tests/Rotation.Bench.Functions/bin/Release/net10.0/Rotation.Bench.Functions.dll"
built="Release build of $(git log -1 --format='%h' 2>/dev/null || echo 'this tree')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "runner: $runner ($built)"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# The in-memory Durable backend runs Environment.ProcessorCount activities at once and re-polls every 500 ms at that
# count (see tests/Rotation.Functions.Tests/functions.runsettings); the Functions host runs 16 (host.json). 32 lets a
# generation's batch of 16 cluster activities run at once, as there.
echo "DOTNET_PROCESSOR_COUNT=32 for the runner (the Durable test host's activity concurrency)"
DOTNET_PROCESSOR_COUNT=32 dotnet "$runner" -n "$runs" --sizes "$sizes" | while IFS= read -r line; do
    printf '%s\n' "$line" >>"$results"
    jq -r '"\(.clusters) clusters run \(.run): wall \(.wallMs) ms (time rule \(.timeRuleMs) ms), \(.generations) generations, \(.payloads) payloads, largest \(.largestPayload) chars, peak \(.peakConcurrentCalls) calls in flight"' <<<"$line"
done

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck source=scripts/bench-stats.sh
source scripts/bench-stats.sh

baseline="${sizes%%,*}"
baseline_wall="$(jq -r --argjson k "$baseline" 'select(.clusters == $k) | .wallMs' "$results" | stats '%.0f' | awk -F' / ' '{print $2}')"

echo
echo "root rotation through the orchestration, min / median / max over $runs run(s) per size (baseline $baseline clusters, median wall $baseline_wall ms)"
printf '%-8s | %-24s | %-26s | %-10s | %-8s\n' clusters 'wall ms' 'ms per cluster over base' 'largest' 'peak'
IFS=',' read -r -a list <<<"$sizes"
for k in "${list[@]}"; do
    wall="$(jq -r --argjson k "$k" 'select(.clusters == $k) | .wallMs' "$results" | stats '%.0f')"
    if [[ "$k" == "$baseline" ]]; then
        per="-"
    else
        per="$(jq -r --argjson k "$k" --argjson b "$baseline" --argjson bw "$baseline_wall" 'select(.clusters == $k) | (.wallMs - $bw) / ($k - $b)' "$results" | stats '%.2f')"
    fi
    largest="$(jq -r --argjson k "$k" 'select(.clusters == $k) | .largestPayload' "$results" | sort -g | tail -1)"
    peak="$(jq -r --argjson k "$k" 'select(.clusters == $k) | .peakConcurrentCalls' "$results" | sort -g | tail -1)"
    printf '%-8s | %-24s | %-26s | %-10s | %-8s\n' "$k" "$wall" "$per" "$largest" "$peak"
done
