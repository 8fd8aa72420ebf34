#!/usr/bin/env bash
# bench/startstop.sh — start all BENCH_SERVICES (20) lifeline-demo-backends
# to the last one ready, and stop all of them to the last one gone, under
# Lifeline, PM2 and supervisord; BENCH_STARTSTOP_RUNS (3) runs each.
#
#   bench/startstop.sh [--out FILE] [--only lifeline|supervisord|pm2]
#
# Lifeline is measured twice: in process by lifeline-bench-startstop (the
# configuration loaded and the engine built as headless mode does, each
# service with an HTTP check every second: load -> last service Healthy,
# stopAll() -> every tree reaped), and from outside like the peers. From
# outside (bench/readywait.c, polling every 2 ms): the start command -> every
# backend's GET /health answers 200; the stop request -> every backend pid
# gone. Start commands: `lifeline --headless`, `pm2 start ecosystem.json`
# (its daemon included), `supervisord -c` (daemonizes); stop requests:
# SIGTERM to lifeline, `pm2 stop all`, `supervisorctl stop all`.
# Env: BENCH_SERVICES, BENCH_STARTSTOP_RUNS, LIFELINE_BUILD_DIR, PM2_BIN,
# BENCH_KEEP=1, BENCH_SUMMARY=FILE (appends "startall KEY MEDIAN_MS" and
# "stopall KEY MEDIAN_MS").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_bench_args 20 "$@"
NSVC=${BENCH_SERVICES:-20}
RUNS=${BENCH_STARTSTOP_RUNS:-3}

bench_init
build_lifeline lifeline-bench-startstop
ensure_lifeline
want supervisord && ensure_supervisord
want pm2 && ensure_pm2
STARTSTOP_BIN=$LIFELINE_BUILD_DIR/bin/lifeline-bench-startstop
[[ -x "$STARTSTOP_BIN" ]] || die "$STARTSTOP_BIN is missing (build it: cmake --build ... --target lifeline-bench-startstop)"

FREEPORTS=$BENCH_TMP/freeports
READYWAIT=$BENCH_TMP/readywait
cc -O2 -o "$FREEPORTS" "$BENCH_DIR/freeports.c" || die "cannot compile bench/freeports.c"
cc -O2 -o "$READYWAIT" "$BENCH_DIR/readywait.c" || die "cannot compile bench/readywait.c"
DEMO_REAL=$(readlink -f "$DEMO_BIN")

new_ports() {
    mapfile -t PORTS < <("$FREEPORTS" "$NSVC")
    ((${#PORTS[@]} == NSVC)) || die "could not get $NSVC free ports"
}

ROWS=()
# row KEY LABEL START_MS_LIST STOP_MS_LIST
row() {
    local key=$1 label=$2 st sp
    st=$(tr ' ' '\n' <<<"$3" | { grep . || true; } | summarize)
    sp=$(tr ' ' '\n' <<<"$4" | { grep . || true; } | summarize)
    local sn smed smin smax pmed pmin pmax
    read -r sn smed _ smin smax _ <<<"$st"
    read -r _ pmed _ pmin pmax _ <<<"$sp"
    ROWS+=("| $label | $sn | $smed | $smin | $smax | $pmed | $pmin | $pmax |")
    if [[ -n "${BENCH_SUMMARY:-}" ]]; then
        echo "startall $key $smed" >>"$BENCH_SUMMARY"
        echo "stopall $key $pmed" >>"$BENCH_SUMMARY"
    fi
    log "$label: start-all median ${smed} ms, stop-all median ${pmed} ms"
}

# Background readywait; READY_PID, its answer in $BENCH_TMP/ready.out.
ready_begin() {
    "$READYWAIT" "$@" >"$BENCH_TMP/ready.out" &
    READY_PID=$!
}
# ready_end WHAT T0_US: READY_MS = ms from T0_US (an EPOCHREALTIME without
# the dot) to readywait's answer. Not in $(...): a subshell cannot wait for it.
ready_end() {
    wait "$READY_PID" || die "readywait $1 failed: not all there within 120 s"
    READY_MS=$(awk -v t0="$2" '{ printf "%.1f\n", ($1 / 1000 - t0) / 1000 }' "$BENCH_TMP/ready.out")
}
now_us() { echo "${EPOCHREALTIME/./}"; }

# ---- Lifeline ----------------------------------------------------------------
if want lifeline; then
    T=$BENCH_TMP/lifeline
    mkdir -p "$T"
    new_ports
    lifeline_checks_config "$T/lifeline.toml" "$T/state" "${PORTS[@]}"
    log "Lifeline in process: $RUNS runs"
    timeout 600 "$STARTSTOP_BIN" --config "$T/lifeline.toml" --runs "$RUNS" >"$T/inproc.out" 2>"$T/inproc.err" ||
        { tail -5 "$T/inproc.err" >&2; die "lifeline-bench-startstop failed"; }
    row lifeline "Lifeline, to the last service **Healthy** (in process)" \
        "$(awk '$1 == "STARTSTOP" { print $2 }' "$T/inproc.out")" "$(awk '$1 == "STARTSTOP" { print $3 }' "$T/inproc.out")"

    starts="" stops=""
    for ((r = 1; r <= RUNS; r++)); do
        new_ports
        lifeline_checks_config "$T/lifeline.toml" "$T/state" "${PORTS[@]}"
        ready_begin http "${PORTS[@]}"
        t0=$(now_us)
        DIAG_LOG=$T/lifeline.out
        start_lifeline "$T/lifeline.toml" "$T/lifeline.out"
        ready_end start "$t0"
        starts+=" $READY_MS"
        mapfile -t pids < <(pids_by_exe "$LIFELINE_PID" "$DEMO_REAL")
        ready_begin gone "${pids[@]}"
        t0=$(now_us)
        kill -TERM "$LIFELINE_PID"
        ready_end stop "$t0"
        stops+=" $READY_MS"
        stop_lifeline
    done
    row lifeline-ports "Lifeline \`--headless\`, to every /health answering" "$starts" "$stops"
fi

# ---- PM2 -----------------------------------------------------------------------
if want pm2; then
    T=$BENCH_TMP/pm2
    mkdir -p "$T"
    starts="" stops=""
    for ((r = 1; r <= RUNS; r++)); do
        new_ports
        pm2_ecosystem "$T/ecosystem.json" "${PORTS[@]}"
        pm2_setup_home "startstop$r"
        ready_begin http "${PORTS[@]}"
        t0=$(now_us)
        pm2_cmd start "$T/ecosystem.json" >"$T/pm2-start.log" 2>&1 || { cat "$T/pm2-start.log" >&2; die "pm2 start failed"; }
        ready_end start "$t0"
        starts+=" $READY_MS"
        pm2_god_pid
        mapfile -t pids < <(pids_by_exe "$PM2_GOD_PID" "$DEMO_REAL")
        ((${#pids[@]} == NSVC)) || die "PM2: expected $NSVC backends, found ${#pids[@]}"
        ready_begin gone "${pids[@]}"
        t0=$(now_us)
        pm2_cmd stop all >"$T/pm2-stop.log" 2>&1 || { cat "$T/pm2-stop.log" >&2; die "pm2 stop all failed"; }
        ready_end stop "$t0"
        stops+=" $READY_MS"
        stop_pm2
    done
    row pm2 "PM2 $PM2_VERSION, to every /health answering" "$starts" "$stops"
fi

# ---- supervisord ---------------------------------------------------------------
if want supervisord; then
    T=$BENCH_TMP/supervisord
    starts="" stops=""
    for ((r = 1; r <= RUNS; r++)); do
        rm -rf "$T"
        mkdir -p "$T/logs"
        new_ports
        supervisord_conf "$T" "${PORTS[@]}"
        ready_begin http "${PORTS[@]}"
        t0=$(now_us)
        DIAG_LOG=$T/supervisord.log
        start_supervisord "$T/supervisord.conf" "$T/supervisord.pid"
        ready_end start "$t0"
        starts+=" $READY_MS"
        mapfile -t pids < <(pids_by_exe "$SUPERVISORD_PID" "$DEMO_REAL")
        ((${#pids[@]} == NSVC)) || die "supervisord: expected $NSVC backends, found ${#pids[@]}"
        ready_begin gone "${pids[@]}"
        t0=$(now_us)
        timeout 120 supervisorctl -c "$T/supervisord.conf" stop all >"$T/stop.log" 2>&1 ||
            { cat "$T/stop.log" >&2; die "supervisorctl stop all failed"; }
        ready_end stop "$t0"
        stops+=" $READY_MS"
        stop_supervisord
    done
    row supervisord "supervisord $SUPERVISORD_VERSION, to every /health answering" "$starts" "$stops"
fi

{
    echo "### Start-all and stop-all: $NSVC services"
    echo
    echo "Start-all: from the start command to the last service ready; stop-all: from the stop request"
    echo "to the last service's process gone. $RUNS runs each, milliseconds; lower is better."
    echo "\"Healthy\" is Lifeline's own verdict (an HTTP check of /health every second, the first 200);"
    echo "\"every /health answering\" is seen from outside by \`bench/readywait.c\` polling each port's"
    echo "GET /health every 2 ms (PM2 and supervisord have no readiness checks). Start commands:"
    echo "\`lifeline --headless\`, \`pm2 start ecosystem.json\` (its God daemon started by it),"
    echo "\`supervisord -c\`; stop requests: SIGTERM to lifeline, \`pm2 stop all\`, \`supervisorctl stop all\`."
    echo "The in-process row (\`lifeline-bench-startstop\`) starts its clock before loading the configuration"
    echo "and ends stop-all at \`Fleet::allStopped\` (every tree exited and reaped)."
    echo
    echo "| measured | runs | start-all median | min | max | stop-all median | min | max |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
} >"$OUT"
