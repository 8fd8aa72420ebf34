#!/usr/bin/env bash
# bench/overhead.sh — what supervising costs: Lifeline, supervisord and PM2
# each keep BENCH_SERVICES (20) idle lifeline-demo-backend processes (distinct
# free ports) alive for BENCH_SECONDS (60); we read the supervisor's own memory
# (VmRSS) and CPU (utime+stime from /proc/PID/stat) over that window.
#
#   bench/overhead.sh [--out FILE] [--only lifeline|supervisord|pm2]
#
# Lifeline is counted as its engine process plus, reported apart, the
# lifeline-logger it runs per service (20 of them); PM2 as its God daemon
# (the pm2 CLI exits); supervisord as its one process. The backends' own cost
# is the same under all three and is not counted.
# Env: BENCH_SECONDS (60), BENCH_SERVICES (20), BENCH_SETTLE (5 s after every
# port answers, before measuring), LIFELINE_BUILD_DIR, PM2_BIN, BENCH_KEEP=1,
# BENCH_SUMMARY=FILE (append "overhead KEY RSS_MIB CPU_PCT NPROC PSS_MIB" lines, for run-all.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_bench_args 16 "$@"
WINDOW=${BENCH_SECONDS:-60}
NSVC=${BENCH_SERVICES:-20}
SETTLE=${BENCH_SETTLE:-5}

bench_init
ensure_lifeline # the demo backend comes from the Lifeline build for all three
want supervisord && ensure_supervisord
want pm2 && ensure_pm2

FREEPORTS=$BENCH_TMP/freeports
cc -O2 -o "$FREEPORTS" "$BENCH_DIR/freeports.c" || die "cannot compile bench/freeports.c (is a C compiler installed?)"
DEMO_REAL=$(readlink -f "$DEMO_BIN")
LOGGER_REAL=$(readlink -f "$LOGGER_BIN")

# pids_by_exe ROOT EXE: descendants of ROOT whose executable is EXE.
pids_by_exe() {
    local d pid
    while read -r d; do
        [[ -n "$d" ]] || continue
        pid=${d%%:*}
        [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$2" ]] && echo "$pid"
    done < <(descendants "$1")
    return 0
}

# Sums over PIDs, one awk per call (not one fork per pid: the sampling loop
# must stay light next to what it measures). A pid that vanished counts 0.
sum_ticks() {
    (($#)) || { echo 0; return; }
    local p files=()
    for p in "$@"; do files+=("/proc/$p/stat"); done
    { awk '{ line = $0; sub(/.*\) /, "", line); split(line, f, " "); s += f[12] + f[13] }
           END { print s + 0 }' "${files[@]}" 2>/dev/null || true; } | tail -1
}

sum_field() { # FIELD FILE PIDS...: sum of "FIELD: N kB" lines of /proc/PID/FILE
    local field=$1 file=$2
    shift 2
    (($#)) || { echo 0; return; }
    local p files=()
    for p in "$@"; do files+=("/proc/$p/$file"); done
    { awk -v k="$field:" '$1 == k { s += $2 } END { print s + 0 }' "${files[@]}" 2>/dev/null || true; } | tail -1
}
sum_rss() { sum_field VmRSS status "$@"; }
sum_pss() { sum_field Pss smaps_rollup "$@"; }

mib() { awk -v k="$1" -v d="${2:-1}" 'BEGIN { printf "%.1f", k / d / 1024 }'; }

ROWS=()
COMMANDS=()
BACKEND_RSS=()

# measure ROOTPID GROUP...: waits for PORTS to answer, settles, then samples
# every second for WINDOW seconds. Each GROUP is "key|label|pids" — processes
# reported as one row; pids may hold $(...) evaluated once the services run.
measure() {
    local root=$1
    shift
    local -a groups=("$@")
    wait_ports 90 "${PORTS[@]}" || die "not every demo backend answered within 90 s"
    sleep "$SETTLE" # let start-up work drain before the window opens
    local -a backends
    mapfile -t backends < <(pids_by_exe "$root" "$DEMO_REAL")
    ((${#backends[@]} == NSVC)) || die "expected $NSVC demo backends under pid $root, found ${#backends[@]}"
    track_descendants "$root"

    # Resolve the groups now (loggers are only known once services started).
    local -a keys labels pidlists
    local g rest
    for g in "${groups[@]}"; do
        keys+=("${g%%|*}")
        rest=${g#*|}
        labels+=("${rest%%|*}")
        pidlists+=("$(eval "echo ${rest#*|}")")
    done
    local i n=${#labels[@]}
    local -a t0 rsssum rssmax psssum
    for ((i = 0; i < n; i++)); do
        # shellcheck disable=SC2086
        t0[i]=$(sum_ticks ${pidlists[i]})
        rsssum[i]=0
        rssmax[i]=0
        psssum[i]=0
    done
    local s r
    # One sample per second on the wall clock (the sampling's own time is not
    # added to the window); CPU ticks are read right at both ends.
    local w0 w1 next now_us left
    w0=${EPOCHREALTIME/./}
    for ((s = 1; s <= WINDOW; s++)); do
        next=$((w0 + s * 1000000))
        now_us=${EPOCHREALTIME/./}
        if ((next > now_us)); then
            left=$((next - now_us))
            sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
        fi
        for ((i = 0; i < n; i++)); do
            # shellcheck disable=SC2086
            r=$(sum_rss ${pidlists[i]})
            rsssum[i]=$((rsssum[i] + r))
            ((r > rssmax[i])) && rssmax[i]=$r
            # shellcheck disable=SC2086
            psssum[i]=$((psssum[i] + $(sum_pss ${pidlists[i]})))
        done
    done
    w1=${EPOCHREALTIME/./}
    local -a t1s
    for ((i = 0; i < n; i++)); do
        # shellcheck disable=SC2086
        t1s[i]=$(sum_ticks ${pidlists[i]})
    done
    # Every backend must still be the one we saw: a restart would skew it all.
    local now
    mapfile -t now < <(pids_by_exe "$root" "$DEMO_REAL")
    [[ "$(printf '%s\n' "${now[@]}" | sort)" == "$(printf '%s\n' "${backends[@]}" | sort)" ]] ||
        die "the demo backends changed during the window (a restart?)"
    local secs cpu t1 count
    secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
    for ((i = 0; i < n; i++)); do
        t1=${t1s[i]}
        # shellcheck disable=SC2086
        count=$(wc -w <<<"${pidlists[i]}")
        cpu=$(awk -v d=$((t1 - t0[i])) -v hz="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.2f", 100 * d / hz / s }')
        ROWS+=("| ${labels[i]} | $count | $(mib "${rsssum[i]}" "$WINDOW") | $(mib "${rssmax[i]}") | $(mib "${psssum[i]}" "$WINDOW") | $cpu | $((t1 - t0[i])) |")
        [[ -n "${BENCH_SUMMARY:-}" ]] && echo "overhead ${keys[i]} $(mib "${rsssum[i]}" "$WINDOW") $cpu $count $(mib "${psssum[i]}" "$WINDOW")" >>"$BENCH_SUMMARY"
        log "${labels[i]}: ${count} process(es), RSS avg $((rsssum[i] / WINDOW)) KiB, CPU ${cpu}% over ${secs}s"
    done
    # shellcheck disable=SC2207
    BACKEND_RSS+=($(sum_rss "${backends[@]}"))
}

new_ports() {
    mapfile -t PORTS < <("$FREEPORTS" "$NSVC")
    ((${#PORTS[@]} == NSVC)) || die "could not get $NSVC free ports"
}

# ---- Lifeline ----------------------------------------------------------------
if want lifeline; then
    T=$BENCH_TMP/lifeline
    mkdir -p "$T"
    new_ports
    {
        echo "[settings]"
        echo "state_dir = \"$T/state\""
        echo "on_exit = \"stop\""
        for ((i = 0; i < NSVC; i++)); do
            echo
            echo "[[service]]"
            echo "name = \"b$i\""
            echo "command = [\"$DEMO_BIN\", \"--port\", \"${PORTS[i]}\", \"--name\", \"b$i\"]"
            echo "ports = [${PORTS[i]}]"
            echo "restart = \"always\""
        done
    } >"$T/lifeline.toml"
    log "Lifeline: $NSVC idle backends for ${WINDOW}s"
    DIAG_LOG=$T/lifeline.out
    start_lifeline "$T/lifeline.toml" "$T/lifeline.out"
    LPID=$LIFELINE_PID
    loggers() { pids_by_exe "$LPID" "$LOGGER_REAL" | tr '\n' ' '; }
    measure "$LPID" \
        "lifeline-engine|Lifeline engine (\`lifeline --headless\`)|$LPID" \
        "lifeline-loggers|Lifeline loggers (one \`lifeline-logger\` per service)|\$(loggers)" \
        "lifeline|**Lifeline total** (engine + loggers)|$LPID \$(loggers)"
    stop_lifeline
    COMMANDS+=("Lifeline: \`lifeline --headless --config lifeline.toml\`, $NSVC services like

\`\`\`toml
$(sed "s|$BENCH_TMP|\$BENCH_TMP|g" "$T/lifeline.toml" | head -12)
\`\`\`")
fi

# ---- supervisord ---------------------------------------------------------------
if want supervisord; then
    T=$BENCH_TMP/supervisord
    mkdir -p "$T/logs"
    new_ports
    {
        cat <<EOF
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
EOF
        for ((i = 0; i < NSVC; i++)); do
            echo
            echo "[program:b$i]"
            echo "command=$DEMO_BIN --port ${PORTS[i]} --name b$i"
            echo "autorestart=true"
        done
    } >"$T/supervisord.conf"
    log "supervisord: $NSVC idle backends for ${WINDOW}s"
    start_supervisord "$T/supervisord.conf" "$T/supervisord.pid"
    DIAG_LOG=$T/supervisord.log
    measure "$SUPERVISORD_PID" "supervisord|supervisord $SUPERVISORD_VERSION|$SUPERVISORD_PID"
    stop_supervisord
    COMMANDS+=("supervisord: \`supervisord -c supervisord.conf\`, $NSVC programs like

\`\`\`ini
$(sed "s|$BENCH_TMP|\$BENCH_TMP|g" "$T/supervisord.conf" | head -20)
\`\`\`")
fi

# ---- PM2 -----------------------------------------------------------------------
if want pm2; then
    T=$BENCH_TMP/pm2
    mkdir -p "$T"
    new_ports
    {
        echo '{ "apps": ['
        for ((i = 0; i < NSVC; i++)); do
            sep=,
            ((i == NSVC - 1)) && sep=
            printf '  { "name": "b%d", "script": "%s", "args": ["--port", "%s", "--name", "b%d"], "interpreter": "none", "autorestart": true }%s\n' \
                "$i" "$DEMO_BIN" "${PORTS[i]}" "$i" "$sep"
        done
        echo '] }'
    } >"$T/ecosystem.json"
    pm2_setup_home overhead
    log "PM2: $NSVC idle backends for ${WINDOW}s"
    pm2_cmd start "$T/ecosystem.json" >"$T/pm2-start.log" 2>&1 || { cat "$T/pm2-start.log" >&2; die "pm2 start failed"; }
    pm2_god_pid
    DIAG_LOG=$PM2_HOME_DIR/pm2.log
    measure "$PM2_GOD_PID" "pm2|PM2 $PM2_VERSION God daemon (node $NODE_VERSION)|$PM2_GOD_PID"
    stop_pm2
    COMMANDS+=("PM2: \`PM2_HOME=\$BENCH_TMP/pm2home pm2 start ecosystem.json\`, stopped with \`pm2 kill\`, $NSVC apps like

\`\`\`json
$(sed "s|$BENCH_TMP|\$BENCH_TMP|g" "$T/ecosystem.json" | head -3)
\`\`\`")
fi

{
    echo "### Overhead: $NSVC idle services for ${WINDOW} s"
    echo
    echo "Each supervisor keeps $NSVC idle \`lifeline-demo-backend\` processes alive (distinct free ports,"
    echo "no health checks). Measured after every port answered plus ${SETTLE} s: RSS sampled once a"
    echo "second (VmRSS, MiB; the sum over the processes of the row), CPU = (utime+stime) ticks over the"
    echo "window / CLK_TCK ($CLK_TCK) / window, in % of one core. PSS (smaps_rollup) splits shared pages"
    echo "(libc, libstdc++, Qt) among the processes that map them, so it is what a row really adds to"
    echo "the machine; RSS is what \`top\` shows. Lower is better."
    echo
    echo "| measured | processes | RSS avg (MiB) | RSS max (MiB) | PSS avg (MiB) | CPU % of one core | CPU ticks |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    if ((${#BACKEND_RSS[@]})); then
        echo "For scale: the $NSVC demo backends themselves took $(mib "${BACKEND_RSS[0]}") MiB RSS together (first run)."
        echo
    fi
    echo "Commands:"
    echo
    for c in "${COMMANDS[@]}"; do
        echo "$c"
        echo
    done
} >"$OUT"
