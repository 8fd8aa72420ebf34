#!/usr/bin/env bash
# bench/run-all.sh — one run of every bench against the floor and the peers
# (supervisord, PM2, Monit), one table against issue 15's targets at the top
# of bench/RESULTS.md, the figures of each bench below it.
#
#   bench/run-all.sh                    # about 10 minutes on 2 cores
#   BENCH_SECONDS=20 bench/run-all.sh   # a quick look (shorter idle windows)
#   BENCH_NO_BUILD=1 LIFELINE_BUILD_DIR=build bench/run-all.sh   # an existing build
#
# The build needs lifeline lifeline-logger lifeline-demo-backend lifelinectl
# lifeline-bench-memlimit lifeline-bench-startstop (configured with
# -DLIFELINE_BUILD_BENCH=ON); without BENCH_NO_BUILD=1 they are brought up to
# date in $LIFELINE_BUILD_DIR (default build-bench/, RelWithDebInfo).
# Installs what is missing (supervisor and monit via apt, PM2 via npm into the
# temp dir); a peer that cannot be installed is left out and the table says why.
# Env: BENCH_RESULTS (output file, default bench/RESULTS.md), BENCH_MORE=1
# (also run-more.sh, Lifeline's own targets, +5 min), plus what each bench
# takes (BENCH_CRASHES, BENCH_SECONDS, BENCH_SERVICES, BENCH_STARTSTOP_RUNS,
# BENCH_MEMLIMIT_RUNS, ...). What RESULTS.md holds below the "kept by
# run-all.sh" marker line (notes written by hand) is carried over.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case ${1:-} in
-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
"") ;;
*) die "unknown argument: $1" ;;
esac

RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
MARKER='<!-- Everything below this line is written by hand and kept by bench/run-all.sh across runs. -->'

bench_init
build_lifeline lifeline lifeline-logger lifeline-demo-backend lifelinectl lifeline-bench-memlimit lifeline-bench-startstop
ensure_lifeline
NO_BUILD=${BENCH_NO_BUILD:-0}
export LIFELINE_BUILD_DIR BENCH_NO_BUILD=1 # built once, here

# The reason a bench or an install gave (its last "error: " line), or its
# last line; never fails (the run goes on without that part).
last_error() {
    local e
    e=$(grep -o 'error: .*' "$1" 2>/dev/null | tail -1 | cut -c8- || true)
    [[ -n "$e" ]] || e=$(tail -1 "$1" 2>/dev/null || true)
    echo "${e:-no message}"
}

# Peers: each installed in a subshell, so one that cannot be installed is
# left out (--skip) with its reason instead of ending the run; what the
# install found (paths, versions) comes back through a file.
SKIPS=()
declare -A WHY=()
peer() { # NAME ENSURE_FUNCTION VARIABLE...
    local name=$1 fn=$2 err=$BENCH_TMP/install-$1.log
    shift 2
    if (
        "$fn"
        declare -p "$@" APT_UPDATED
    ) >"$BENCH_TMP/install-$name.vars" 2>"$err"; then
        # Globals, not locals of this function.
        # shellcheck disable=SC1090
        source <(sed -e 's/^declare -- /declare -g /' -e 's/^declare -\([a-zA-Z]*\) /declare -g\1 /' "$BENCH_TMP/install-$name.vars")
    else
        WHY[$name]="could not be installed: $(last_error "$err")"
        SKIPS+=(--skip "$name")
        log "$name left out: ${WHY[$name]}"
    fi
}
ensure_monit() {
    command -v monit >/dev/null || apt_install monit
    MONIT_VERSION=$(monit -V 2>/dev/null | awk '/version/ { print $NF; exit }')
}
peer supervisord ensure_supervisord SUPERVISORD_BIN SUPERVISORD_VERSION
peer pm2 ensure_pm2 PM2_BIN PM2_VERSION NODE_VERSION
peer monit ensure_monit MONIT_VERSION
export PM2_BIN=${PM2_BIN:-}
SUPERVISORD_VERSION=${SUPERVISORD_VERSION:-not installed}
PM2_VERSION=${PM2_VERSION:-not installed}
NODE_VERSION=${NODE_VERSION:-?}
MONIT_VERSION=${MONIT_VERSION:-not installed}
export BENCH_SUMMARY=$BENCH_TMP/summary.txt
: >"$BENCH_SUMMARY"

procs_now() { find /proc -maxdepth 1 -name '[0-9]*' | wc -l; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_BEFORE=$(procs_now)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$SECONDS

# run_bench NAME SCRIPT ARGS...: a bench that fails is reported, not fatal.
declare -A FAILED=()
run_bench() {
    local name=$1 script=$2
    shift 2
    log "$name"
    if ! timeout 1800 "$BENCH_DIR/$script" --out "$BENCH_TMP/$name.md" "${SKIPS[@]}" "$@" 2>"$BENCH_TMP/$name.log"; then
        FAILED[$name]="\`$script\` failed: $(last_error "$BENCH_TMP/$name.log")"
        log "${FAILED[$name]}; its last lines:"
        tail -15 "$BENCH_TMP/$name.log" >&2
        echo "### $name: failed" >"$BENCH_TMP/$name.md"
        echo >>"$BENCH_TMP/$name.md"
        echo "${FAILED[$name]}" >>"$BENCH_TMP/$name.md"
    fi
}
run_bench latency restart_latency.sh
BENCH_WORKLOAD=checks run_bench idle overhead.sh
run_bench memlimit memlimit.sh
run_bench startstop startstop.sh

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_AFTER=$(procs_now)
ELAPSED=$((SECONDS - T0))

# value KIND KEY FIELD: a figure from the summary (FIELD 3 = first number);
# empty when the bench did not produce it.
value() { awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $2 == n { print $f }' "$BENCH_SUMMARY" | tail -1; }
# shown VALUE UNIT [PEER]: "VALUE UNIT", or why there is none.
shown() {
    if [[ -n "$1" && "$1" != - ]]; then
        echo "$1${2:+ $2}"
    elif [[ -n "${3:-}" && -n "${WHY[$3]:-}" ]]; then
        echo "not measured: ${WHY[$3]}"
    else
        echo "not measured"
    fi
}
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
# verdict VALUE TARGET: meets when VALUE <= TARGET.
verdict() {
    [[ -n "$1" && "$1" != - ]] || { echo "no figure"; return; }
    awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 <= t + 0) ? "meets" : "**misses**" }'
}
# lowest VALUE PEER_VALUE...: meets when VALUE is at most every peer's.
lowest() {
    local v=$1 p
    [[ -n "$v" ]] || { echo "no figure"; return; }
    shift
    for p in "$@"; do
        [[ -n "$p" && "$p" != - ]] || continue
        awk -v v="$v" -v p="$p" 'BEGIN { exit !(v + 0 > p + 0) }' && { echo "**misses** (a peer is lower)"; return; }
    done
    echo "meets (lowest)"
}
s2() { if [[ -n "$1" ]]; then calc "$1 / 1000"; fi; } # ms -> s

L_MED=$(value latency lifeline 3)
F_MED=$(value latency bareloop 3)
OVER=""
[[ -n "$L_MED" && -n "$F_MED" ]] && OVER=$(calc "$L_MED - $F_MED")
CPU_H=$(value overhead lifeline 4)
CPU_HID=$(value overhead lifeline-hidden 4)
CPU_SH=$(value overhead lifeline-shown 4)
CPU_PM2=$(value overhead pm2 4)
CPU_MONIT=$(value overhead monit 4)
CPU_SUP=$(value overhead supervisord 4)
CPU_FLOOR=$(value overhead checkloop 4)
why_lifeline_desktop() { awk -v k="$1" '$1 == "skipped" && $2 == k { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' "$BENCH_SUMMARY"; }
ML_L=$(value memlimit lifeline 3)
ML_LX=$(value memlimit lifeline 4)
ML_M=$(value memlimit monit 4)
SA_L=$(s2 "$(value startall lifeline 3)")
SA_LP=$(s2 "$(value startall lifeline-ports 3)")
SA_PM2=$(s2 "$(value startall pm2 3)")
SA_SUP=$(s2 "$(value startall supervisord 3)")
SO_L=$(s2 "$(value stopall lifeline 3)")
SO_LP=$(s2 "$(value stopall lifeline-ports 3)")
SO_PM2=$(s2 "$(value stopall pm2 3)")
SO_SUP=$(s2 "$(value stopall supervisord 3)")
desktop_cell() { # VALUE KEY
    if [[ -n "$1" ]]; then
        echo "$1 %"
    else
        local why
        why=$(why_lifeline_desktop "$2")
        echo "not measured${why:+: $why}"
    fi
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
DISTRO=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
W=${BENCH_SECONDS:-60}

NOTES=""
if [[ -f "$RESULTS" ]] && grep -qF "$MARKER" "$RESULTS"; then
    NOTES=$(sed -n "\\|$MARKER|,\$p" "$RESULTS" | tail -n +2)
fi

NEW=$BENCH_TMP/RESULTS.md
{
    echo "# Lifeline against the floor, supervisord, PM2 and Monit"
    echo
    echo "Written by \`bench/run-all.sh\` (what each bench measures and its caveats: [README.md](README.md))."
    echo
    echo "## Issue 15: one run against the targets"
    echo
    echo "| measure | Lifeline | floor and peers (same run) | target | verdict |"
    echo "| --- | ---: | --- | --- | --- |"
    echo "| restart latency, crash to next start, median | $(shown "$L_MED" ms) | floor (\`bareloop\`: fork, exec, waitpid) $(shown "$F_MED" ms); PM2 $(shown "$(value latency pm2 3)" ms pm2); supervisord $(shown "$(value latency supervisord 3)" ms supervisord) | lowest supervisor | $(lowest "$L_MED" "$(value latency pm2 3)" "$(value latency supervisord 3)") |"
    echo "| **restart: Lifeline minus the floor**, medians | $(shown "$OVER" ms) | | ≤ 1 ms | $(verdict "$OVER" 1) |"
    echo "| idle CPU, 20 services with an HTTP check every 1 s, 1 s sampling: **headless** (engine + loggers) | $(shown "$CPU_H" %) | floor (\`checkloop\`: the same checks in C, nothing else) $(shown "$CPU_FLOOR" % checkloop); Monit, HTTP checks every 1 s: $(shown "$CPU_MONIT" % monit); PM2, 1 s worker, no HTTP checks: $(shown "$CPU_PM2" % pm2); supervisord, no checks: $(shown "$CPU_SUP" % supervisord) | ≤ 0.15 % of a core | $(verdict "$CPU_H" 0.15) |"
    echo "| idle CPU, same, **desktop app, window hidden** (tray) | $(desktop_cell "$CPU_HID" lifeline-hidden) | | ≤ 0.15 % | $(verdict "$CPU_HID" 0.15) |"
    echo "| idle CPU, same, **desktop app, window shown** (overview) | $(desktop_cell "$CPU_SH" lifeline-shown) | | ≤ 0.3 % | $(verdict "$CPU_SH" 0.3) |"
    echo "| memory limit: over the limit to SIGTERM, 250 ms sampling, median | $(shown "$ML_L" ms) (to exit $(shown "$ML_LX" ms)) | Monit, 1 s cycle, over the limit to exit: $(shown "$ML_M" ms monit) | ≤ 300 ms | $(verdict "$ML_L" 300) |"
    echo "| start all 20 to the last one ready, median | $(shown "$SA_L" s) to the last **Healthy** (in process); $(shown "$SA_LP" s) \`lifeline --headless\` to every /health answering | to every /health answering: PM2 $(shown "$SA_PM2" s pm2); supervisord $(shown "$SA_SUP" s supervisord) | ≤ 0.5 s | $(verdict "$SA_L" 0.5) |"
    echo "| stop all 20 to the last one gone, median | $(shown "$SO_L" s) (in process); $(shown "$SO_LP" s) (SIGTERM to \`lifeline --headless\`) | PM2 \`stop all\` $(shown "$SO_PM2" s pm2); \`supervisorctl stop all\` $(shown "$SO_SUP" s supervisord) | lowest | $(lowest "$SO_LP" "$SO_PM2" "$SO_SUP") |"
    echo
    echo "CPU in % of one core over a ${W} s window (utime+stime of the supervisor's own processes, one tick = $(calc "100 / $CLK_TCK / $W") %);"
    if [[ -n "$CPU_H" && "$CPU_H" != - && -n "$CPU_FLOOR" && "$CPU_FLOOR" != - ]]; then
        echo "Lifeline headless above the checks floor: $(calc "$CPU_H - $CPU_FLOOR") % (the floor is the kernel's share of 20 loopback HTTP round trips a second);"
    fi
    echo "Lifeline split: headless engine $(shown "$(value overhead lifeline-engine 4)" %) + loggers $(shown "$(value overhead lifeline-loggers 4)" %);"
    echo "window hidden: app $(shown "$(value overhead lifeline-hidden-engine 4)" %) + loggers $(shown "$(value overhead lifeline-hidden-loggers 4)" %);"
    echo "window shown: app $(shown "$(value overhead lifeline-shown-engine 4)" %) + loggers $(shown "$(value overhead lifeline-shown-loggers 4)" %)."
    for k in "${!FAILED[@]}"; do
        echo "**$k**: ${FAILED[$k]} (its log: \`$BENCH_TMP/$k.log\` during the run)."
    done
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
    echo "| Monit | $MONIT_VERSION (Debian package \`monit\`) |"
    echo
    echo "Command: \`$(env | grep -E '^BENCH_(CRASHES|SECONDS|SERVICES|SETTLE|RUN_TIMEOUT|STARTSTOP_RUNS|MEMLIMIT_RUNS|MEMLIMIT_MONIT_RUNS)=' | sort | tr '\n' ' ')bench/run-all.sh\`"
    echo
    echo "## Figures"
    echo
    cat "$BENCH_TMP/latency.md"
    echo
    cat "$BENCH_TMP/idle.md"
    echo
    cat "$BENCH_TMP/memlimit.md"
    echo
    cat "$BENCH_TMP/startstop.md"
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
sed -n '/^## Issue 15/,/^## Run/p' "$RESULTS" | head -n -1

# Lifeline's own targets (sampler, health checks at scale, UI, recovery);
# last, because the lines above rewrite RESULTS.md up to the marker.
if [[ ${BENCH_MORE:-0} == 1 ]]; then
    log "Lifeline's own targets"
    BENCH_NO_BUILD=$NO_BUILD timeout 1800 "$BENCH_DIR/run-more.sh"
fi
