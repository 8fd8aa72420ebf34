# shellcheck shell=bash disable=SC2034  # sourced: its variables are used by the benches
# bench/common.sh — sourced by the bench scripts; not run on its own.
#
# Gives every bench: a private temp dir (mktemp -d, removed on exit), a record
# of every process it started (pid + start time, so a reused pid is never
# signalled), cleanup hooks that run even when the bench fails, and the tools
# it needs: the Lifeline binaries (built if missing), supervisord (apt) and
# PM2 (npm, into a private prefix). Nothing is ever killed by name.

shopt -s inherit_errexit # a failure inside $(...) fails the bench too
export LC_ALL=C          # '.' decimals in awk, EPOCHREALTIME and sort -g

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# ---- temp dir, cleanup -------------------------------------------------------

BENCH_TMP=""
DIAG_LOG=""        # a log worth showing if the bench fails
CLEANUP_HOOKS=()   # commands, run last-registered first
TRACKED=()         # "pid:starttime" of every process we started or adopted

bench_init() {
    BENCH_TMP=$(mktemp -d -t lifeline-bench.XXXXXX)
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    log "temp dir $BENCH_TMP"
}

on_cleanup() { CLEANUP_HOOKS+=("$*"); }

bench_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if ((rc != 0)) && [[ -n "${DIAG_LOG:-}" && -f "$DIAG_LOG" ]]; then
        log "last lines of $DIAG_LOG:"
        tail -20 "$DIAG_LOG" >&2
    fi
    local i
    for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${CLEANUP_HOOKS[$i]}"
    done
    # Anything we started that is still alive: TERM, then KILL, by pid.
    local entry
    for entry in "${TRACKED[@]}"; do
        stop_tracked "${entry%%:*}" "${entry##*:}" 3
    done
    if [[ -n "$BENCH_TMP" && -d "$BENCH_TMP" ]]; then
        if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
            log "kept $BENCH_TMP (BENCH_KEEP=1)"
        else
            rm -rf "$BENCH_TMP"
        fi
    fi
    exit "$rc"
}

# ---- processes -----------------------------------------------------------------

# Field 22 of /proc/PID/stat (start time in clock ticks since boot); empty if gone.
proc_starttime() {
    local line
    line=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    line=${line##*) }
    # shellcheck disable=SC2086
    set -- $line
    echo "${20}"
}

# utime+stime of PID in clock ticks; empty if gone.
proc_cputicks() {
    local line
    line=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    line=${line##*) }
    # shellcheck disable=SC2086
    set -- $line
    echo $((${12} + ${13}))
}

# VmRSS of PID in KiB; 0 if gone.
proc_rss_kib() {
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Pss of PID in KiB (shared pages divided among their users); 0 if gone or
# unreadable.
proc_pss_kib() {
    awk '/^Pss:/ { print $2; found = 1 } END { if (!found) print 0 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}

# Remember PID (with its start time) so cleanup can end it if it is still the
# same process.
track_pid() {
    local st
    st=$(proc_starttime "$1")
    [[ -n "$st" ]] && TRACKED+=("$1:$st")
    return 0
}

is_same_process() { [[ -n "$2" && "$(proc_starttime "$1")" == "$2" ]]; }

# stop_tracked PID STARTTIME GRACE_SECONDS: TERM, wait, KILL — only if PID is
# still the process we recorded.
stop_tracked() {
    local pid=$1 st=$2 grace=${3:-5} i
    is_same_process "$pid" "$st" || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < grace * 10; i++)); do
        is_same_process "$pid" "$st" || return 0
        sleep 0.1
    done
    log "pid $pid still alive after ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    for ((i = 0; i < 20; i++)); do
        is_same_process "$pid" "$st" || return 0
        sleep 0.1
    done
}

# wait_gone PID STARTTIME SECONDS: 0 once the process has gone.
wait_gone() {
    local pid=$1 st=$2 secs=$3 i
    for ((i = 0; i < secs * 10; i++)); do
        is_same_process "$pid" "$st" || return 0
        sleep 0.1
    done
    return 1
}

# All descendants of PID (by PPID), one "pid:starttime" per line.
descendants() {
    local root=$1
    # "pid ppid starttime" for every process; comm may hold spaces and
    # parentheses, so everything up to the last ") " is cut first.
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$root" '
        {
            pid = $1
            line = $0
            sub(/.*\) /, "", line)
            n = split(line, f, " ")
            parent[pid] = f[2]
            start[pid] = f[20]
        }
        END {
            found[root] = 1
            changed = 1
            while (changed) {
                changed = 0
                for (p in parent)
                    if (!(p in found) && (parent[p] in found)) { found[p] = 1; changed = 1 }
            }
            for (p in found) if (p != root) print p ":" start[p]
        }'
}

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

# Records the current descendants of PID so cleanup ends them too.
track_descendants() {
    local d
    while read -r d; do
        [[ -n "$d" ]] && TRACKED+=("$d")
    done < <(descendants "$1")
}

# ---- readiness -----------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ports SECONDS PORT...: 0 once every port accepts a connection.
wait_ports() {
    local secs=$1
    shift
    local deadline=$((SECONDS + secs)) p pending
    while ((SECONDS < deadline)); do
        pending=0
        for p in "$@"; do
            port_open "$p" || { pending=1; break; }
        done
        ((pending == 0)) && return 0
        sleep 0.2
    done
    return 1
}

# ---- tools ---------------------------------------------------------------------

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo -n "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=0
apt_install() {
    if ((APT_UPDATED == 0)); then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ||
        die "apt-get install $* failed"
}

# The Lifeline build used by the benches: $LIFELINE_BUILD_DIR (default
# build-bench/, RelWithDebInfo). Always brought up to date from the source as
# it is (incremental: a no-op when nothing changed), so no figure comes from a
# stale binary; BENCH_NO_BUILD=1 takes what is there.
LIFELINE_BUILD_DIR=${LIFELINE_BUILD_DIR:-$ROOT/build-bench}
build_lifeline() { # TARGET...
    [[ ${BENCH_NO_BUILD:-0} == 1 ]] && return 0
    command -v cmake >/dev/null || die "cmake missing: run packaging/install-deps.sh first"
    local gen=()
    [[ -f "$LIFELINE_BUILD_DIR/CMakeCache.txt" ]] || ! command -v ninja >/dev/null || gen=(-G Ninja)
    log "building $* (RelWithDebInfo) in $LIFELINE_BUILD_DIR"
    cmake -S "$ROOT" -B "$LIFELINE_BUILD_DIR" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DLIFELINE_BUILD_BENCH=ON >&2
    cmake --build "$LIFELINE_BUILD_DIR" --target "$@" ${BENCH_BUILD_JOBS:+-j "$BENCH_BUILD_JOBS"} >&2
}
ensure_lifeline() {
    local bin=$LIFELINE_BUILD_DIR/bin t
    build_lifeline lifeline lifeline-logger lifeline-demo-backend lifelinectl
    for t in lifeline lifeline-logger lifeline-demo-backend lifelinectl; do
        [[ -x "$bin/$t" ]] || die "$bin/$t is missing (BENCH_NO_BUILD=1 with no build?)"
    done
    LIFELINE_BIN=$bin/lifeline
    LOGGER_BIN=$bin/lifeline-logger
    DEMO_BIN=$bin/lifeline-demo-backend
    local bt
    bt=$(awk -F= '/^CMAKE_BUILD_TYPE:/ { print $2 }' "$LIFELINE_BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
    LIFELINE_BUILD_TYPE=${bt:-unknown}
    # The source the build came from (read-only git queries).
    LIFELINE_VERSION=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null || true)" ]]; then
        LIFELINE_VERSION+="+changes"
    fi
    [[ "$LIFELINE_BUILD_TYPE" == Debug ]] && log "warning: $LIFELINE_BUILD_DIR is a Debug build; figures will be pessimistic"
    return 0
}

ensure_supervisord() {
    command -v supervisord >/dev/null || apt_install supervisor
    SUPERVISORD_BIN=$(command -v supervisord)
    SUPERVISORD_VERSION=$(supervisord --version 2>/dev/null)
}

# PM2: $PM2_BIN if set (run-all.sh installs once and shares it), else
# `npm install --prefix $BENCH_TMP/pm2 pm2`. Never the user's ~/.pm2: every
# pm2 call runs with PM2_HOME under the temp dir.
ensure_pm2() {
    if [[ -z "${PM2_BIN:-}" || ! -x "${PM2_BIN:-}" ]]; then
        command -v npm >/dev/null || apt_install nodejs npm
        log "npm install --prefix $BENCH_TMP/pm2 pm2"
        timeout 300 npm install --prefix "$BENCH_TMP/pm2" --no-audit --no-fund --loglevel=error pm2 >&2 ||
            die "npm install pm2 failed"
        PM2_BIN=$BENCH_TMP/pm2/node_modules/.bin/pm2
    fi
    local pkg
    pkg=$(dirname "$(dirname "$(readlink -f "$PM2_BIN")")")/package.json
    # Read from package.json: `pm2 --version` would start a daemon.
    PM2_VERSION=$(node -p "require('$pkg').version" 2>/dev/null || echo unknown)
    NODE_VERSION=$(node --version 2>/dev/null || echo unknown)
    export PM2_BIN
}

# Runs pm2 against the private PM2_HOME, bounded in time.
pm2_cmd() {
    PM2_HOME=$PM2_HOME_DIR timeout 60 "$PM2_BIN" "$@"
}

# ---- supervisors: start / stop -------------------------------------------------

# start_lifeline CONFIG LOGFILE -> LIFELINE_PID
start_lifeline() {
    "$LIFELINE_BIN" --headless --config "$1" >"$2" 2>&1 &
    LIFELINE_PID=$!
    track_pid "$LIFELINE_PID"
    LIFELINE_ST=$(proc_starttime "$LIFELINE_PID")
    on_cleanup "stop_lifeline"
}

stop_lifeline() {
    [[ -n "${LIFELINE_PID:-}" ]] || return 0
    track_descendants "$LIFELINE_PID" # services and loggers, in case it leaves any
    stop_tracked "$LIFELINE_PID" "$LIFELINE_ST" 20
    LIFELINE_PID=""
}

# start_supervisord CONF PIDFILE -> SUPERVISORD_PID (daemonizes; pid from its pidfile)
start_supervisord() {
    SUPERVISORD_PIDFILE=$2
    on_cleanup "stop_supervisord"
    timeout 30 "$SUPERVISORD_BIN" -c "$1" || die "supervisord -c $1 failed"
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s "$SUPERVISORD_PIDFILE" ]] && break
        sleep 0.1
    done
    SUPERVISORD_PID=$(cat "$SUPERVISORD_PIDFILE" 2>/dev/null) || die "supervisord wrote no pidfile"
    track_pid "$SUPERVISORD_PID"
    SUPERVISORD_ST=$(proc_starttime "$SUPERVISORD_PID")
}

stop_supervisord() {
    local pid
    pid=${SUPERVISORD_PID:-$(cat "${SUPERVISORD_PIDFILE:-/nonexistent}" 2>/dev/null || true)}
    [[ -n "$pid" ]] || return 0
    track_descendants "$pid"
    stop_tracked "$pid" "${SUPERVISORD_ST:-$(proc_starttime "$pid")}" 20
    SUPERVISORD_PID=""
    SUPERVISORD_PIDFILE=""
}

# PM2 with a private home; its God daemon's pid comes from PM2_HOME/pm2.pid.
pm2_setup_home() {
    PM2_HOME_DIR=$BENCH_TMP/pm2home-$1
    mkdir -p "$PM2_HOME_DIR"
    on_cleanup "stop_pm2"
}

pm2_god_pid() {
    local i
    for ((i = 0; i < 100; i++)); do
        [[ -s "$PM2_HOME_DIR/pm2.pid" ]] && break
        sleep 0.1
    done
    PM2_GOD_PID=$(cat "$PM2_HOME_DIR/pm2.pid" 2>/dev/null) || die "PM2 wrote no pm2.pid"
    track_pid "$PM2_GOD_PID"
    PM2_GOD_ST=$(proc_starttime "$PM2_GOD_PID")
}

stop_pm2() {
    [[ -n "${PM2_HOME_DIR:-}" && -d "$PM2_HOME_DIR" ]] || return 0
    local pid
    pid=${PM2_GOD_PID:-$(cat "$PM2_HOME_DIR/pm2.pid" 2>/dev/null || true)}
    [[ -n "$pid" ]] && track_descendants "$pid"
    pm2_cmd kill >>"$PM2_HOME_DIR/bench-pm2-cli.log" 2>&1
    if [[ -n "$pid" ]]; then
        wait_gone "$pid" "${PM2_GOD_ST:-$(proc_starttime "$pid")}" 10 ||
            stop_tracked "$pid" "${PM2_GOD_ST:-$(proc_starttime "$pid")}" 5
    fi
    PM2_GOD_PID=""
    PM2_HOME_DIR=""
}

# ---- the issue-15 workload -------------------------------------------------------

# lifeline_checks_config OUT STATE_DIR PORT...: one lifeline-demo-backend per
# port, each with an HTTP check of its /health every second, 1 s sampling.
lifeline_checks_config() {
    local out=$1 state=$2
    shift 2
    local i=0 p
    {
        echo "[settings]"
        echo "state_dir = \"$state\""
        echo "on_exit = \"stop\""
        echo "sample_interval = \"1s\""
        for p in "$@"; do
            echo
            echo "[[service]]"
            echo "name = \"b$i\""
            echo "command = [\"$DEMO_BIN\", \"--port\", \"$p\", \"--name\", \"b$i\"]"
            echo "restart = \"always\""
            echo
            echo "[service.health]"
            echo "url = \"http://127.0.0.1:$p/health\""
            echo "interval = \"1s\""
            i=$((i + 1))
        done
    } >"$out"
}

# pm2_ecosystem OUT PORT...: one lifeline-demo-backend app per port.
pm2_ecosystem() {
    local out=$1 i=0 sep p
    shift
    {
        echo '{ "apps": ['
        for p in "$@"; do
            sep=,
            ((i == $# - 1)) && sep=
            printf '  { "name": "b%d", "script": "%s", "args": ["--port", "%s", "--name", "b%d"], "interpreter": "none", "autorestart": true }%s\n' \
                "$i" "$DEMO_BIN" "$p" "$i" "$sep"
            i=$((i + 1))
        done
        echo '] }'
    } >"$out"
}

# supervisord_conf DIR PORT...: DIR/supervisord.conf (socket, log, pidfile
# and child logs in DIR), one lifeline-demo-backend program per port.
supervisord_conf() {
    local dir=$1 i=0 p
    shift
    {
        cat <<EOF
[unix_http_server]
file=$dir/supervisor.sock

[supervisord]
logfile=$dir/supervisord.log
pidfile=$dir/supervisord.pid
childlogdir=$dir/logs

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$dir/supervisor.sock
EOF
        for p in "$@"; do
            echo
            echo "[program:b$i]"
            echo "command=$DEMO_BIN --port $p --name b$i"
            echo "autorestart=true"
            i=$((i + 1))
        done
    } >"$dir/supervisord.conf"
}

# ---- numbers -------------------------------------------------------------------

# Reads numbers (one per line) on stdin; prints "n median p95 min max mean".
# p95 is nearest-rank (ceil(0.95 n)-th smallest); median averages the two
# middle values when n is even.
summarize() {
    sort -g | awk '
        { v[++n] = $1; sum += $1 }
        END {
            if (n == 0) { print "0 - - - - -"; exit }
            med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            r = int(0.95 * n); if (r < 0.95 * n) r++
            printf "%d %.2f %.2f %.2f %.2f %.2f\n", n, med, v[r], v[1], v[n], sum / n
        }'
}

# The options every peer bench takes: --out FILE, --only NAME (lifeline |
# supervisord | pm2 | ...), --skip NAME (repeatable: run-all.sh leaves out a
# peer it could not install), -h (prints lines 2..HELP_END of the calling
# script). Sets OUT, ONLY and SKIP; want NAME is true when NAME is to be measured.
parse_bench_args() { # HELP_END "$@"
    local help_end=$1
    shift
    OUT=/dev/stdout
    ONLY=""
    SKIP=" "
    while (($#)); do
        case $1 in
        --out) OUT=${2:?--out needs a file}; shift 2 ;;
        --only) ONLY=${2:?--only needs a name}; shift 2 ;;
        --skip) SKIP+="${2:?--skip needs a name} "; shift 2 ;;
        -h | --help) sed -n "2,${help_end}p" "$0"; exit 0 ;;
        *) die "unknown argument: $1" ;;
        esac
    done
}
want() { [[ (-z "$ONLY" || "$ONLY" == "$1") && "$SKIP" != *" $1 "* ]]; }
