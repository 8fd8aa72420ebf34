#!/usr/bin/env bash
# bench/errors.sh — the cost of recurring-error tracking (issue 12): Lifeline
# --headless supervises one service (bench/linewriter.c) writing RATE lines a
# second (50 000) to stdout for BENCH_SECONDS (60), 1 % of them errors (half
# one-line ERRORs, half 4-line Python tracebacks). Measured:
#   - Lifeline's CPU over the window (utime+stime of its own process; the
#     lifeline-logger that writes the log file is a process apart and is
#     reported apart), target < 5 % of one core;
#   - the lag from an error line appended to a file of the service's
#     [service.errors] files to its count rising in `lifelinectl errors
#     --json`, BENCH_PROBES (10) times during the flood, target < 1 s.
#
#   bench/errors.sh [--out FILE]
#
# Env: BENCH_SECONDS (60), BENCH_RATE (50000), BENCH_PROBES (10),
# LIFELINE_BUILD_DIR, BENCH_NO_BUILD=1, BENCH_KEEP=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

OUT=""
while (($#)); do
    case $1 in
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
WINDOW=${BENCH_SECONDS:-60}
RATE=${BENCH_RATE:-50000}
PROBES=${BENCH_PROBES:-10}

bench_init
ensure_lifeline
CTL_BIN=$(dirname "$LIFELINE_BIN")/lifelinectl
WRITER=$BENCH_TMP/linewriter
cc -O2 -o "$WRITER" "$BENCH_DIR/linewriter.c" || die "cannot compile bench/linewriter.c"

export XDG_RUNTIME_DIR=$BENCH_TMP/run
mkdir -p "$XDG_RUNTIME_DIR" "$BENCH_TMP/app/logs"
: >"$BENCH_TMP/app/logs/probe.log"
CONFIG=$BENCH_TMP/lifeline.toml
cat >"$CONFIG" <<TOML
[settings]
state_dir = "$BENCH_TMP/state"
on_exit = "stop"

[[service]]
name = "flood"
cwd = "$BENCH_TMP/app"
command = ["$WRITER", "$RATE", "$((WINDOW + 30))"]
restart = "never"
logs.max_size = "200MB"

[service.errors]
files = ["logs/*.log"]
TOML

start_lifeline "$CONFIG" "$BENCH_TMP/lifeline.out"
DIAG_LOG=$BENCH_TMP/lifeline.out
for _ in $(seq 100); do
    "$CTL_BIN" --config "$CONFIG" status >/dev/null 2>&1 && break
    sleep 0.1
done
sleep 3 # the flood is on; its first tick's reading is not the steady state
LOGGER_PID=""
for p in $(descendants "$LIFELINE_PID" | cut -d: -f1); do
    [[ "$(readlink "/proc/$p/exe" 2>/dev/null)" == "$(readlink -f "$LOGGER_BIN")" ]] && LOGGER_PID=$p
done

probe_count() { # the count of the probe's signature, 0 when none yet
    "$CTL_BIN" --config "$CONFIG" errors flood --json 2>/dev/null |
        python3 -c 'import json,sys
print(next((s["count"] for s in json.load(sys.stdin) if "lag probe" in s["signature"]), 0))' 2>/dev/null || echo 0
}

t0=$EPOCHREALTIME
c0=$(proc_cputicks "$LIFELINE_PID")
l0=$( [[ -n "$LOGGER_PID" ]] && proc_cputicks "$LOGGER_PID" || echo 0)
LAGS=()
gap=$(awk -v w="$WINDOW" -v n="$PROBES" 'BEGIN { printf "%.2f", w / (n + 1) }')
for i in $(seq "$PROBES"); do
    sleep "$gap"
    before=$(probe_count)
    start=$EPOCHREALTIME
    echo "ERROR lag probe $i" >>"$BENCH_TMP/app/logs/probe.log"
    while :; do
        now=$(probe_count)
        ((now > before)) && break
        awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN { exit !(n - s > 10) }' && die "probe $i never showed up"
        sleep 0.02
    done
    LAGS+=("$(awk -v s="$start" -v n="$EPOCHREALTIME" 'BEGIN { printf "%d", (n - s) * 1000 }')")
done
rest=$(awk -v w="$WINDOW" -v s="$t0" -v n="$EPOCHREALTIME" 'BEGIN { r = w - (n - s); printf "%.2f", (r > 0 ? r : 0) }')
sleep "$rest"
t1=$EPOCHREALTIME
c1=$(proc_cputicks "$LIFELINE_PID")
l1=$( [[ -n "$LOGGER_PID" ]] && proc_cputicks "$LOGGER_PID" || echo 0)
ERRORS_JSON=$("$CTL_BIN" --config "$CONFIG" errors flood --json)

read -r CPU LCPU < <(awk -v c0="$c0" -v c1="$c1" -v l0="$l0" -v l1="$l1" -v t0="$t0" -v t1="$t1" -v hz="$CLK_TCK" \
    'BEGIN { printf "%.2f %.2f\n", (c1 - c0) / hz / (t1 - t0) * 100, (l1 - l0) / hz / (t1 - t0) * 100 }')
read -r LAGMED LAGMAX < <(printf '%s\n' "${LAGS[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[NR] }')
COUNTS=$(python3 -c 'import json,sys
d = json.loads(sys.argv[1])
print(", ".join("%s: %d" % (s["signature"][:60], s["count"]) for s in d))' "$ERRORS_JSON")

SECTION=$(cat <<MD
## Recurring-error tracking (bench/errors.sh)

One service writing $RATE lines/s to stdout for ${WINDOW} s, 1 % errors (half one-line ERRORs, half 4-line
Python tracebacks); \`[service.errors] files = ["logs/*.log"]\` also watched. $(nproc) cores, load
$(cut -d' ' -f1-3 /proc/loadavg), build $LIFELINE_BUILD_TYPE $LIFELINE_VERSION, $(date -u +%Y-%m-%d).

| figure | measured | target |
|---|---|---|
| Lifeline CPU (engine process, tailing + scanning + sampling) | ${CPU} % of a core | < 5 % |
| lifeline-logger CPU (writing the log file; not the scanner) | ${LCPU} % of a core | — |
| lag, error line written → in \`lifelinectl errors\` (median / max of ${PROBES}) | ${LAGMED} ms / ${LAGMAX} ms | < 1 s |

Signatures at the end: $COUNTS.
MD
)
if [[ -n "$OUT" ]]; then
    printf '%s\n' "$SECTION" >"$OUT"
else
    printf '%s\n' "$SECTION"
fi
