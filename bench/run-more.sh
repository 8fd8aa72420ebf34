#!/usr/bin/env bash
# bench/run-more.sh — Lifeline's own speed targets (no peers): the sampling
# pass, the history, 200 health checks, the window, emergency recovery.
# Writes one section into bench/RESULTS.md (between its own markers, below
# run-all.sh's "kept" line, so run-all.sh carries it over).
#
#   bench/run-more.sh                       # all four, ~5 min on 2 cores
#   bench/run-more.sh --only ui             # one of sampler|health|ui|recovery (repeatable)
#   bench/run-more.sh --only errors         # error tracking at 50 000 lines/s (bench/errors.sh; not in the default set)
#   bench/run-more.sh --out FILE            # write the section to FILE, leave RESULTS.md alone
#   BENCH_SECONDS=20 bench/run-more.sh      # shorter windows (health window, UI lateness window)
#
# Env: LIFELINE_BUILD_DIR (default build-bench/; configured with
# -DLIFELINE_BUILD_BENCH=ON and brought up to date here; BENCH_NO_BUILD=1 skips that),
# BENCH_SECONDS (health window and the UI's lateness window, default 60),
# BENCH_UI_RUNS (lateness runs, 2),
# BENCH_PROCS (processes on the machine for the sampler, default 500),
# BENCH_PASSES (sampling passes, 200),
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
    case $b in sampler | health | ui | recovery | errors) ;; *) die "unknown bench: $b (sampler|health|ui|recovery|errors)" ;; esac
done
wants() { [[ " ${ONLY[*]} " == *" $1 "* ]]; }

SECONDS_WINDOW=${BENCH_SECONDS:-60}
UI_SECONDS=$SECONDS_WINDOW
UI_RUNS=${BENCH_UI_RUNS:-2}
TARGET_PROCS=${BENCH_PROCS:-500}
PASSES=${BENCH_PASSES:-200}
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
# (18080-18082 are the demo's; someone may be running it): demo_config OUT.
demo_config() {
    local out=$1 ports
    mapfile -t ports < <("$FREEPORTS" 3)
    local state=$BENCH_TMP/state-${out##*/}
    sed -e "s|^state_dir = .*|state_dir = \"${state%.toml}\"|" \
        -e "s/18080/${ports[0]}/g" -e "s/18081/${ports[1]}/g" -e "s/18082/${ports[2]}/g" \
        "$ROOT/resources/demo/lifeline.toml" >"$out"
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

# The issue-9 scenario for the GUI lateness: engine_config OUT STATE_DIR writes
# 20 services (18 demo backends with HTTP health checks, "flood" writing
# 50 000 lines/s, not autostarted, and "tree", a shell with 500 sleeping
# children), sampled every 250 ms.
engine_config() {
    local out=$1 state=$2 ports i
    mapfile -t ports < <("$FREEPORTS" 19)
    {
        printf '[settings]\nstate_dir = "%s"\nsample_interval = "250ms"\non_exit = "stop"\n' "$state"
        for ((i = 0; i < 18; i++)); do
            printf '\n[[service]]\nname = "svc%d"\ncommand = ["lifeline-demo-backend", "--port", "%d", "--name", "svc%d"]\n' \
                "$i" "${ports[i]}" "$i"
            printf 'ports = [%d]\n\n[service.health]\nurl = "http://127.0.0.1:%d/health"\ninterval = "5s"\ntimeout = "2s"\n' \
                "${ports[i]}" "${ports[i]}"
        done
        printf '\n[[service]]\nname = "flood"\ncommand = ["lifeline-demo-backend", "--port", "%d", "--name", "flood", "--flood", "50000"]\n' \
            "${ports[18]}"
        printf 'ports = [%d]\nautostart = false\nrestart = "never"\n' "${ports[18]}"
        # shellcheck disable=SC2016  # $(seq 500) is for the service's shell
        printf '\n[[service]]\nname = "tree"\ncommand = ["sh", "-c", "for i in $(seq 500); do sleep 3600 & done; wait"]\n'
    } >"$out"
}

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
    # The history size cap goes 30 MB below the filled file, so the engine's
    # flush trims it during the window.
    FILL_BYTES=$(stat -c %s "$BENCH_TMP/sampler/history-fill/history.sqlite")
    UI_CAP=$((FILL_BYTES - 30000000))
    LATE_ROWS=()
    for ((r = 1; r <= UI_RUNS; r++)); do
        mkdir -p "$BENCH_TMP/ui-state-$r"
        cp "$BENCH_TMP/sampler/history-fill/history.sqlite" "$BENCH_TMP/ui-state-$r/"
        engine_config "$BENCH_TMP/ui-$r.toml" "$BENCH_TMP/ui-state-$r"
        run_bench "ui-$r" env "${UI_ENV[@]}" "$BIN/lifeline-bench-ui" --config "$BENCH_TMP/ui-$r.toml" \
            --seconds "$UI_SECONDS" --history-cap "$UI_CAP"
        read -r L_N L_P50 L_P90 L_P99 L_P999 L_MAX _ L_16 L_16S L_16L L_SAMPLED _ L_TICK < <(awk '$1 == "LATE" { $1 = ""; print }' "$BENCH_TMP/ui-$r.out")
        read -r _ S_TREE S_HB _ S_HA < <(awk '$1 == "SCENARIO" { $1 = ""; print }' "$BENCH_TMP/ui-$r.out")
        read -r SHOWN PRODUCED _ < <(awk '$1 == "FLOODINFO" { $1 = ""; print }' "$BENCH_TMP/ui-$r.out")
        LATE_ROWS+=("| $r | $L_N | $L_P50 | $L_P90 | $L_P99 | $L_P999 | **$L_MAX** | $L_16 ($L_16S / $L_16L) | $L_SAMPLED | $S_TREE | $((S_HB / 1000000)) -> $((S_HA / 1000000)) MB | $((PRODUCED - SHOWN)) |")
        ((r == 1)) && WORST=$L_MAX
        WORST=$(awk -v a="$WORST" -v b="$L_MAX" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
    done
    read -r FP_N FP_MED FP_P95 FP_MIN FP_MAX FP_MEAN < <(printf '%s\n' "${FP[@]}" | summarize)
    read -r FD_N FD_MED FD_P95 FD_MIN FD_MAX FD_MEAN < <(printf '%s\n' "${FD[@]}" | summarize)
    FP_WIDGET=$(awk '$1 == "FIRSTPAINT" { print $3 }' "$BENCH_TMP/ui-first-0.out")
    line() { awk -v a="$1" -v b="$2" '$1 == a && $2 == b { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$BENCH_TMP/ui-1.out"; }
    read -r ONE_PTS ALL_PTS PLOT_W < <(awk '$1 == "CHARTINFO" { print $2, $3, $4 }' "$BENCH_TMP/ui-1.out")
    read -r RSS_PAINT RSS_END < <(awk '$1 == "RSS" { print $2, $3 }' "$BENCH_TMP/ui-1.out")
    {
        echo "### The window (\`lifeline-bench-ui\`, QT_QPA_PLATFORM=offscreen, engine on its own thread)"
        echo
        echo "As the desktop app runs: an \`EngineHost\` with \`Threading::OwnThread\`, \`MainWindow\` and the charts"
        echo "reading only the \`EngineClient\`."
        echo
        echo "First paint: a fresh process per run on the demo configuration (private state_dir, free ports),"
        echo "the window shown when the engine reports it is initialized (after \`boot()\`), as \`Application\`"
        echo "does; measured from the first line of \`main()\` to the first \`QEvent::Paint\` of any widget of"
        echo "the main window (the first one painted was a \`$FP_WIDGET\`). Milliseconds."
        echo
        echo "| measured | n | median | p95 | min | max | mean |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        echo "| main() -> first paint event | $FP_N | $FP_MED | $FP_P95 | $FP_MIN | $FP_MAX | $FP_MEAN |"
        echo "| main() -> end of the event-loop pass that painted it (the first frame done) | $FD_N | $FD_MED | $FD_P95 | $FD_MIN | $FD_MAX | $FD_MEAN |"
        echo
        echo "Chart redraw, 7-day range, on the sampler bench's history (20 services x 7 days of 10 s samples)"
        echo "in the engine's state_dir, while the engine runs the scenario below: a \`MetricsChart\` (900x300,"
        echo "plot $PLOT_W px wide) shown, then 50 times \`refresh()\` (the question to the engine) until the"
        echo "answer is drawn and the view repainted. Milliseconds from the question."
        echo
        echo "| chart | points drawn | measured | n | median | p95 | min | max | mean |"
        echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        echo "| one service's cpu (the detail pane) | $ONE_PTS | answer arrives | $(line CHART oneanswered) |"
        echo "| | | answer drawn | $(line CHART onedrawn) |"
        echo "| | | + layout + repaint() | $(line CHART onepainted) |"
        echo "| | | GUI thread's share (answer -> painted) | $(line CHART onegui) |"
        echo "| cpu of all 20 services in one chart | $ALL_PTS | answer arrives | $(line CHART allanswered) |"
        echo "| | | answer drawn | $(line CHART alldrawn) |"
        echo "| | | + layout + repaint() | $(line CHART allpainted) |"
        echo "| | | GUI thread's share (answer -> painted) | $(line CHART allgui) |"
        echo
        echo "GUI lateness (issue 9): a ${L_TICK} ms \`Qt::PreciseTimer\` in the GUI thread, lateness = time between"
        echo "ticks - ${L_TICK} ms, over ${UI_SECONDS} s while the engine runs 20 services: 18 demo backends with HTTP"
        echo "health checks every 5 s, \"flood\" (\`lifeline-demo-backend --flood 50000\`) with its Log tab"
        echo "shown, \"tree\" (a shell with 500 \`sleep\` children: $S_TREE processes in its tree, walked by every"
        echo "sampling pass), \`sample_interval = \"250ms\"\`, and the 7-day history of the sampler bench with"
        echo "its size cap set $(((FILL_BYTES - UI_CAP) / 1000000)) MB below its size just before the window. Milliseconds;"
        echo "\"over 16\" counts ticks later than 16 ms (of them: with a \`sampled()\` in their interval / with a"
        echo "change of the log view's text in it)."
        echo
        echo "| run | ticks | p50 | p90 | p99 | p99.9 | worst | over 16 | sampled() received | tree | history (pages in use) | log view behind (lines) |"
        echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
        printf '%s\n' "${LATE_ROWS[@]}"
        echo
        echo "RSS (VmRSS) of the GUI process: $RSS_PAINT MiB at the first paint, $RSS_END MiB at the end (run 1)."
        echo
    } >>"$SECTIONS"
    REDRAW=$(line CHART onepainted | awk -F' [|] ' '{ print $2 }')
    REDRAW_ALL=$(line CHART allpainted | awk -F' [|] ' '{ print $2 }')
    SUMMARY+=("- first paint: median $FP_MED ms, p95 $FP_P95 ms (target < 500 ms: $(verdict "$FP_MED" '<' 500)).")
    SUMMARY+=("- 7-day chart redraw (question -> answer drawn -> repainted), median: $REDRAW ms for one service, $REDRAW_ALL ms for 20 series in one chart (target < 16 ms: $(verdict "$REDRAW" '<' 16) / $(verdict "$REDRAW_ALL" '<' 16)).")
    SUMMARY+=("- worst GUI lateness over $UI_RUNS x ${UI_SECONDS} s (20 services, one flooding 50 000 lines/s with its Log tab shown, history size-capped, ~500-process sampling pass at 250 ms): $WORST ms (target < 16 ms: $(verdict "$WORST" '<' 16)).")
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

if wants errors; then
    log "errors: ${BENCH_RATE:-50000} lines/s with 1 % errors for ${SECONDS_WINDOW}s"
    BENCH_SECONDS=$SECONDS_WINDOW BENCH_NO_BUILD=1 LIFELINE_BUILD_DIR=$LIFELINE_BUILD_DIR \
        "$BENCH_DIR/errors.sh" --out "$BENCH_TMP/errors.out"
    cat "$BENCH_TMP/errors.out" >>"$SECTIONS"
fi

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
    echo "Command: \`$(env | grep -E '^BENCH_(SECONDS|PROCS|PASSES|UI_RUNS|RECOVERIES)=' | sort | tr '\n' ' ')bench/run-more.sh$( ((${#ONLY[@]} < 4)) && printf ' --only %s' "${ONLY[@]}")\`"
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
