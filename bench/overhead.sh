#!/usr/bin/env bash
# bench/overhead.sh — what supervising costs: each supervisor keeps
# BENCH_SERVICES (20) lifeline-demo-backend processes (distinct free ports)
# alive for BENCH_SECONDS (60); we read the supervisor's own memory (VmRSS)
# and CPU (utime+stime from /proc/PID/stat) over that window.
#
#   bench/overhead.sh [--out FILE] [--only NAME]
#   NAME: lifeline | lifeline-hidden | lifeline-shown | checkloop | pm2 | monit | supervisord
#
# BENCH_WORKLOAD=checks (default, issue 15): an HTTP check of each /health
# every second and 1 s sampling where the supervisor can (Lifeline; Monit
# `set daemon 1` with `if failed port P protocol http`; PM2 has no HTTP
# checks, its worker runs every second, PM2_WORKER_INTERVAL=1000;
# supervisord has no checks). BENCH_WORKLOAD=idle: no checks anywhere.
# Lifeline is counted as its `lifeline` process (headless, or the desktop app
# under Xvfb with its window hidden in the tray or shown) plus, reported
# apart, the lifeline-logger it runs per service; PM2 as its God daemon;
# Monit and supervisord as their one process. The backends are not counted.
# A peer that cannot run here is reported as skipped, with the reason.
# Env: BENCH_SECONDS (60), BENCH_SERVICES (20), BENCH_SETTLE (5 s after every
# port answers, before measuring), BENCH_WORKLOAD, LIFELINE_BUILD_DIR, PM2_BIN,
# BENCH_KEEP=1, BENCH_SUMMARY=FILE (append "overhead KEY RSS_MIB CPU_PCT NPROC
# PSS_MIB" and "skipped KEY REASON" lines, for run-all.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_bench_args 25 "$@"
WINDOW=${BENCH_SECONDS:-60}
NSVC=${BENCH_SERVICES:-20}
SETTLE=${BENCH_SETTLE:-5}
WORKLOAD=${BENCH_WORKLOAD:-checks}
case $WORKLOAD in checks | idle) ;; *) die "BENCH_WORKLOAD: checks or idle, not $WORKLOAD" ;; esac

bench_init
ensure_lifeline # the demo backend comes from the Lifeline build for all
want supervisord && ensure_supervisord
want pm2 && ensure_pm2
if want monit && ! command -v monit >/dev/null; then
    apt_install monit
fi

FREEPORTS=$BENCH_TMP/freeports
cc -O2 -o "$FREEPORTS" "$BENCH_DIR/freeports.c" || die "cannot compile bench/freeports.c (is a C compiler installed?)"
DEMO_REAL=$(readlink -f "$DEMO_BIN")
LOGGER_REAL=$(readlink -f "$LOGGER_BIN")

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
SKIPPED=()
BACKEND_RSS=()

# How measure() finds the backends of a supervisor: its descendants running
# the demo backend (Monit's are not its descendants: it sets BACKENDS_OF).
demo_descendants() { pids_by_exe "$1" "$DEMO_REAL"; }
BACKENDS_OF=demo_descendants

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
    mapfile -t backends < <("$BACKENDS_OF" "$root")
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
    mapfile -t now < <("$BACKENDS_OF" "$root")
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

# An X server for the desktop rows: Xvfb on a free display with trayer, so
# --minimized really starts in the tray. Sets XDISPLAY; 1 with X_WHY if not.
XDISPLAY=""
X_WHY=""
start_x() {
    [[ -n "$XDISPLAY" ]] && return 0
    command -v Xvfb >/dev/null || { X_WHY="no Xvfb (apt-get install xvfb)"; return 1; }
    command -v trayer >/dev/null || { X_WHY="no trayer (apt-get install trayer): --minimized needs a system tray"; return 1; }
    command -v xdotool >/dev/null || { X_WHY="no xdotool (apt-get install xdotool) to check the window"; return 1; }
    local n
    for ((n = ${BENCH_XDISPLAY_FIRST:-90}; n < ${BENCH_XDISPLAY_FIRST:-90} + 30; n++)); do
        [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || break
    done
    Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >"$BENCH_TMP/xvfb.log" 2>&1 &
    track_pid $!
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -e /tmp/.X11-unix/X$n ]] && break
        sleep 0.1
    done
    [[ -e /tmp/.X11-unix/X$n ]] || { X_WHY="Xvfb :$n did not start"; return 1; }
    DISPLAY=":$n" trayer --edge bottom --align right --widthtype pixel --width 120 --height 24 >"$BENCH_TMP/trayer.log" 2>&1 &
    track_pid $!
    sleep 1
    XDISPLAY=":$n"
}

# The app's visible windows larger than its tray icon (the main window).
visible_windows() {
    local w
    for w in $(DISPLAY=$XDISPLAY xdotool search --onlyvisible --pid "$1" 2>/dev/null || true); do
        DISPLAY=$XDISPLAY xdotool getwindowgeometry "$w" 2>/dev/null |
            awk -v w="$w" '/Geometry:/ { split($2, g, "x"); if (g[1] > 64) print w }'
    done
}

# run_lifeline KEY LABEL MODE: MODE = headless | hidden (desktop app,
# --minimized to the tray) | shown (desktop app, window on the overview).
run_lifeline() {
    local key=$1 label=$2 mode=$3
    T=$BENCH_TMP/$key
    mkdir -p "$T"
    new_ports
    lifeline_config "$T/lifeline.toml" "$T/state"
    log "$label: $NSVC backends ($WORKLOAD) for ${WINDOW}s"
    DIAG_LOG=$T/lifeline.out
    if [[ $mode == headless ]]; then
        start_lifeline "$T/lifeline.toml" "$T/lifeline.out"
    else
        # A private settings dir: the window opens as it does the first time.
        local args=(--config "$T/lifeline.toml")
        [[ $mode == hidden ]] && args+=(--minimized)
        mkdir -p "$T/xdg-config" "$T/xdg-runtime"
        chmod 700 "$T/xdg-runtime"
        DISPLAY=$XDISPLAY XDG_CONFIG_HOME=$T/xdg-config XDG_RUNTIME_DIR=$T/xdg-runtime LIFELINE_NO_DIALOGS=1 \
            "$LIFELINE_BIN" "${args[@]}" >"$T/lifeline.out" 2>&1 &
        LIFELINE_PID=$!
        track_pid "$LIFELINE_PID"
        LIFELINE_ST=$(proc_starttime "$LIFELINE_PID")
        on_cleanup "stop_lifeline"
    fi
    LPID=$LIFELINE_PID
    if [[ $mode != headless ]]; then
        wait_ports 90 "${PORTS[@]}" || die "$label: not every demo backend answered within 90 s"
        local wins
        wins=$(visible_windows "$LPID")
        if [[ $mode == hidden && -n "$wins" ]]; then
            die "$label: the window is showing (is the tray there?)"
        elif [[ $mode == shown && -z "$wins" ]]; then
            die "$label: no window showing"
        fi
    fi
    loggers() { pids_by_exe "$LPID" "$LOGGER_REAL" | tr '\n' ' '; }
    measure "$LPID" \
        "$key-engine|$label: the \`lifeline\` process|$LPID" \
        "$key-loggers|$label: loggers (one \`lifeline-logger\` per service)|\$(loggers)" \
        "$key|**$label, total** (lifeline + loggers)|$LPID \$(loggers)"
    if [[ $mode == shown ]]; then
        if command -v import >/dev/null; then
            import -window root -display "$XDISPLAY" "$T/window.png" 2>/dev/null || true
        fi
    fi
    stop_lifeline
}

lifeline_config() { # OUT STATE_DIR
    if [[ $WORKLOAD == checks ]]; then
        lifeline_checks_config "$1" "$2" "${PORTS[@]}"
        return
    fi
    {
        echo "[settings]"
        echo "state_dir = \"$2\""
        echo "on_exit = \"stop\""
        for ((i = 0; i < NSVC; i++)); do
            echo
            echo "[[service]]"
            echo "name = \"b$i\""
            echo "command = [\"$DEMO_BIN\", \"--port\", \"${PORTS[i]}\", \"--name\", \"b$i\"]"
            echo "ports = [${PORTS[i]}]"
            echo "restart = \"always\""
        done
    } >"$1"
}

if want lifeline; then
    run_lifeline lifeline "Lifeline headless" headless
    COMMANDS+=("Lifeline: \`lifeline --headless --config lifeline.toml\`, $NSVC services like

\`\`\`toml
$(sed -e "s|$BENCH_TMP|\$BENCH_TMP|g" -e "16q" "$BENCH_TMP/lifeline/lifeline.toml")
\`\`\`")
fi
for mode in hidden shown; do
    want "lifeline-$mode" || continue
    if ! start_x; then
        SKIPPED+=("Lifeline desktop, window $mode: not measured: $X_WHY")
        [[ -n "${BENCH_SUMMARY:-}" ]] && echo "skipped lifeline-$mode $X_WHY" >>"$BENCH_SUMMARY"
        log "Lifeline desktop, window $mode: skipped: $X_WHY"
        continue
    fi
    if [[ $mode == hidden ]]; then
        run_lifeline lifeline-hidden "Lifeline desktop, window hidden" hidden
    else
        run_lifeline lifeline-shown "Lifeline desktop, window shown" shown
    fi
done
if want lifeline-hidden || want lifeline-shown; then
    COMMANDS+=("Lifeline desktop: \`DISPLAY=:N lifeline --config lifeline.toml --minimized\` (hidden: in the tray of \`trayer\` on Xvfb), the same without \`--minimized\` (shown: the main window on the overview, as it first opens; a fresh XDG_CONFIG_HOME), same configuration. The \`lifeline\` process counts all its threads (GUI and engine).")
fi

# ---- the floor: checkloop --------------------------------------------------------
# The same backends and checks with nothing else: fork+exec each backend,
# one keep-alive GET per second on each, poll(2) for the answers.
if [[ $WORKLOAD == checks ]] && want checkloop; then
    T=$BENCH_TMP/checkloop
    mkdir -p "$T"
    cc -O2 -o "$T/checkloop" "$BENCH_DIR/checkloop.c" || die "cannot compile bench/checkloop.c"
    new_ports
    log "floor (checkloop): $NSVC backends, a GET /health each every 1 s, for ${WINDOW}s"
    "$T/checkloop" 1000 "$DEMO_BIN" "${PORTS[@]}" 2>"$T/checkloop.err" &
    CHECKLOOP_PID=$!
    track_pid "$CHECKLOOP_PID"
    DIAG_LOG=$T/checkloop.err
    measure "$CHECKLOOP_PID" "checkloop|floor: \`checkloop\` (C: the backends, one keep-alive GET /health each per second, poll)|$CHECKLOOP_PID"
    kill "$CHECKLOOP_PID" 2>/dev/null || true
    wait "$CHECKLOOP_PID" 2>/dev/null || true
    COMMANDS+=("floor: \`checkloop 1000 lifeline-demo-backend PORT...\` (\`cc -O2 bench/checkloop.c\`): starts the $NSVC backends (output to /dev/null), keeps one connection to each and sends one \`GET /health\` on all of them every second, reading the answers with poll(2). What is left is the kernel's share of a loopback HTTP round trip: the least any supervisor doing these checks can spend.")
fi

# ---- supervisord ---------------------------------------------------------------
if want supervisord; then
    T=$BENCH_TMP/supervisord
    mkdir -p "$T/logs"
    new_ports
    supervisord_conf "$T" "${PORTS[@]}"
    log "supervisord: $NSVC idle backends for ${WINDOW}s"
    start_supervisord "$T/supervisord.conf" "$T/supervisord.pid"
    DIAG_LOG=$T/supervisord.log
    measure "$SUPERVISORD_PID" "supervisord|supervisord $SUPERVISORD_VERSION|$SUPERVISORD_PID"
    stop_supervisord
    COMMANDS+=("supervisord: \`supervisord -c supervisord.conf\`, $NSVC programs like

\`\`\`ini
$(sed -e "s|$BENCH_TMP|\$BENCH_TMP|g" -e "20q" "$T/supervisord.conf")
\`\`\`")
fi

# ---- PM2 -----------------------------------------------------------------------
if want pm2; then
    T=$BENCH_TMP/pm2
    mkdir -p "$T"
    new_ports
    pm2_ecosystem "$T/ecosystem.json" "${PORTS[@]}"
    pm2_setup_home overhead
    # The God daemon inherits the CLI's environment: its worker (restart
    # checks, memory limits) runs every second instead of every 30 s.
    PM2_ENV=()
    PM2_LABEL="PM2 $PM2_VERSION God daemon (node $NODE_VERSION)"
    if [[ $WORKLOAD == checks ]]; then
        PM2_ENV=(env PM2_WORKER_INTERVAL=1000)
        PM2_LABEL+=", 1 s worker (no HTTP checks: PM2 has none)"
    fi
    log "PM2: $NSVC backends ($WORKLOAD) for ${WINDOW}s"
    "${PM2_ENV[@]}" env PM2_HOME="$PM2_HOME_DIR" timeout 60 "$PM2_BIN" start "$T/ecosystem.json" >"$T/pm2-start.log" 2>&1 ||
        { cat "$T/pm2-start.log" >&2; die "pm2 start failed"; }
    pm2_god_pid
    DIAG_LOG=$PM2_HOME_DIR/pm2.log
    measure "$PM2_GOD_PID" "pm2|$PM2_LABEL|$PM2_GOD_PID"
    stop_pm2
    COMMANDS+=("PM2: \`${PM2_ENV[*]:+${PM2_ENV[*]#env } }PM2_HOME=\$BENCH_TMP/pm2home pm2 start ecosystem.json\`, stopped with \`pm2 kill\`, $NSVC apps like

\`\`\`json
$(sed -e "s|$BENCH_TMP|\$BENCH_TMP|g" -e "3q" "$T/ecosystem.json")
\`\`\`")
fi

# ---- Monit ---------------------------------------------------------------------
if want monit; then
    T=$BENCH_TMP/monit
    mkdir -p "$T"
    new_ports
    MONIT_VERSION=$(monit -V 2>/dev/null | awk '/version/ { print $NF; exit }')
    {
        echo "set daemon 1"
        echo "set logfile $T/monit.log"
        echo "set pidfile $T/monit.pid"
        echo "set idfile $T/monit.id"
        echo "set statefile $T/monit.state"
        for ((i = 0; i < NSVC; i++)); do
            echo
            echo "check process b$i with pidfile $T/b$i.pid"
            # Monit waits for the start program to exit: it starts the
            # backend in the background and leaves its pid.
            echo "    start program = \"/bin/sh -c '$DEMO_BIN --port ${PORTS[i]} --name b$i >>$T/b$i.log 2>&1 </dev/null & echo \$! > $T/b$i.pid'\""
            echo "    stop program = \"/bin/sh -c 'kill \$(cat $T/b$i.pid)'\""
            [[ $WORKLOAD == checks ]] &&
                echo "    if failed port ${PORTS[i]} protocol http request \"/health\" then restart"
        done
    } >"$T/monitrc"
    chmod 600 "$T/monitrc"
    log "Monit $MONIT_VERSION: $NSVC backends ($WORKLOAD) for ${WINDOW}s"
    # In the foreground (-I), its own control, state, id and pid files: never
    # the system's /etc/monit.
    monit -I -c "$T/monitrc" >"$T/monit.out" 2>&1 &
    MONIT_PID=$!
    track_pid "$MONIT_PID"
    MONIT_ST=$(proc_starttime "$MONIT_PID")
    DIAG_LOG=$T/monit.log
    # Monit detaches what it starts: the backends are found by their pidfiles.
    monit_backends() {
        local f pid
        for f in "$T"/b*.pid; do
            pid=$(cat "$f" 2>/dev/null) || continue
            [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$DEMO_REAL" ]] && echo "$pid"
        done
        return 0
    }
    stop_monit() {
        [[ -n "${MONIT_PID:-}" ]] || return 0
        stop_tracked "$MONIT_PID" "$MONIT_ST" 10
        local pid
        for pid in $(monit_backends); do
            stop_tracked "$pid" "$(proc_starttime "$pid")" 5
        done
        MONIT_PID=""
    }
    on_cleanup stop_monit
    BACKENDS_OF=monit_backends
    label="Monit $MONIT_VERSION (Debian), \`set daemon 1\`"
    [[ $WORKLOAD == checks ]] && label+=", HTTP check of /health every cycle"
    measure "$MONIT_PID" "monit|$label|$MONIT_PID"
    BACKENDS_OF=demo_descendants
    stop_monit
    COMMANDS+=("Monit: \`monit -I -c monitrc\` (foreground, its own files), stopped with SIGTERM, $NSVC checks like

\`\`\`
$(sed -e "s|$BENCH_TMP|\$BENCH_TMP|g" -e "10q" "$T/monitrc")
\`\`\`")
fi

{
    if [[ $WORKLOAD == checks ]]; then
        echo "### Idle CPU and memory: $NSVC services, an HTTP check each every second, for ${WINDOW} s"
        echo
        echo "Each supervisor keeps $NSVC \`lifeline-demo-backend\` processes alive (distinct free ports) and"
        echo "checks each one's \`GET /health\` every second where it can: Lifeline (\`[service.health] url\`,"
        echo "\`interval = \"1s\"\`, \`sample_interval = \"1s\"\`), Monit (\`set daemon 1\`, \`if failed port P"
        echo "protocol http request \"/health\"\`). PM2 has no HTTP checks: its worker runs every second"
        echo "(PM2_WORKER_INTERVAL=1000). supervisord checks nothing."
    else
        echo "### Overhead: $NSVC idle services for ${WINDOW} s"
        echo
        echo "Each supervisor keeps $NSVC idle \`lifeline-demo-backend\` processes alive (distinct free ports,"
        echo "no health checks)."
    fi
    echo "Measured after every port answered plus ${SETTLE} s: RSS sampled once a"
    echo "second (VmRSS, MiB; the sum over the processes of the row), CPU = (utime+stime) ticks over the"
    echo "window / CLK_TCK ($CLK_TCK) / window, in % of one core (one tick = $(awk -v w="$WINDOW" -v hz="$CLK_TCK" 'BEGIN { printf "%.3f", 100 / hz / w }') % here)."
    echo "PSS (smaps_rollup) splits shared pages"
    echo "(libc, libstdc++, Qt) among the processes that map them, so it is what a row really adds to"
    echo "the machine; RSS is what \`top\` shows. Lower is better."
    echo
    echo "| measured | processes | RSS avg (MiB) | RSS max (MiB) | PSS avg (MiB) | CPU % of one core | CPU ticks |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}"
    echo
    for sk in "${SKIPPED[@]}"; do
        echo "- $sk"
    done
    ((${#SKIPPED[@]})) && echo
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
