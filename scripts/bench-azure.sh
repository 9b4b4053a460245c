#!/usr/bin/env bash
# Issue 8's benchmark: in one run, side by side, the drill's engine overhead (overheadMs / mandatoryWaitMs) on the
# embedded adapters (SQLite, local vault) and on the Azure adapters (Key Vault test server custody, Azurite Table
# Storage, Event Grid test server sink, drained every 0.5 s during the drill), and the outbox publisher's throughput
# draining N events to the loopback Event Grid topic from each store. The Azure stand-ins live in test code, so the
# work is done by tests/Rotation.Bench.Azure (Release), which runs the real drill command in process and prints one
# JSON line per run; this script prints the machine, load and build, and the min / median / max. Not part of the
# test run: timings depend on the machine and its load.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'USAGE'
Usage: scripts/bench-azure.sh [-n RUNS] [--size KxW] [--events N]

  -n RUNS       drills per adapter set, and publisher runs per store (default 5)
  --size KxW    clusters x workloads per cluster of each drill (default 3x4)
  --events N    outbox events per publisher run (default 1000)
  -h, --help    this text

Prints one line per drill (wall, mandatory waits, overhead, ratio, exit code) and per publisher run (events/s), then
the ratio min / median / max for embedded and azure, and the publisher's events/s min / median / max per store.
A drill that exits non-zero (failed handshakes 3, invalid run 5) still counts and is marked. Needs jq and
azurite-table on PATH (npm install -g azurite).
USAGE
}

runs=5
size="3x4"
events=1000
while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) runs="${2:?-n needs a number}"; shift 2 ;;
        --size) size="${2:?--size needs KxW}"; shift 2 ;;
        --events) events="${2:?--events needs a number}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-azure: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-azure: -n must be a positive number, not '$runs'" >&2; exit 2; }
[[ "$events" =~ ^[1-9][0-9]*$ ]] || { echo "bench-azure: --events must be a positive number, not '$events'" >&2; exit 2; }
[[ "$size" =~ ^[1-9][0-9]*x[1-9][0-9]*$ ]] || { echo "bench-azure: --size is KxW, e.g. 3x4, not '$size'" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench-azure: needs jq (apt-get install jq)" >&2; exit 2; }
command -v azurite-table >/dev/null || { echo "bench-azure: needs azurite-table on PATH (npm install -g azurite)" >&2; exit 2; }

dotnet build tests/Rotation.Bench.Azure -c Release -nologo -v quiet >/dev/null
runner="tests/Rotation.Bench.Azure/bin/Release/net10.0/Rotation.Bench.Azure.dll"
built="Release build of $(git log -1 --format='%h' 2>/dev/null || echo 'this tree')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "runner: $runner ($built)"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet "$runner" -n "$runs" --clusters "${size%x*}" --workloads "${size#*x}" --events "$events" | while IFS= read -r line; do
    printf '%s\n' "$line" >>"$results"
    case "$(jq -r .kind <<<"$line")" in
        drill)
            if [[ "$(jq -r '.wallMs // empty' <<<"$line")" == "" ]]; then
                echo "$size $(jq -r .adapters <<<"$line") run $(jq -r .run <<<"$line"): no report (exit $(jq -r .exit <<<"$line")): $(jq -r '.error // ""' <<<"$line")"
            else
                jq -r --arg size "$size" '"\($size) \(.adapters | . + " " * (8 - length)) run \(.run): wall \(.wallMs) ms = mandatory \(.mandatoryWaitMs) + overhead \(.overheadMs) ms, ratio \(.overheadRatio), exit \(.exit)" + (if .publishMs != null then ", publishing \(.publishMs) ms, \(.pendingEvents) pending" else "" end)' <<<"$line"
            fi ;;
        publish)
            jq -r '"publish \(.store | . + " " * (6 - length)) run \(.run): \(.delivered)/\(.events) events in \(.requests) request(s), \(.ms) ms, \(.eventsPerSecond) events/s"' <<<"$line" ;;
    esac
done

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck source=scripts/bench-stats.sh
source scripts/bench-stats.sh

echo
echo "engine overhead / mandatory waits, min / median / max over $runs run(s) of $size (issue 10's goal: median at most 0.10)"
printf '%-6s | %-28s | %-28s\n' size embedded azure
row="$(printf '%-6s' "$size")"
for adapters in embedded azure; do
    cell="$(jq -r --arg a "$adapters" 'select(.kind == "drill" and .adapters == $a and .overheadRatio != null) | .overheadRatio' "$results" | stats '%.3f')"
    bad="$(jq -r --arg a "$adapters" 'select(.kind == "drill" and .adapters == $a and .exit != 0) | .run' "$results" | wc -l)"
    [[ "$bad" -gt 0 ]] && cell+=" ($bad exit!=0)"
    row+="$(printf ' | %-28s' "$cell")"
done
echo "$row"

echo
echo "outbox publisher to the loopback Event Grid topic, events/s min / median / max over $runs run(s) of $events events"
printf '%-6s | %-28s\n' store 'events/s'
for store in sqlite table; do
    printf '%-6s | %-28s\n' "$store" "$(jq -r --arg s "$store" 'select(.kind == "publish" and .store == $s) | .eventsPerSecond' "$results" | stats '%.0f')"
done
