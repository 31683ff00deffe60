#!/usr/bin/env bash
# `sphere report` against `sphere check` on the same model, as whole processes, one after the
# other: wall time, user time and peak resident set of each, and the ratios report/check
# (the weekly-report issue allows 1.5x in time and memory). docs/performance.md, "Report and
# graph", records the figures.
#
#   benches/report_vs_check.sh MODEL.json [PAIRS] [FROM] [TO]
#
# MODEL.json: e.g. from `sphere gen --subjects 100000 --activities 1000000 --seed 42 -o g1m.json`.
# PAIRS: how many report-then-check pairs (default 3). FROM/TO: the report's period (default
# the demo week, 2025-06-09 to 2025-06-15). The binary is target/release/sphere (build it with
# `cargo build --release -p sphere`), or $SPHERE_BIN. Needs GNU time (/usr/bin/time).
# Prints a Markdown table, one row per run, then the ratios of each pair.
set -euo pipefail

model="${1:?usage: benches/report_vs_check.sh MODEL.json [PAIRS] [FROM] [TO]}"
pairs="${2:-3}"
from="${3:-2025-06-09}"
to="${4:-2025-06-15}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${SPHERE_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/sphere}"
if [ ! -x "$bin" ]; then
    echo "error: no sphere binary at $bin" >&2
    echo "  hint: cargo build --release -p sphere, or set SPHERE_BIN" >&2
    exit 2
fi
if [ ! -x /usr/bin/time ]; then
    echo "error: /usr/bin/time (GNU time) is needed for the peak memory" >&2
    echo "  hint: apt-get install time" >&2
    exit 2
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# One run: prints "wall user peak_kib" (check exits 1 when it finds something to act on).
measure() {
    local name="$1"
    shift
    /usr/bin/time -f "%e %U %M" -o "$out/$name.time" "$bin" "$@" >"$out/$name.out" 2>/dev/null || true
    tail -n 1 "$out/$name.time"
}

echo "model: $model ($(du -h "$model" | cut -f1)), binary: $bin"
echo
echo "| pair | command | wall s | user s | peak KiB | load average before |"
echo "| ---: | --- | ---: | ---: | ---: | --- |"
ratios=()
for i in $(seq 1 "$pairs"); do
    load_r="$(cut -d' ' -f1-3 /proc/loadavg)"
    read -r rw ru rm < <(measure report report "$model" --from "$from" --to "$to")
    echo "| $i | report (HTML) | $rw | $ru | $rm | $load_r |"
    load_c="$(cut -d' ' -f1-3 /proc/loadavg)"
    read -r cw cu cm < <(measure check check "$model" --format json)
    echo "| $i | check --format json | $cw | $cu | $cm | $load_c |"
    ratios+=("$(awk -v a="$rw" -v b="$cw" -v c="$ru" -v d="$cu" -v e="$rm" -v f="$cm" \
        'BEGIN { printf "| %d | %.2f | %.2f | %.2f |", '"$i"', a/b, c/d, e/f }')")
done
echo
echo "| pair | wall report/check | user report/check | peak report/check |"
echo "| ---: | ---: | ---: | ---: |"
printf '%s\n' "${ratios[@]}"
