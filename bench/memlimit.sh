#!/usr/bin/env bash
# bench/memlimit.sh — from a service's RSS crossing its memory limit to the
# supervisor acting: Lifeline (lifeline-bench-memlimit, sample_interval 250ms,
# memory_limit_for 0s) and Monit (`set daemon 1`, `if totalmem > LIMIT then
# restart`), each with lifeline-demo-backend --leak 100 (MiB/s).
#
#   bench/memlimit.sh [--out FILE] [--only lifeline|monit]
#
# Lifeline: t0 = the first 1 ms read of VmRSS above the limit, to the stop
# signal (the Fleet's change to stopping) and to the exit. Monit: the same
# t0, read by bench/readywait.c (`rss` mode) beside it, to the process gone
# (Monit's restart runs its stop program, a SIGTERM); the stop signal is not
# visible from outside. Env: BENCH_MEMLIMIT_RUNS (Lifeline, 20),
# BENCH_MEMLIMIT_MONIT_RUNS (5), LIFELINE_BUILD_DIR, BENCH_KEEP=1,
# BENCH_SUMMARY=FILE (appends "memlimit KEY TO_SIGTERM_MS TO_EXIT_MS", "-" where unseen).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

parse_bench_args 15 "$@"
RUNS=${BENCH_MEMLIMIT_RUNS:-20}
MONIT_RUNS=${BENCH_MEMLIMIT_MONIT_RUNS:-5}
LIMIT_MB=60 # decimal MB, as Lifeline reads "60MB"

bench_init
build_lifeline lifeline-bench-memlimit
ensure_lifeline
MEMLIMIT_BIN=$LIFELINE_BUILD_DIR/bin/lifeline-bench-memlimit
if want monit && ! command -v monit >/dev/null; then
    apt_install monit
fi
SECTIONS=()

# ---- Lifeline ----------------------------------------------------------------
if want lifeline; then
    [[ -x "$MEMLIMIT_BIN" ]] || die "$MEMLIMIT_BIN is missing (build it: cmake --build ... --target lifeline-bench-memlimit)"
    log "Lifeline: $RUNS runs of lifeline-bench-memlimit"
    DIAG_LOG=$BENCH_TMP/memlimit.err
    timeout 600 "$MEMLIMIT_BIN" --runs "$RUNS" --interval-ms 250 --limit-mb "$LIMIT_MB" --leak 100 --limit-for 0s \
        >"$BENCH_TMP/memlimit.out" 2>"$BENCH_TMP/memlimit.err" || die "lifeline-bench-memlimit failed"
    DIAG_LOG=""
    # "| to SIGTERM | n | median | ..." -> median
    cell() { awk -F'|' -v k="$1" '$2 ~ k { gsub(/ /, "", $4); print $4 }' "$BENCH_TMP/memlimit.out"; }
    [[ -n "${BENCH_SUMMARY:-}" ]] && echo "memlimit lifeline $(cell "to SIGTERM") $(cell "to exit")" >>"$BENCH_SUMMARY"
    log "Lifeline: to SIGTERM median $(cell "to SIGTERM") ms, to exit $(cell "to exit") ms"
    SECTIONS+=("Lifeline $LIFELINE_VERSION (\`lifeline-bench-memlimit --runs $RUNS --interval-ms 250 --limit-mb $LIMIT_MB --leak 100 --limit-for 0s\`, the engine as headless mode builds it): $(cat "$BENCH_TMP/memlimit.out")")
fi

# ---- Monit ---------------------------------------------------------------------
if want monit; then
    FREEPORTS=$BENCH_TMP/freeports
    READYWAIT=$BENCH_TMP/readywait
    cc -O2 -o "$FREEPORTS" "$BENCH_DIR/freeports.c" || die "cannot compile bench/freeports.c"
    cc -O2 -o "$READYWAIT" "$BENCH_DIR/readywait.c" || die "cannot compile bench/readywait.c"
    DEMO_REAL=$(readlink -f "$DEMO_BIN")
    MONIT_VERSION=$(monit -V 2>/dev/null | awk '/version/ { print $NF; exit }')
    LIMIT_KB=$((LIMIT_MB * 1000000 / 1024)) # Monit's KB is 1024 bytes
    times=""
    for ((r = 1; r <= MONIT_RUNS; r++)); do
        T=$BENCH_TMP/monit-$r
        mkdir -p "$T"
        port=$("$FREEPORTS" 1)
        cat >"$T/monitrc" <<EOF
set daemon 1
set logfile $T/monit.log
set pidfile $T/monit.pid
set idfile $T/monit.id
set statefile $T/monit.state

check process leaky with pidfile $T/leaky.pid
    start program = "/bin/sh -c '$DEMO_BIN --port $port --leak 100 >>$T/leaky.log 2>&1 </dev/null & echo \$! > $T/leaky.pid'"
    stop program = "/bin/sh -c 'kill \$(cat $T/leaky.pid)'"
    if totalmem > $LIMIT_KB KB then restart
EOF
        chmod 600 "$T/monitrc"
        DIAG_LOG=$T/monit.log
        monit -I -c "$T/monitrc" >"$T/monit.out" 2>&1 &
        mpid=$!
        track_pid "$mpid"
        mst=$(proc_starttime "$mpid")
        pid=""
        for ((i = 0; i < 100; i++)); do
            pid=$(cat "$T/leaky.pid" 2>/dev/null || true)
            [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$DEMO_REAL" ]] && break
            pid=""
            sleep 0.05
        done
        [[ -n "$pid" ]] || die "Monit did not start the leaking backend"
        track_pid "$pid"
        ms=$("$READYWAIT" rss "$pid" $((LIMIT_MB * 1000000))) || die "Monit: no reaction to the limit"
        times+=" $ms"
        log "Monit run $r/$MONIT_RUNS: crossing to exit $ms ms"
        stop_tracked "$mpid" "$mst" 10
        newpid=$(cat "$T/leaky.pid" 2>/dev/null || true)
        if [[ -n "$newpid" && "$newpid" != "$pid" ]]; then
            stop_tracked "$newpid" "$(proc_starttime "$newpid")" 5
        fi
    done
    stats=$(tr ' ' '\n' <<<"$times" | { grep . || true; } | summarize)
    read -r n med p95 min max mean <<<"$stats"
    [[ -n "${BENCH_SUMMARY:-}" ]] && echo "memlimit monit - $med" >>"$BENCH_SUMMARY"
    SECTIONS+=("Monit $MONIT_VERSION (Debian): \`set daemon 1\`, \`if totalmem > $LIMIT_KB KB then restart\` (= ${LIMIT_MB} MB decimal; Monit's KB is 1024 bytes), the same backend; t0 = the first 1 ms read above the limit by \`readywait rss\`, to the process gone:

| ms from crossing | n | median | p95 | min | max | mean |
|---|---|---|---|---|---|---|
| to SIGTERM | - | (not visible from outside) | | | | |
| to exit | $n | $med | $p95 | $min | $max | $mean |")
fi

{
    echo "### Memory limit: from over the limit to the stop signal"
    echo
    for s in "${SECTIONS[@]}"; do
        echo "$s"
        echo
    done
} >"$OUT"
