#!/usr/bin/env bash
# bench/restart_latency.sh — how long after a crash the next instance starts,
# for Lifeline, supervisord and PM2, each restarting the same crasher
# (bench/crasher.c) BENCH_CRASHES times (default 30).
#
#   bench/restart_latency.sh [--out FILE] [--only bareloop|lifeline|supervisord|pm2]
#
# Prints a markdown section (table + exact commands) to stdout or FILE; progress
# goes to stderr. Env: BENCH_CRASHES (30), BENCH_RUN_TIMEOUT (seconds allowed
# per supervisor, 120), LIFELINE_BUILD_DIR, PM2_BIN, BENCH_KEEP=1 (keep temp dir),
# BENCH_SUMMARY=FILE (append "latency KEY MEDIAN P95" lines, for run-all.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_bench_args 12 "$@"
CRASHES=${BENCH_CRASHES:-30}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-120}

bench_init
want lifeline && ensure_lifeline
want supervisord && ensure_supervisord
want pm2 && ensure_pm2

CRASHER=$BENCH_TMP/crasher
cc -O2 -o "$CRASHER" "$BENCH_DIR/crasher.c" || die "cannot compile bench/crasher.c (is a C compiler installed?)"

# wait_starts FILE N: 0 once FILE holds N start lines (bounded by RUN_TIMEOUT).
wait_starts() {
    local file=$1 n=$2 deadline=$((SECONDS + RUN_TIMEOUT)) have=0
    while ((SECONDS < deadline)); do
        have=$(grep -c '^S ' "$file" 2>/dev/null || true)
        ((${have:-0} >= n)) && return 0
        sleep 0.2
    done
    log "only ${have:-0} of $n starts within ${RUN_TIMEOUT}s in $file"
    return 1
}

# latencies FILE N: the first N latencies S(i+1) - E(i), in milliseconds.
latencies() {
    awk -v n="$2" '
        $1 == "S" { s[++ns] = $2 }
        $1 == "E" { e[++ne] = $2 }
        END {
            for (i = 1; i <= n && i < ns && i <= ne; i++) {
                if (e[i] < s[i] || s[i + 1] < e[i]) { print "out of order at " i > "/dev/stderr"; exit 1 }
                printf "%.3f\n", (s[i + 1] - e[i]) / 1e6
            }
        }' "$1"
}

ROWS=()
COMMANDS=()

record() { # KEY NAME FILE
    local key=$1
    shift
    local lat stats
    lat=$(latencies "$2" "$CRASHES") || die "$1: malformed timestamps in $2"
    stats=$(summarize <<<"$lat")
    read -r n med p95 min max mean <<<"$stats"
    ((n == CRASHES)) || die "$1: got $n latencies, wanted $CRASHES"
    ROWS+=("| $1 | $n | $med | $p95 | $min | $max | $mean |")
    [[ -n "${BENCH_SUMMARY:-}" ]] && echo "latency $key $med $p95" >>"$BENCH_SUMMARY"
    log "$1: n=$n median=${med}ms p95=${p95}ms min=${min}ms max=${max}ms"
}

# ---- the floor: fork+exec+waitpid in a loop ---------------------------------------
if want bareloop; then
    BARELOOP=$BENCH_TMP/bareloop
    cc -O2 -o "$BARELOOP" "$BENCH_DIR/bareloop.c" || die "cannot compile bench/bareloop.c"
    T=$BENCH_TMP/bareloop.d
    mkdir -p "$T"
    log "floor (bareloop): $CRASHES crashes"
    timeout "$RUN_TIMEOUT" "$BARELOOP" $((CRASHES + 1)) "$CRASHER" "$T/times" || die "bareloop failed"
    record bareloop "floor: \`bareloop\` (fork, execv, waitpid; no supervisor)" "$T/times"
    COMMANDS+=("floor: \`bareloop $((CRASHES + 1)) crasher TIMESFILE\` (\`cc -O2 bench/bareloop.c\`): nothing between one exit and the next start but waitpid, fork and execv")
fi

# ---- Lifeline ----------------------------------------------------------------
if want lifeline; then
    T=$BENCH_TMP/lifeline
    mkdir -p "$T"
    cat >"$T/lifeline.toml" <<EOF
[settings]
state_dir = "$T/state"
on_exit = "stop"

[[service]]
name = "crasher"
command = ["$CRASHER", "$T/times"]
restart = "on-failure"
restart_delay = "0s"
backoff_factor = 1.0
max_restarts = 1000
EOF
    log "Lifeline: $CRASHES crashes"
    DIAG_LOG=$T/lifeline.out
    start_lifeline "$T/lifeline.toml" "$T/lifeline.out"
    wait_starts "$T/times" $((CRASHES + 1)) || die "Lifeline did not restart the crasher $CRASHES times"
    stop_lifeline
    record lifeline "Lifeline $LIFELINE_VERSION (\`lifeline --headless\`, $LIFELINE_BUILD_TYPE)" "$T/times"
    COMMANDS+=("Lifeline: \`lifeline --headless --config lifeline.toml\` with

\`\`\`toml
$(sed "s|$BENCH_TMP|\$BENCH_TMP|g" "$T/lifeline.toml")
\`\`\`")
fi

# ---- supervisord ---------------------------------------------------------------
if want supervisord; then
    T=$BENCH_TMP/supervisord
    mkdir -p "$T/logs"
    cat >"$T/supervisord.conf" <<EOF
[unix_http_server]
file=$T/supervisor.sock

[supervisord]
logfile=$T/supervisord.log
pidfile=$T/supervisord.pid
childlogdir=$T/logs

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$T/supervisor.sock

[program:crasher]
command=$CRASHER $T/times
autorestart=true
startsecs=0
startretries=1000
EOF
    log "supervisord: $CRASHES crashes"
    DIAG_LOG=$T/supervisord.log
    start_supervisord "$T/supervisord.conf" "$T/supervisord.pid"
    wait_starts "$T/times" $((CRASHES + 1)) || die "supervisord did not restart the crasher $CRASHES times"
    stop_supervisord
    record supervisord "supervisord $SUPERVISORD_VERSION" "$T/times"
    COMMANDS+=("supervisord: \`supervisord -c supervisord.conf\` (daemonizes; stopped with SIGTERM to the pid in its pidfile) with

\`\`\`ini
$(sed "s|$BENCH_TMP|\$BENCH_TMP|g" "$T/supervisord.conf")
\`\`\`")
fi

# ---- PM2 -----------------------------------------------------------------------
if want pm2; then
    T=$BENCH_TMP/pm2
    mkdir -p "$T"
    pm2_setup_home latency
    # --max-restarts: PM2 gives up after 16 "unstable" restarts (exits sooner
    # than min_uptime, 1 s) by default; 1000 matches the others' limits.
    PM2_ARGS=(start "$CRASHER" --name crasher --interpreter none --restart-delay 0 --max-restarts 1000 -- "$T/times")
    log "PM2: $CRASHES crashes"
    pm2_cmd "${PM2_ARGS[@]}" >"$T/pm2-start.log" 2>&1 || { cat "$T/pm2-start.log" >&2; die "pm2 start failed"; }
    pm2_god_pid
    DIAG_LOG=$PM2_HOME_DIR/pm2.log
    wait_starts "$T/times" $((CRASHES + 1)) || die "PM2 did not restart the crasher $CRASHES times"
    stop_pm2
    record pm2 "PM2 $PM2_VERSION (node $NODE_VERSION)" "$T/times"
    COMMANDS+=("PM2: \`PM2_HOME=\$BENCH_TMP/pm2home pm2 ${PM2_ARGS[*]//$BENCH_TMP/\$BENCH_TMP}\`, stopped with \`pm2 kill\`")
fi

{
    echo "### Restart latency"
    echo
    echo "Time from the crasher's last instruction (exit 1, after 100 ms of life) to the first instruction"
    echo "of the next instance, over $CRASHES consecutive crashes (CLOCK_REALTIME stamps written by the"
    echo "crasher itself). Milliseconds; lower is better."
    echo
    echo "| supervisor | crashes | median | p95 | min | max | mean |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Commands (crasher = \`cc -O2 bench/crasher.c\`, run as \`crasher TIMESFILE\`):"
    echo
    for c in "${COMMANDS[@]}"; do
        echo "$c"
        echo
    done
} >"$OUT"
