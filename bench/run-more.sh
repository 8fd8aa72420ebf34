#!/usr/bin/env bash
# bench/run-more.sh — Lifeline's own speed targets (no peers): the sampling
# pass, the history, 200 health checks, the window, emergency recovery.
# Writes one section into bench/RESULTS.md (between its own markers, below
# run-all.sh's "kept" line, so run-all.sh carries it over).
#
#   bench/run-more.sh                       # all four, ~5 min on 2 cores
#   bench/run-more.sh --only ui             # one of sampler|health|ui|recovery (repeatable)
#   bench/run-more.sh --out FILE            # write the section to FILE, leave RESULTS.md alone
#   BENCH_SECONDS=20 bench/run-more.sh      # shorter windows (health window, UI run length)
#
# Env: LIFELINE_BUILD_DIR (default build-bench/; configured with
# -DLIFELINE_BUILD_BENCH=ON and brought up to date here; BENCH_NO_BUILD=1 skips that),
# BENCH_SECONDS (health window, default 60; UI run length = 2 x it, min 60),
# BENCH_PROCS (processes on the machine for the sampler, default 500),
# BENCH_PASSES (sampling passes, 200), BENCH_FLOOD_SECONDS (20),
# BENCH_RECOVERIES (5), BENCH_KEEP=1 (keep the temp dir).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ONLY=()
OUT=""
while (($#)); do
    case $1 in
    --only) ONLY+=("${2:?--only needs a bench name}"); shift 2 ;;
    --out) OUT=${2:?--out needs a file}; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
((${#ONLY[@]})) || ONLY=(sampler health ui recovery)
for b in "${ONLY[@]}"; do
    case $b in sampler | health | ui | recovery) ;; *) die "unknown bench: $b (sampler|health|ui|recovery)" ;; esac
done
wants() { [[ " ${ONLY[*]} " == *" $1 "* ]]; }

SECONDS_WINDOW=${BENCH_SECONDS:-60}
UI_SECONDS=$((2 * SECONDS_WINDOW > 60 ? 2 * SECONDS_WINDOW : 60))
TARGET_PROCS=${BENCH_PROCS:-500}
PASSES=${BENCH_PASSES:-200}
FLOOD_SECONDS=${BENCH_FLOOD_SECONDS:-20}
RECOVERIES=${BENCH_RECOVERIES:-5}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
BEGIN_MARK='<!-- bench/run-more.sh: begin (rewritten by each run of run-more.sh) -->'
END_MARK='<!-- bench/run-more.sh: end -->'

bench_init

# ---- build ---------------------------------------------------------------------

LIFELINE_BUILD_DIR=${LIFELINE_BUILD_DIR:-$ROOT/build-bench}
BENCH_TARGETS=(lifeline-bench-sampler lifeline-bench-health_scale lifeline-bench-ui lifeline-bench-recovery)
build_lifeline "${BENCH_TARGETS[@]}"
ensure_lifeline
BIN=$LIFELINE_BUILD_DIR/bin

FREEPORTS=$BENCH_TMP/freeports
cc -O2 -o "$FREEPORTS" "$BENCH_DIR/freeports.c" || die "cannot compile bench/freeports.c (is a C compiler installed?)"

# ---- process bookkeeping ---------------------------------------------------------

# Every bench program runs with LIFELINE_BENCH_RUN=$BENCH_TMP in its
# environment, and so does every service it starts (Fleet passes its
# environment on). If a program dies before stopping its services, they are
# found by that exact variable (read from /proc/PID/environ, our own
# processes only) and stopped by pid: proof of ownership, not a name match.
RUN_ENV=(env "LIFELINE_BENCH_RUN=$BENCH_TMP")
stop_marked() {
    local e pid
    for e in /proc/[0-9]*/environ; do
        pid=${e#/proc/}
        pid=${pid%/environ}
        [[ -O "$e" ]] || continue
        if tr "\0" "\n" 2>/dev/null <"$e" | grep -qxF "LIFELINE_BENCH_RUN=$BENCH_TMP"; then
            stop_tracked "$pid" "$(proc_starttime "$pid")" 5
        fi
    done
}
on_cleanup stop_marked

procs_now() { find /proc -maxdepth 1 -name '[0-9]*' | wc -l; }

# run_bench NAME CMD...: runs a bench program (bounded), stdout -> $BENCH_TMP/NAME.out,
# stderr -> $BENCH_TMP/NAME.err; fails the bench with its last lines if it fails.
run_bench() {
    local name=$1
    shift
    DIAG_LOG=$BENCH_TMP/$name.err
    log "$name: $*"
    local rc=0
    timeout 900 "${RUN_ENV[@]}" "$@" >"$BENCH_TMP/$name.out" 2>"$BENCH_TMP/$name.err" || rc=$?
    ((rc == 0)) || die "$name failed (exit $rc)"
    # shellcheck disable=SC2034  # read by common.sh's cleanup
    DIAG_LOG=""
}

# summary_value NAME KEY: a key=value from a program's "SUMMARY" lines.
summary_value() {
    grep '^SUMMARY ' "$BENCH_TMP/$1.err" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# verdict VALUE OP TARGET: "meets" or "misses".
verdict() { awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = (op == "<") ? (v + 0 < t + 0) : (v + 0 > t + 0); print ok ? "meets" : "**misses**" }'; }

# The demo configuration with a private state_dir and free ports
# (18080-18082 are the demo's; someone may be running it): demo_config OUT
# [flood]. With "flood", an extra service writing 50 000 lines/s, not autostarted.
demo_config() {
    local out=$1 flood=${2:-} ports
    mapfile -t ports < <("$FREEPORTS" 4)
    local state=$BENCH_TMP/state-${out##*/}
    sed -e "s|^state_dir = .*|state_dir = \"${state%.toml}\"|" \
        -e "s/18080/${ports[0]}/g" -e "s/18081/${ports[1]}/g" -e "s/18082/${ports[2]}/g" \
        "$ROOT/resources/demo/lifeline.toml" >"$out"
    if [[ "$flood" == flood ]]; then
        cat >>"$out" <<EOF

[[service]]
name = "flood"
command = ["lifeline-demo-backend", "--port", "${ports[3]}", "--name", "flood", "--flood", "50000"]
ports = [${ports[3]}]
autostart = false
restart = "never"
EOF
    fi
}

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
DISTRO=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_BEFORE=$(procs_now)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
T0=$SECONDS
SUMMARY=()
SECTIONS=$BENCH_TMP/sections.md
: >"$SECTIONS"

# ---- 1. sampler --------------------------------------------------------------------

if wants sampler; then
    NSVC=20
    mapfile -t PORTS < <("$FREEPORTS" "$NSVC")
    : >"$BENCH_TMP/backends.pids"
    for ((i = 0; i < NSVC; i++)); do
        # Own session (pgid = pid) and marker, as a supervisor starts a service.
        "${RUN_ENV[@]}" "LIFELINE_SERVICE_ID=bench/b$i" setsid "$DEMO_BIN" --port "${PORTS[i]}" --name "b$i" \
            >"$BENCH_TMP/b$i.log" 2>&1 &
        track_pid $!
        echo $! >>"$BENCH_TMP/backends.pids"
    done
    wait_ports 60 "${PORTS[@]}" || die "not every demo backend answered within 60 s"
    # Idle helpers up to ~TARGET_PROCS processes on the machine.
    have=$(procs_now)
    helpers=$((TARGET_PROCS - have - 2))
    ((helpers < 0)) && helpers=0
    log "sampler: $have processes on the machine, starting $helpers 'sleep 600' helpers"
    for ((i = 0; i < helpers; i++)); do
        sleep 600 &
        TRACKED+=("$!:$(proc_starttime $!)")
    done
    run_bench sampler "$BIN/lifeline-bench-sampler" --backends "$BENCH_TMP/backends.pids" \
        --dir "$BENCH_TMP/sampler" --passes "$PASSES"
    cat "$BENCH_TMP/sampler.out" >>"$SECTIONS"
    # The helpers and backends go now; the history file stays for the UI bench.
    for entry in "${TRACKED[@]}"; do
        stop_tracked "${entry%%:*}" "${entry##*:}" 3
    done
    TRACKED=()
    v=$(summary_value sampler tracker_pass_median_ms)
    SUMMARY+=("- sampling pass with 20 services, $(summary_value sampler procs) processes on the machine, as Fleet runs it (TreeTracker): median $v ms, p95 $(summary_value sampler tracker_pass_p95_ms) ms (target < 2 ms: $(verdict "$v" '<' 2)); its incremental tree pass is $(summary_value sampler tracker_inc_median_ms) ms of it (every measured pass came after a pid was handed out); on a quiet tick (no new pid anywhere) the whole pass is $(summary_value sampler tracker_quiet_pass_median_ms) ms. With a full /proc pass every time (still run every 30th tick and on state changes): median $(summary_value sampler pass_median_ms) ms, of which the tree pass $(summary_value sampler tree_median_ms) ms (the bare kernel cost of reading every process's stat: $(summary_value sampler raw_median_ms) ms).")
    v=$(summary_value sampler q7_median_ms)
    SUMMARY+=("- history: $(summary_value sampler points_per_s) points/s inserted (append + flush); series() at 1000 points: 24 h median $(summary_value sampler q24_median_ms) ms, 7 d median $v ms, p95 $(summary_value sampler q7_p95_ms) ms (target < 20 ms: $(verdict "$v" '<' 20)).")
fi

# ---- 2. health checks at scale -----------------------------------------------------

if wants health; then
    NB=4
    mapfile -t HPORTS < <("$FREEPORTS" "$NB")
    HLOGS=()
    for ((i = 0; i < NB; i++)); do
        "${RUN_ENV[@]}" "$DEMO_BIN" --port "${HPORTS[i]}" --name "h$i" >"$BENCH_TMP/h$i.log" 2>"$BENCH_TMP/h$i.err" &
        track_pid $!
        HLOGS+=("$BENCH_TMP/h$i.log")
    done
    wait_ports 60 "${HPORTS[@]}" || die "not every demo backend answered within 60 s"
    run_bench health "$BIN/lifeline-bench-health_scale" --ports "$(IFS=,; echo "${HPORTS[*]}")" \
        --server-logs "$(IFS=,; echo "${HLOGS[*]}")" --checks 200 --seconds "$SECONDS_WINDOW"
    cat "$BENCH_TMP/health.out" >>"$SECTIONS"
    for entry in "${TRACKED[@]}"; do
        stop_tracked "${entry%%:*}" "${entry##*:}" 3
    done
    TRACKED=()
    v=$(summary_value health cpu_percent)
    SUMMARY+=("- 200 HTTP health checks at 1 s ($(summary_value health probes_per_s) probes/s measured, $(summary_value health failed) failed): $v % of one core (target < 2 %: $(verdict "$v" '<' 2)), RSS max $(summary_value health rss_max_mib) MiB; probe latency median $(summary_value health latency_median_ms) ms / p95 $(summary_value health latency_p95_ms) ms against the server's own $(summary_value health server_median_ms) ms.")
fi

# ---- 3. the window -------------------------------------------------------------------

if wants ui; then
    [[ -f "$BENCH_TMP/sampler/history-fill/history.sqlite" ]] ||
        die "the UI bench charts the history written by the sampler bench: run it with --only sampler too"
    UI_ENV=(QT_QPA_PLATFORM=offscreen "PATH=$BIN:$PATH" "XDG_CONFIG_HOME=$BENCH_TMP/xdg-config")
    FP=()
    FD=()
    for ((r = 0; r < 5; r++)); do
        demo_config "$BENCH_TMP/ui-first-$r.toml"
        run_bench "ui-first-$r" env "${UI_ENV[@]}" "$BIN/lifeline-bench-ui" --config "$BENCH_TMP/ui-first-$r.toml" \
            --first-paint-only
        FP+=("$(awk '$1 == "FIRSTPAINT" { print $2 }' "$BENCH_TMP/ui-first-$r.out")")
        FD+=("$(awk '$1 == "FIRSTPAINT" { print $5 }' "$BENCH_TMP/ui-first-$r.out")")
    done
    demo_config "$BENCH_TMP/ui-full.toml" flood
    run_bench ui env "${UI_ENV[@]}" "$BIN/lifeline-bench-ui" --config "$BENCH_TMP/ui-full.toml" \
        --history "$BENCH_TMP/sampler/history-fill" --flood-seconds "$FLOOD_SECONDS" --seconds "$UI_SECONDS"
    read -r FP_N FP_MED FP_P95 FP_MIN FP_MAX FP_MEAN < <(printf '%s\n' "${FP[@]}" | summarize)
    read -r FD_N FD_MED FD_P95 FD_MIN FD_MAX FD_MEAN < <(printf '%s\n' "${FD[@]}" | summarize)
    FP_WIDGET=$(awk '$1 == "FIRSTPAINT" { print $3 }' "$BENCH_TMP/ui-first-0.out")
    line() { awk -v a="$1" -v b="$2" '$1 == a && $2 == b { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$BENCH_TMP/ui.out"; }
    read -r ONE_PTS ALL_PTS PLOT_W < <(awk '$1 == "CHARTINFO" { print $2, $3, $4 }' "$BENCH_TMP/ui.out")
    read -r SHOWN PRODUCED CHANGES FWALL MAXLINES < <(awk '$1 == "FLOODINFO" { print $2, $3, $4, $5, $6 }' "$BENCH_TMP/ui.out")
    read -r LQ16 LQ16S LF16 LF16S < <(awk '$1 == "LATEINFO" { print $2, $3, $4, $5 }' "$BENCH_TMP/ui.out")
    read -r RSS_PAINT RSS_END RSS_MAX RAN_S < <(awk '$1 == "RSS" { print $2, $3, $4, $5 }' "$BENCH_TMP/ui.out")
    {
        echo "### The window (\`lifeline-bench-ui\`, QT_QPA_PLATFORM=offscreen)"
        echo
        echo "First paint: a fresh process per run builds \`Fleet\` + \`MainWindow\` on the demo configuration"
        echo "(private state_dir, free ports), calls \`boot()\` and \`show()\`; measured from the first line of"
        echo "\`main()\` to the first \`QEvent::Paint\` of any widget of the main window (an application event"
        echo "filter; the first one painted was a \`$FP_WIDGET\`). Milliseconds."
        echo
        echo "| measured | n | median | p95 | min | max | mean |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        echo "| main() -> first paint event | $FP_N | $FP_MED | $FP_P95 | $FP_MIN | $FP_MAX | $FP_MEAN |"
        echo "| main() -> end of the event-loop pass that painted it (the first frame done) | $FD_N | $FD_MED | $FD_P95 | $FD_MIN | $FD_MAX | $FD_MEAN |"
        echo
        echo "Chart redraw, 7-day range, on the sampler bench's history (20 services x 7 days of 10 s"
        echo "samples): a \`MetricsChart\` (900x300, plot $PLOT_W px wide, so $PLOT_W buckets asked for) shown,"
        echo "then, 50 times: \`refresh()\` alone, and \`refresh()\` + the posted events (layout) +"
        echo "\`viewport()->repaint()\` (the scene rendered, synchronously); and separately the same"
        echo "\`MetricsHistory::series()\` calls on their own (the history's share). Milliseconds."
        echo
        echo "| chart | points drawn | measured | n | median | p95 | min | max | mean |"
        echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        echo "| one service's cpu (the detail pane) | $ONE_PTS | refresh() | $(line CHART one) |"
        echo "| | | refresh() + layout + repaint() | $(line CHART onepaint) |"
        echo "| | | of which series() queries | $(line CHART onequery) |"
        echo "| cpu of all 20 services in one chart | $ALL_PTS | refresh() | $(line CHART all) |"
        echo "| | | refresh() + layout + repaint() | $(line CHART allpaint) |"
        echo "| | | of which series() queries | $(line CHART allquery) |"
        echo
        echo "Event-loop lateness: a 10 ms \`Qt::PreciseTimer\` in the GUI thread, lateness = time between"
        echo "ticks - 10 ms, ${FLOOD_SECONDS} s with the demo stack running and the window shown, then ${FLOOD_SECONDS} s"
        echo "while the service \"flood\" (\`lifeline-demo-backend --flood 50000\`) writes 50 000 lines/s"
        echo "with its Log tab visible. Milliseconds."
        echo
        echo "| while | ticks | median | p95 | min | max (worst) | mean |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        echo "| demo stack, nothing else | $(line LATE quiet) |"
        echo "| flood at 50 000 lines/s, Log tab visible | $(line LATE flood) |"
        echo
        echo "Ticks late by more than 16 ms: $LQ16 without the flood ($LQ16S of them with a metrics sampler pass,"
        echo "and the refresh of the visible charts that follows it, in their interval), $LF16 during the flood ($LF16S)."
        echo
        echo "During the flood the log view's document changed $CHANGES times (it keeps $MAXLINES lines); at"
        echo "the end of the ${FWALL} s window it showed flood line $SHOWN, when the last line in the service's"
        echo "log file was line $PRODUCED ($((PRODUCED - SHOWN)) lines behind)."
        echo
        echo "RSS (VmRSS) of the GUI process: $RSS_PAINT MiB at the first paint, $RSS_END MiB after ${RAN_S} s"
        echo "(max $RSS_MAX MiB over the samples, taken every 10 s after the flood phase). Run length:"
        echo "\`--seconds $UI_SECONDS\` (the target asks about 10 min; \`BENCH_SECONDS=300\` gives it)."
        echo
    } >>"$SECTIONS"
    REDRAW=$(line CHART onepaint | awk -F' [|] ' '{ print $2 }')
    REDRAW_ALL=$(line CHART allpaint | awk -F' [|] ' '{ print $2 }')
    WORST=$(line LATE flood | awk -F' [|] ' '{ print $5 }')
    SUMMARY+=("- first paint: median $FP_MED ms, p95 $FP_P95 ms (target < 500 ms: $(verdict "$FP_MED" '<' 500)).")
    SUMMARY+=("- 7-day chart redraw (refresh + layout + repaint), median: $REDRAW ms for one service, $REDRAW_ALL ms for 20 series in one chart (target < 16 ms: $(verdict "$REDRAW" '<' 16) / $(verdict "$REDRAW_ALL" '<' 16)).")
    SUMMARY+=("- worst 10 ms timer lateness while a service logs 50 000 lines/s with its Log tab visible: $WORST ms (target < 50 ms: $(verdict "$WORST" '<' 50)).")
    SUMMARY+=("- GUI RSS: $RSS_END MiB after ${RAN_S} s (not the 10 min the target names; see below).")
fi

# ---- 4. recovery -----------------------------------------------------------------------

if wants recovery; then
    demo_config "$BENCH_TMP/recovery.toml"
    RPORT=$("$FREEPORTS" 1)
    run_bench recovery env "PATH=$BIN:$PATH" "$BIN/lifeline-bench-recovery" --config "$BENCH_TMP/recovery.toml" \
        --backend "$DEMO_BIN" --port "$RPORT" --runs "$RECOVERIES"
    cat "$BENCH_TMP/recovery.out" >>"$SECTIONS"
    v=$(summary_value recovery overhead_ms)
    SUMMARY+=("- emergency recovery of the demo stack: median $(summary_value recovery wall_median_ms) ms from start to finished; Lifeline's overhead (minus the services' own start, 2 x $(summary_value recovery own_ready_ms) ms) $v ms (target < 200 ms: $(verdict "$v" '<' 200)).")
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
PROCS_AFTER=$(procs_now)
ELAPSED=$((SECONDS - T0))

SECTION=$BENCH_TMP/section.md
{
    echo "$BEGIN_MARK"
    echo
    echo "## Lifeline's own targets (\`bench/run-more.sh\`)"
    echo
    echo "No peers here: the targets of the performance issue, measured on Lifeline alone. Each bench is a"
    echo "C++ program under \`bench/\` linking \`lifeline_core\` (\`lifeline_ui\` for the window), run by"
    echo "\`bench/run-more.sh\` with the processes it needs; every figure below was measured in this run."
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| date | $STARTED (took ${ELAPSED} s) |"
    echo "| machine | $(nproc) CPUs: $CPU_MODEL; $MEM_TOTAL RAM |"
    echo "| system | $DISTRO, kernel $(uname -r) |"
    echo "| load average (1/5/15 min) | before $LOAD_BEFORE, after $LOAD_AFTER |"
    echo "| processes on the machine | $PROCS_BEFORE before, $PROCS_AFTER after (the sampler bench raises it to ~$TARGET_PROCS) |"
    echo "| Lifeline | commit $LIFELINE_VERSION, $LIFELINE_BUILD_TYPE build |"
    echo
    echo "Command: \`$(env | grep -E '^BENCH_(SECONDS|PROCS|PASSES|FLOOD_SECONDS|RECOVERIES)=' | sort | tr '\n' ' ')bench/run-more.sh$( ((${#ONLY[@]} < 4)) && printf ' --only %s' "${ONLY[@]}")\`"
    echo
    echo "### Summary against the targets"
    echo
    printf '%s\n' "${SUMMARY[@]}"
    echo
    cat "$SECTIONS"
    echo "$END_MARK"
} >"$SECTION"

if [[ -n "$OUT" ]]; then
    cp "$SECTION" "$OUT"
    log "wrote $OUT"
    exit 0
fi
# Replace the previous section in place, or append it at the end (below
# run-all.sh's marker line, so run-all.sh keeps it).
NEW=$BENCH_TMP/RESULTS.md
if [[ -f "$RESULTS" ]] && grep -qF "$BEGIN_MARK" "$RESULTS"; then
    awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v f="$SECTION" '
        $0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
        skip && $0 == e { skip = 0; next }
        !skip { print }' "$RESULTS" >"$NEW"
else
    { [[ -f "$RESULTS" ]] && cat "$RESULTS" && echo; cat "$SECTION"; } >"$NEW"
fi
cp "$NEW" "$RESULTS"
log "wrote $RESULTS"
