# Sourced by the scripts/bench-*.sh benchmarks: the one min / median / max they all print.
# stats FMT: reads numbers, one per line, and prints "min / median / max" with printf format FMT ("no reports" for none).
stats() {
    sort -g | awk -v fmt="$1" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "no reports"; exit }
            median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf fmt " / " fmt " / " fmt, v[1], median, v[NR]
        }'
}
