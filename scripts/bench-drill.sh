#!/usr/bin/env bash
# Measures the drill at scale: `--clusters 20 --workloads 10` (200 real TLS endpoints) rotated in the safe order
# under sampled traffic with openssl peers, on this machine. Prints the estate start time and the drill report
# (wallMs, mandatoryWaitMs, overheadMs, handshakes per phase). Usage: scripts/bench-drill.sh
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
dotnet build tests/Rotation.Drill.Tests -v quiet -nologo >/dev/null
start=$(date +%s.%N)
if ! dotnet test tests/Rotation.Drill.Tests --no-build --filter "Category=Scale" --logger "console;verbosity=detailed" >"$log" 2>&1; then
    grep -E "Failed|Error Message" -A20 "$log" | head -60
    exit 1
fi
end=$(date +%s.%N)

# The test writes one timing line and the report JSON to its output.
sed -n '/Standard Output Messages:/,/^$/p' "$log" | sed 's/^ *//' | grep -v "Standard Output Messages:"
printf 'dotnet test (build excluded, host start included): %.1f s\n' "$(echo "$end - $start" | bc)"
