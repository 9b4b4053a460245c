#!/usr/bin/env bash
# Measures the drill's engine overhead against its mandatory waits (issue 10 §2: goal at most 10 %), in process and
# through the Kubernetes adapter, at 3 × 4 and 20 × 10. Builds the CLI in Release once, runs `rotation drill --json`
# N times per mode and size, and prints overheadMs / mandatoryWaitMs (the report's overheadRatio) as min / median / max,
# both modes side by side. Not part of the test run: timings depend on the machine and its load, which it prints.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench-drill.sh [-n RUNS] [--sizes "3x4 20x10"] [--modes "in-process kubernetes"] [--binary DIR]

  -n RUNS        drills per mode and size (default 5)
  --sizes LIST   clusters x workloads per cluster (default "3x4 20x10")
  --modes LIST   in-process and/or kubernetes (default both)
  --binary DIR   use the rotation build in DIR (e.g. a copy of an older build) instead of building Release
  -h, --help     this text

Prints one line per drill (wall, mandatory waits, overhead, ratio, exit code) and then, per size, the ratio
min / median / max for each mode. A drill that exits non-zero (failed handshakes 3, invalid run 5) still counts
towards the ratio and is marked. Needs jq.
EOF
}

runs=5
sizes="3x4 20x10"
modes="in-process kubernetes"
binary=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        -n) runs="${2:?-n needs a number}"; shift 2 ;;
        --sizes) sizes="${2:?--sizes needs a list}"; shift 2 ;;
        --modes) modes="${2:?--modes needs a list}"; shift 2 ;;
        --binary) binary="${2:?--binary needs a directory}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench-drill: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-drill: -n must be a positive number, not '$runs'" >&2; exit 2; }
command -v jq >/dev/null || { echo "bench-drill: needs jq (apt-get install jq)" >&2; exit 2; }
for mode in $modes; do
    [[ "$mode" == in-process || "$mode" == kubernetes ]] || { echo "bench-drill: unknown mode '$mode': use in-process or kubernetes" >&2; exit 2; }
done

built="given, not built here"
if [[ -z "$binary" ]]; then
    dotnet build functions/Rotation.Cli -c Release -nologo -v quiet >/dev/null
    binary="functions/Rotation.Cli/bin/Release/net10.0"
    built="Release build of $(git log -1 --format='%h' 2>/dev/null || echo 'this tree')$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
fi
rotation="$binary/rotation"
[[ -x "$rotation" ]] || { echo "bench-drill: no rotation executable in $binary" >&2; exit 2; }

results="$(mktemp)"
out="$(mktemp)"
trap 'rm -f "$results" "$out"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "binary: $rotation ($built)"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

for size in $sizes; do
    clusters="${size%x*}"
    workloads="${size#*x}"
    for mode in $modes; do
        flags=(--clusters "$clusters" --workloads "$workloads" --json)
        [[ "$mode" == kubernetes ]] && flags+=(--kubernetes)
        for ((i = 1; i <= runs; i++)); do
            code=0
            "$rotation" drill "${flags[@]}" >"$out" 2>/dev/null || code=$?
            if ! jq -e '.wallMs' "$out" >/dev/null 2>&1; then
                echo "$size $mode run $i: no report (exit $code)"
                continue
            fi
            read -r wall mandatory overhead ratio < <(jq -r '[.wallMs, .mandatoryWaitMs, .overheadMs, (.overheadRatio // (if .mandatoryWaitMs > 0 then .overheadMs / .mandatoryWaitMs else 0 end))] | @tsv' "$out")
            printf '%-6s %-11s run %d: wall %6d ms = mandatory %6d + overhead %6d ms, ratio %.3f, exit %d\n' "$size" "$mode" "$i" "$wall" "$mandatory" "$overhead" "$ratio" "$code"
            printf '%s\t%s\t%s\t%s\n' "$size" "$mode" "$ratio" "$code" >>"$results"
        done
    done
done

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "engine overhead / mandatory waits, min / median / max over $runs run(s) (goal: median at most 0.10)"
header="$(printf '%-6s' size)"
for mode in $modes; do header+="$(printf ' | %-28s' "$mode")"; done
echo "$header"
for size in $sizes; do
    row="$(printf '%-6s' "$size")"
    for mode in $modes; do
        cell="$(awk -F'\t' -v s="$size" -v m="$mode" '$1 == s && $2 == m { print $3 }' "$results" | sort -g | awk '
            { v[NR] = $1 }
            END {
                if (NR == 0) { print "no reports"; exit }
                median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.3f / %.3f / %.3f", v[1], median, v[NR]
            }')"
        bad="$(awk -F'\t' -v s="$size" -v m="$mode" '$1 == s && $2 == m && $4 != 0 { n++ } END { print n + 0 }' "$results")"
        [[ "$bad" -gt 0 ]] && cell+=" ($bad exit!=0)"
        row+="$(printf ' | %-28s' "$cell")"
    done
    echo "$row"
done
