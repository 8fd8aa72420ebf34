#!/usr/bin/env bash
# bench/run-all.sh — runs every bench against supervisord and PM2 and writes
# the figures, the machine and the exact commands to bench/RESULTS.md.
#
#   bench/run-all.sh            # about 5 minutes on 2 cores
#   BENCH_SECONDS=10 bench/run-all.sh   # a quick look (shorter overhead window)
#
# Installs what is missing (supervisor via apt, PM2 via npm into the temp dir,
# builds Lifeline RelWithDebInfo into $LIFELINE_BUILD_DIR, default build-bench/).
# Env: BENCH_RESULTS (output file, default bench/RESULTS.md), plus everything
# restart_latency.sh and overhead.sh take (BENCH_CRASHES, BENCH_SECONDS, ...).
# Whatever RESULTS.md holds below the "kept by run-all.sh" marker line (notes
# written by hand) is carried over to the new file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case ${1:-} in
-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
"") ;;
*) die "unknown argument: $1" ;;
esac

RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
MARKER='<!-- Everything below this line is written by hand and kept by bench/run-all.sh across runs. -->'

bench_init
ensure_lifeline
ensure_supervisord
ensure_pm2 # installed once here, shared with both benches through PM2_BIN
export LIFELINE_BUILD_DIR PM2_BIN
export BENCH_SUMMARY=$BENCH_TMP/summary.txt
: >"$BENCH_SUMMARY"

procs_now() { find /proc -maxdepth 1 -name '[0-9]*' | wc -l; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_BEFORE=$(procs_now)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$SECONDS

log "restart latency"
timeout 900 "$BENCH_DIR/restart_latency.sh" --out "$BENCH_TMP/latency.md"
log "overhead"
timeout 1800 "$BENCH_DIR/overhead.sh" --out "$BENCH_TMP/overhead.md"

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_AFTER=$(procs_now)
ELAPSED=$((SECONDS - T0))

# value KIND KEY FIELD: a figure from the summary (FIELD 3 = first number).
value() { awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $2 == n { print $f }' "$BENCH_SUMMARY"; }

# compare KIND FIELD WHAT UNIT: one sentence on where Lifeline stands.
compare() {
    local kind=$1 f=$2 what=$3 unit=$4
    local l s p
    l=$(value "$kind" lifeline "$f")
    s=$(value "$kind" supervisord "$f")
    p=$(value "$kind" pm2 "$f")
    awk -v l="$l" -v s="$s" -v p="$p" -v what="$what" -v unit="$unit" '
    # |a - b|, and as a share of b (the competitor)
    function diff(a, b,   d) { d = a - b; if (d < 0) d = -d; return (b + 0 > 0) ? sprintf("%.2f %s, %.0f%%", d, unit, 100 * d / b) : sprintf("%.2f %s", d, unit) }
    BEGIN {
        best = (s + 0 < p + 0) ? s : p; bestn = (s + 0 < p + 0) ? "supervisord" : "PM2"
        other = (s + 0 < p + 0) ? p : s; othern = (s + 0 < p + 0) ? "PM2" : "supervisord"
        if (l + 0 < best + 0)
            verdict = sprintf("**Lifeline is lowest** (%s lower than %s)", diff(l, best), bestn)
        else if (l + 0 == best + 0)
            verdict = "**Lifeline ties with " bestn "**"
        else if (l + 0 <= other + 0)
            verdict = sprintf("**Lifeline loses to %s** by %s (beats %s)", bestn, diff(l, best), othern)
        else
            verdict = sprintf("**Lifeline loses to both** (%s above %s)", diff(l, best), bestn)
        printf "- %s: Lifeline %s %s, supervisord %s %s, PM2 %s %s: %s.\n", what, l, unit, s, unit, p, unit, verdict
    }'
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
DISTRO=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")

NOTES=""
if [[ -f "$RESULTS" ]] && grep -qF "$MARKER" "$RESULTS"; then
    NOTES=$(sed -n "\\|$MARKER|,\$p" "$RESULTS" | tail -n +2)
fi

NEW=$BENCH_TMP/RESULTS.md
{
    echo "# Lifeline vs supervisord vs PM2"
    echo
    echo "Written by \`bench/run-all.sh\` (what each bench measures and its caveats: [README.md](README.md))."
    echo
    echo "## Run"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date | $STARTED (took ${ELAPSED} s) |"
    echo "| machine | $(nproc) CPUs: $CPU_MODEL; $MEM_TOTAL RAM |"
    echo "| system | $DISTRO, kernel $(uname -r) |"
    echo "| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |"
    echo "| processes on the machine | $PROCS_BEFORE before, $PROCS_AFTER after |"
    echo "| Lifeline | commit $LIFELINE_VERSION, $LIFELINE_BUILD_TYPE build |"
    echo "| supervisord | $SUPERVISORD_VERSION (Debian package \`supervisor\`, Python $(python3 -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '?')) |"
    echo "| PM2 | $PM2_VERSION (npm), node $NODE_VERSION |"
    echo
    echo "Command: \`$(env | grep -E '^BENCH_(CRASHES|SECONDS|SERVICES|SETTLE|RUN_TIMEOUT)=' | sort | tr '\n' ' ')bench/run-all.sh\`"
    echo "(restart latency: ${BENCH_CRASHES:-30} crashes per supervisor; overhead: ${BENCH_SERVICES:-20} services for ${BENCH_SECONDS:-60} s)."
    echo
    echo "## Summary"
    echo
    compare latency 3 "restart latency, median" ms
    compare latency 4 "restart latency, p95" ms
    compare overhead 3 "memory (RSS) with ${BENCH_SERVICES:-20} services (Lifeline: engine + loggers)" MiB
    compare overhead 6 "memory (PSS) with ${BENCH_SERVICES:-20} services (Lifeline: engine + loggers)" MiB
    compare overhead 4 "CPU with ${BENCH_SERVICES:-20} idle services (engine + loggers)" "% of a core"
    echo "- Lifeline split: engine $(value overhead lifeline-engine 3) MiB RSS ($(value overhead lifeline-engine 6) PSS), $(value overhead lifeline-engine 4) % CPU;" \
        "$(value overhead lifeline-loggers 5) \`lifeline-logger\` processes $(value overhead lifeline-loggers 3) MiB RSS ($(value overhead lifeline-loggers 6) PSS), $(value overhead lifeline-loggers 4) % CPU together."
    echo
    echo "## Figures"
    echo
    cat "$BENCH_TMP/latency.md"
    echo
    cat "$BENCH_TMP/overhead.md"
    echo
    echo "## Notes"
    echo
    echo "$MARKER"
    if [[ -n "$NOTES" ]]; then
        echo "$NOTES"
    else
        echo
        echo "(none yet)"
    fi
} >"$NEW"
cp "$NEW" "$RESULTS"
log "wrote $RESULTS"

# Lifeline's own targets (sampler, health checks at scale, UI, recovery);
# last, because the lines above rewrite RESULTS.md up to the marker.
log "Lifeline's own targets"
timeout 1800 "$BENCH_DIR/run-more.sh"
