#!/usr/bin/env bash
# The GPU check, run on a GPU machine (CUDA, nvcc, compute-sanitizer, PyTorch; no Java, no network) from the
# repository root with the folder made by perf-tests/gpu/prepare.sh carried as .gpu/ (device tool: command
# "bash perf-tests/gpu/run.sh", carry [".gpu"], timeout_s 540). No step starts after LURM_GPU_BUDGET_S
# (default 420 s) and every step's limit is cut to what is left, so the whole run, build included, ends in about
# 7 minutes at most. Steps:
#   1. unpack the jlink'd JDK; build liblurm_kernels.so from the carried CUDA sources with this machine's nvcc
#      (sm_90 + PTX); stop with one clear line when no NVIDIA GPU is visible;
#   2. the native test of the C ABI (native-kernels/test/kernels_test.cu);
#   3. at the same time (neither is timed): every test class of bindings through the JUnit console, with
#      LURM_GPU_RUN=1 and CI=true, so that a device test that cannot run, a missing library or missing data is
#      a failure, not a skip (DeviceTests); and compute-sanitizer (memcheck, racecheck, initcheck) over the
#      native test and over GpuSanitizerRun (a few CudaSmenTraining steps, encodings, the backend ops) in a JVM;
#   4. the PyTorch reference on the same GPU (smen_reference.py bench --device cuda, eager and torch.compile);
#   5. the SMEN benchmarks (every org.lurm.perf.gpu.*Bench but GpuBench: anchor attention vs the copy floor,
#      training step vs PyTorch, encoding 10^6 users x 30 periods x 50 non-zeros);
#   6. lurm fit on movielens-1m-subset with --backend cpu, then cuda, end to end (wall clock);
#   7. GpuBench (each kernel as a fraction of the bandwidth floor) with the time that is left;
#   8. one table of every aim of issue 11 (measured, pass / fail / not measured), last.
# Logs go to a work folder; $OUT (or .gpu-out/ without it) gets summary.md, gpubench.jsonl and gpu-logs.tgz
# (every log) - the device tool brings back only a few files. Exit: 0 when the tests, the native test and the
# sanitizers passed (missed speed aims are in the table, not the exit code); 5 tests, 6 GpuBench, 7 sanitizer.
# LURM_GPU_ALLOW_NONE=1 continues without a GPU (a dry run of the Java side: no LURM_GPU_RUN, so the device
# tests skip; the benchmarks stop at once; the GPU rows of the table read "not measured").
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${LURM_GPU_BUNDLE:-$root/.gpu}
out=${OUT:-$root/.gpu-out}
work=${LURM_GPU_WORK:-/tmp/lurm-gpu}
budget=${LURM_GPU_BUDGET_S:-420}
# Steps to leave out, comma-separated (for a rerun that must fit what is left of a lease):
# sanitizers, torch, compile (torch.compile only), benches, fit, gpubench. Tests and the native test always run.
skip=",${LURM_GPU_SKIP:-},"
skipped() { [[ "$skip" == *",$1,"* ]]; }
# The sanitizers run beside the tests; all of them together stop after this many seconds, so that they cannot
# take the time of the benchmarks (a row cut short reads "not measured (time is up)").
san_budget=${LURM_GPU_SAN_BUDGET_S:-240}
logs="$work/logs"
rm -rf "$logs" && mkdir -p "$out" "$logs/aims"
t_start=$(date +%s)
say() { echo "[gpu-check $(($(date +%s) - t_start))s] $*"; }
fail() { echo "[gpu-check] FAILED: $1"; tar -C "$work" -czf "$out/gpu-logs.tgz" logs 2>/dev/null; exit "${2:-1}"; }
# Seconds a step may take: its own cap, cut to what is left of the budget.
# Never below 1: "timeout 0" would mean no limit at all.
cap() { local l=$((budget - ($(date +%s) - t_start))); [ "$l" -lt 1 ] && l=1; [ "$l" -lt "$1" ] && echo "$l" || echo "$1"; }
# Seconds since $1 (date +%s.%N), one decimal.
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# One row of the final table: aim KEY "what" "measured" "verdict" (rows print in the order of $aim_keys).
aim() { printf '%s\t%s\t%s\n' "$2" "$3" "$4" >"$logs/aims/$1"; }

[ -f "$bundle/jdk.tgz" ] || fail "no prepared bundle at $bundle (run perf-tests/gpu/prepare.sh on a machine with JDK 25, carry .gpu)" 2
head -2 "$bundle/MANIFEST" 2>/dev/null

# 1. Runtime and kernels.
rm -rf "$work/jdk" && tar -C "$work" -xzf "$bundle/jdk.tgz" || fail "cannot unpack the JDK runtime"
JAVA="$work/jdk/bin/java"
"$JAVA" -version 2>&1 | head -1
# Sources copied with their times, so a rerun on the same machine rebuilds only what changed.
rm -rf "$work/native-kernels/src" "$work/native-kernels/include" && mkdir -p "$work/native-kernels" && cp -rp "$bundle/native-kernels/." "$work/native-kernels/"
nk="$work/native-kernels/target/native"
lib="$nk/liblurm_kernels.so"
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
export NVCC
say "building the kernels with $NVCC"
LURM_NVCC_JOBS=${LURM_NVCC_JOBS:-16} timeout "$(cap 200)" bash "$work/native-kernels/build.sh" "$nk" >"$logs/nvcc.log" 2>&1
rc=$?
tail -3 "$logs/nvcc.log"
[ $rc -eq 0 ] && [ -f "$lib" ] || fail "kernel build failed (rc $rc), see nvcc.log" 3
gpu="none"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)
fi
if [ "$gpu" = "none" ]; then
  if [ "${LURM_GPU_ALLOW_NONE:-0}" != "1" ]; then
    fail "no NVIDIA GPU visible here (nvidia-smi -L failed or is missing): the GPU check needs a GPU machine" 4
  fi
  say "no GPU visible: dry run (LURM_GPU_ALLOW_NONE=1), GPU tests will skip"
  nogpu="not measured (no GPU: dry run)"
else
  say "GPU: $gpu"
  export LURM_GPU_RUN=1 # DeviceTests: on this run a device test that cannot run fails instead of skipping
fi
export CI=true # a missing native library or data set fails instead of skipping
[ -d "$bundle/data" ] && export LURM_DATA_DIR="$bundle/data"

# cuBLAS for JavaCPP: the toolkit's and PyTorch's (pip nvidia-cublas) library folders.
extra=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && extra="$extra:$d"; done
pyc=$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null || true)
[ -n "$pyc" ] && for d in "$pyc"/nvidia/*/lib; do [ -d "$d" ] && extra="$extra:$d"; done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$extra"
cp_jars=$(ls "$bundle"/lib/*.jar | tr '\n' ':')
JOPTS=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx24g -Dlurm.native.lib="$lib" -Duser.home="$work")

# 2. The native test of the C ABI (hand-worked BoI case, GEMM, assignment, CSR, dot, the synthetic users).
native_rc="not run"
if [ "$gpu" != "none" ]; then
  say "native kernels_test"
  if timeout "$(cap 120)" "$NVCC" -std=c++17 -I"$work/native-kernels/include" "$work/native-kernels/test/kernels_test.cu" -L"$nk" -llurm_kernels \
      -Xlinker -rpath="$nk" -o "$nk/kernels_test" >"$logs/kernels_test.log" 2>&1; then
    timeout "$(cap 60)" "$nk/kernels_test" >>"$logs/kernels_test.log" 2>&1
    native_rc=$?
  else
    native_rc="build failed"
  fi
  tail -3 "$logs/kernels_test.log"
fi

# 3a. compute-sanitizer, in the background while the tests run.
SAN=${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo "$(dirname "$NVCC")/compute-sanitizer")}
# sanitize KEY TOOL LIMIT LABEL COMMAND...: one sanitizer over one program, one row of the table.
sanitize() {
  local key=$1 tool=$2 c log="$logs/sanitizer-$1.log" rc summary label=$4 sl
  c=$(cap "$3")
  sl=$((san_budget - ($(date +%s) - san_start)))
  [ "$sl" -lt "$c" ] && c=$sl
  shift 4
  if [ "$gpu" = "none" ]; then aim "$key" "compute-sanitizer $tool clean: $label" "-" "$nogpu"; return; fi
  if skipped sanitizers; then aim "$key" "compute-sanitizer $tool clean: $label" "-" "not measured (LURM_GPU_SKIP)"; return; fi
  if [ ! -x "$SAN" ]; then aim "$key" "compute-sanitizer $tool clean: $label" "-" "not measured (no compute-sanitizer at $SAN)"; return; fi
  if [ "$c" -lt 20 ]; then aim "$key" "compute-sanitizer $tool clean: $label" "-" "not measured (time is up)"; return; fi
  timeout "$c" "$SAN" --tool "$tool" --error-exitcode 86 "$@" >"$log" 2>&1
  rc=$?
  summary=$(grep -E "(ERROR|RACECHECK) SUMMARY" "$log" | tail -1 | sed 's/^=* *//')
  if grep -qiE "device not supported|unable to (find|load)|not supported on this" "$log"; then
    aim "$key" "compute-sanitizer $tool clean: $label" "$(grep -iE 'not supported|unable to' "$log" | head -1 | sed 's/^=* *//' | cut -c1-120)" "not measured (the sanitizer refused this machine)"
  elif [ $rc -eq 0 ]; then
    aim "$key" "compute-sanitizer $tool clean: $label" "${summary:-no report} (${c}s limit)" "pass"
  elif [ $rc -eq 86 ]; then
    aim "$key" "compute-sanitizer $tool clean: $label" "$summary; first: $(grep -m1 -E '^=+ +(Invalid|Race|Uninitialized|Error|Warning)' "$log" | sed 's/^=* *//' | cut -c1-100)" "fail"
  elif [ $rc -eq 124 ]; then
    aim "$key" "compute-sanitizer $tool clean: $label" "timed out after ${c}s" "not measured (timed out)"
  else
    aim "$key" "compute-sanitizer $tool clean: $label" "the program failed under the sanitizer (rc $rc): $(tail -1 "$log" | cut -c1-100)" "fail"
  fi
  echo "  $tool over $label: $(cut -f2,3 "$logs/aims/$key" | tr '\t' ' ')"
}
sanitizers() {
  for tool in memcheck racecheck initcheck; do
    if [ -x "$nk/kernels_test" ]; then
      sanitize "san-native-$tool" "$tool" 60 "kernels_test (native test of the C ABI)" "$nk/kernels_test"
    else
      aim "san-native-$tool" "compute-sanitizer $tool clean: kernels_test (native test of the C ABI)" "-" "${nogpu:-not measured (kernels_test did not build)}"
    fi
  done
  for tool in memcheck racecheck initcheck; do
    sanitize "san-smen-$tool" "$tool" 90 "GpuSanitizerRun (SMEN training steps, encoding, backend ops; JVM)" \
      "$JAVA" "${JOPTS[@]}" -Xmx4g -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$cp_jars" org.lurm.perf.gpu.GpuSanitizerRun --steps 3
  done
}
san_start=$(date +%s)
say "compute-sanitizer (background): memcheck, racecheck, initcheck over kernels_test and GpuSanitizerRun"
sanitizers >"$logs/sanitizers.log" 2>&1 &
san_pid=$!

# 3b. Tests, from a folder whose ../native-kernels is the carried sources (tests that read the headers find them).
# SmenKernelEmulationTest is left out: it runs the kernels' source on the CPU (g++), which CI does; no device.
say "JUnit console: bindings tests (LURM_GPU_RUN=${LURM_GPU_RUN:-unset}, CI=$CI)"
mkdir -p "$work/bindings"
(cd "$work/bindings" && timeout "$(cap 240)" "$JAVA" "${JOPTS[@]}" -jar "$bundle/junit-platform-console-standalone.jar" execute \
  --class-path "$cp_jars$bundle/test-classes" --scan-class-path "$bundle/test-classes" --exclude-classname '.*(SmenKernelEmulationTest|EmulatedDeviceTest)' \
  --details=tree --disable-banner --disable-ansi-colors --reports-dir "$logs/junit" >"$logs/junit.log" 2>&1)
junit_rc=$?
grep -E "tests (found|successful|failed|skipped|aborted)" "$logs/junit.log" | sed 's/^/  /'
# ✘ failed, ■ aborted (an assumption: a skip), ↷ skipped (disabled)
grep -E "✘|■|↷|\[X\]|AssertionFailedError|Exception:" "$logs/junit.log" | head -20
count() { sed -n "s/^.*\[ *\([0-9]*\) tests $1 *\].*$/\1/p" "$logs/junit.log" | head -1; }
t_ok=$(count successful); t_failed=$(count failed); t_skipped=$(count skipped); t_aborted=$(count aborted)
tests_line="JUnit rc $junit_rc: ${t_ok:-?} passed, ${t_failed:-?} failed, ${t_skipped:-?} skipped, ${t_aborted:-?} aborted (assumption); kernels_test rc $native_rc"
if [ "$gpu" = "none" ]; then
  aim tests "every cuda test row passed, none skipped (JUnit with LURM_GPU_RUN=1, kernels_test)" "$tests_line" "$nogpu"
elif [ $junit_rc -eq 0 ] && [ "${t_failed:-1}" = 0 ] && [ "${t_skipped:-1}" = 0 ] && [ "${t_aborted:-1}" = 0 ] && [ "$native_rc" = 0 ]; then
  aim tests "every cuda test row passed, none skipped (JUnit with LURM_GPU_RUN=1, kernels_test)" "$tests_line" "pass"
else
  aim tests "every cuda test row passed, none skipped (JUnit with LURM_GPU_RUN=1, kernels_test)" "$tests_line" "fail"
fi
say "waiting for the sanitizers"
wait $san_pid
cat "$logs/sanitizers.log"

# 4a. lurm fit on movielens-1m-subset, cpu then cuda, end to end (the JVM start included): the product path,
#     before the benchmarks so that a short budget measures it first.
fit_what="lurm fit on movielens-1m-subset end to end, GPU (--backend cuda) vs CPU (--backend cpu)"
ml1m="${LURM_DATA_DIR:-/nonexistent}/movielens-1m-subset"
declare -A fit_s fit_rc
if [ "$gpu" = "none" ]; then
  aim fit "$fit_what" "-" "$nogpu"
elif skipped fit; then
  aim fit "$fit_what" "-" "not measured (LURM_GPU_SKIP)"
elif [ ! -d "$ml1m" ] || ! ls "$bundle"/lib/lurm-cli-*.jar >/dev/null 2>&1; then
  aim fit "$fit_what" "-" "not measured (no movielens-1m-subset or no lurm-cli jar in the bundle: rerun prepare.sh with ../shared/data present)"
else
  for be in cpu cuda; do
    c=$(cap 120)
    if [ "$c" -lt 20 ]; then fit_rc[$be]="not run (time is up)"; continue; fi
    say "lurm fit --backend $be (limit ${c}s)"
    t0=$(date +%s.%N)
    timeout "$c" "$JAVA" "${JOPTS[@]}" -cp "$cp_jars" org.lurm.cli.Main fit --movielens "$ml1m" --backend "$be" --progress plain \
      -o "$work/ml1m-$be.lurm" >"$logs/fit-$be.log" 2>&1
    fit_rc[$be]=$?
    fit_s[$be]=$(since "$t0")
    echo "  rc ${fit_rc[$be]}, ${fit_s[$be]} s"; tail -4 "$logs/fit-$be.log"
  done
  fit_m="cpu: rc ${fit_rc[cpu]} ${fit_s[cpu]:-} s; cuda: rc ${fit_rc[cuda]} ${fit_s[cuda]:-} s"
  if [ "${fit_rc[cpu]}" = 0 ] && [ "${fit_rc[cuda]}" = 0 ]; then
    aim fit "$fit_what" "cpu ${fit_s[cpu]} s, cuda ${fit_s[cuda]} s: GPU/CPU time $(awk -v g="${fit_s[cuda]}" -v c="${fit_s[cpu]}" 'BEGIN { printf "%.2f", g / c }')" \
      "pass (both ran; the ratio is the measurement)"
  elif [ "${fit_rc[cuda]}" = "not run (time is up)" ]; then
    aim fit "$fit_what" "$fit_m" "not measured (time is up)"
  else
    aim fit "$fit_what" "$fit_m$( [ "${fit_rc[cpu]}" = 124 ] || [ "${fit_rc[cuda]}" = 124 ] && echo ' (rc 124: timed out)')" "fail"
  fi
fi

# 4. PyTorch reference on the same GPU, before the SMEN benchmarks, which read its JSON lines
#    (LURM_TORCH_EAGER_JSON / LURM_TORCH_COMPILE_JSON) instead of compiling torch a second time.
py_eager="-"; py_compiled="-"
ref="$bundle/python/smen_reference.py"
if [ "$gpu" != "none" ] && ! skipped torch && python3 "$ref" bench --help 2>/dev/null | grep -q -- "--device"; then
  c=$(cap 90)
  if [ "$c" -gt 20 ]; then
    say "PyTorch reference (eager)"
    timeout "$c" python3 "$ref" bench --device cuda >"$logs/torch-eager.json" 2>"$logs/torch-eager.err"
    py_eager=$(tail -1 "$logs/torch-eager.json" 2>/dev/null | cut -c1-300)
    [ -s "$logs/torch-eager.json" ] && export LURM_TORCH_EAGER_JSON="$logs/torch-eager.json"
  fi
  c=$(cap 150)
  if [ "$c" -gt 30 ] && ! skipped compile; then
    say "PyTorch reference (torch.compile)"
    timeout "$c" python3 "$ref" bench --device cuda --compile >"$logs/torch-compile.json" 2>"$logs/torch-compile.err"
    py_compiled=$(tail -1 "$logs/torch-compile.json" 2>/dev/null | cut -c1-300)
    [ -s "$logs/torch-compile.json" ] && export LURM_TORCH_COMPILE_JSON="$logs/torch-compile.json"
  fi
else
  say "PyTorch reference skipped (no GPU, or smen_reference.py has no --device)"
fi

# 5. The SMEN benchmarks.
others=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$(ls "$bundle"/lib/lurm-perf-tests-*.jar | head -1)" 2>/dev/null | sed -n 's:^\(org/lurm/perf/gpu/[A-Za-z0-9]*Bench\)\.class$:\1:p' | tr '/' '.' | grep -v '\.GpuBench$' || true)
skipped benches && others=""
for cls in $others; do
  c=$(cap 120)
  [ "$c" -lt 30 ] && { say "skipping $cls: time is up"; continue; }
  say "$cls"
  timeout "$c" "$JAVA" "${JOPTS[@]}" -cp "$cp_jars" "$cls" >"$logs/${cls##*.}.log" 2>&1
  echo "  rc $?"; tail -6 "$logs/${cls##*.}.log"
done
# bench_aim KEY "what" "regex after '| smen '": the verdict column of that row (met / missed) as pass / fail.
bench_aim() {
  local key=$1 what=$2 line v m
  if [ "$gpu" = "none" ]; then aim "$key" "$what" "-" "$nogpu"; return; fi
  line=$(grep -hE "^\| smen $3" "$logs"/Smen*Bench.log 2>/dev/null | head -1)
  if [ -z "$line" ]; then aim "$key" "$what" "-" "${nogpu:-not measured (no result row: see the benchmark log in gpu-logs.tgz)}"; return; fi
  m=$(echo "$line" | awk -F'|' '{for (i = 3; i <= 5; i++) gsub(/^ +| +$/, "", $i); print $5 " (" $3 " vs " $4 ")"}')
  v=$(echo "$line" | awk -F'|' '{gsub(/^ +| +$/, "", $7); print $7}')
  case "$v" in
    met) aim "$key" "$what" "$m" "pass" ;;
    missed | fast*) aim "$key" "$what" "$m" "fail ($v)" ;;
    *) aim "$key" "$what" "$m" "${nogpu:-not measured ($v)}" ;;
  esac
}
bench_aim attn "anchor attention forward (r out) >= 60 % of the copy floor of the same run" "attention forward \(r out\)"
bench_aim attn-fused "anchor attention forward + projection (o out) >= 60 % of the copy floor" "attention forward \+ projection"
bench_aim step-eager "training step >= 2x PyTorch eager (same GPU, same shapes)" "training step( with prediction)? vs PyTorch eager"
bench_aim step-compile "training step >= torch.compile (same GPU, same shapes)" "training step( with prediction)? vs PyTorch torch\.compile"
bench_aim encode "encoding 10^6 users x 30 periods x 50 non-zeros < 0.1 s" "encoding [0-9]"

# 7. GpuBench with what is left.
bench_rc="not run"
c=$(cap 150)
if [ "$c" -ge 30 ] && ! skipped gpubench; then
  say "GpuBench (limit ${c}s)"
  timeout "$c" "$JAVA" "${JOPTS[@]}" -cp "$cp_jars" org.lurm.perf.gpu.GpuBench --json "$out/gpubench.jsonl" >"$logs/gpubench.log" 2>&1
  bench_rc=$?
  tail -20 "$logs/gpubench.log"
else
  say "GpuBench skipped: time is up"
fi

# 8. The table, last.
aim_keys="attn attn-fused step-eager step-compile encode fit san-native-memcheck san-native-racecheck san-native-initcheck san-smen-memcheck san-smen-racecheck san-smen-initcheck tests"
{
  echo "==================== GPU check summary ($(($(date +%s) - t_start)) s of a ${budget} s budget) ===================="
  echo "GPU: $gpu"
  echo "kernels: $(tail -1 "$logs/nvcc.log")"
  nfail=$(grep -c '^FAIL' "$logs/kernels_test.log" 2>/dev/null)
  echo "native kernels_test: rc $native_rc (${nfail:-0} FAIL lines)"
  echo "tests: $tests_line"
  echo "PyTorch eager:   $py_eager"
  echo "PyTorch compile: $py_compiled"
  echo "GpuBench (rc $bench_rc):"; sed -n '/^GPU kernels on/,$p' "$logs/gpubench.log" 2>/dev/null | sed 's/^/  /'
  echo "SMEN benchmarks:"; grep -h '^| smen ' "$logs"/Smen*Bench.log 2>/dev/null | sed 's/^/  /' || echo "  (none ran)"
  echo
  echo "Aims of issue 11:"
  echo
  echo "| aim | measured | verdict |"
  echo "|---|---|---|"
  for k in $aim_keys; do
    if [ -f "$logs/aims/$k" ]; then IFS=$'\t' read -r w m v <"$logs/aims/$k"; else w=$k; m="-"; v="not measured (step did not run)"; fi
    echo "| $w | $m | $v |"
  done
} | tee "$out/summary.md"
tar -C "$work" -czf "$out/gpu-logs.tgz" logs 2>/dev/null
san_failed=$(cat "$logs"/aims/san-* 2>/dev/null | cut -f3 | grep -c '^fail')
[ "$junit_rc" -eq 0 ] || exit 5
[ "$gpu" = "none" ] || [ "$native_rc" = 0 ] || exit 5
[ "$gpu" = "none" ] || [ "$(cut -f3 "$logs/aims/tests")" = pass ] || exit 5
[ "$san_failed" -eq 0 ] || exit 7
[ "$gpu" = "none" ] || [ "$bench_rc" = 0 ] || [ "$bench_rc" = "not run" ] || exit 6
exit 0
