#!/usr/bin/env bash
# The GPU check, run on a GPU machine (CUDA, nvcc, PyTorch; no Java, no network) from the repository root with
# the folder made by perf-tests/gpu/prepare.sh carried as .gpu/ (device tool: command "bash perf-tests/gpu/run.sh",
# carry [".gpu"], timeout_s 540). Steps, each with its own time limit, the whole under 8 minutes:
#   1. unpack the jlink'd JDK; build liblurm_kernels.so from the carried CUDA sources with this machine's nvcc
#      (sm_90 + PTX); stop with one clear line when no NVIDIA GPU is visible;
#   2. every test class of bindings through the JUnit console (the cross-backend op tests, cuBLAS cross-check,
#      symbol table, org.lurm.cuda.smen.* when present);
#   3. GpuBench (each kernel as a fraction of the bandwidth floor measured in the same run) and every other
#      org.lurm.perf.gpu.*Bench main class;
#   4. the PyTorch reference on the same GPU (smen_reference.py bench --device cuda, eager and torch.compile)
#      when it supports --device;
#   5. a short table, last.
# Logs and JSON go to $OUT (or .gpu-out/ without it). LURM_GPU_ALLOW_NONE=1 continues without a GPU (a dry run
# of the Java side: the GPU tests then skip and the benchmarks stop at once).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${LURM_GPU_BUNDLE:-$root/.gpu}
out=${OUT:-$root/.gpu-out}
work=${LURM_GPU_WORK:-/tmp/lurm-gpu}
mkdir -p "$out" "$work"
t_start=$(date +%s)
say() { echo "[gpu-check $(($(date +%s) - t_start))s] $*"; }
fail() { echo "[gpu-check] FAILED: $1"; exit "${2:-1}"; }

[ -f "$bundle/jdk.tgz" ] || fail "no prepared bundle at $bundle (run perf-tests/gpu/prepare.sh on a machine with JDK 25, carry .gpu)" 2
cat "$bundle/MANIFEST" 2>/dev/null | head -2

# 1. Runtime and kernels.
rm -rf "$work/jdk" && tar -C "$work" -xzf "$bundle/jdk.tgz" || fail "cannot unpack the JDK runtime"
JAVA="$work/jdk/bin/java"
"$JAVA" -version 2>&1 | head -1
# Sources copied with their times, so a rerun on the same machine rebuilds only what changed.
rm -rf "$work/native-kernels/src" "$work/native-kernels/include" && mkdir -p "$work/native-kernels" && cp -rp "$bundle/native-kernels/." "$work/native-kernels/"
lib="$work/native-kernels/target/native/liblurm_kernels.so"
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
export NVCC
say "building the kernels with $NVCC"
LURM_NVCC_JOBS=${LURM_NVCC_JOBS:-16} timeout 240 bash "$work/native-kernels/build.sh" "$work/native-kernels/target/native" >"$out/nvcc.log" 2>&1
rc=$?
tail -3 "$out/nvcc.log"
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
else
  say "GPU: $gpu"
fi

# The native test of the C ABI (hand-worked BoI case, GEMM, assignment, CSR, dot against host loops).
native_rc="-"
if [ "$gpu" != "none" ] && [ -f "$work/native-kernels/test/kernels_test.cu" ]; then
  say "native kernels_test"
  d="$work/native-kernels/target/native"
  if timeout 120 "$NVCC" -std=c++17 -I"$work/native-kernels/include" "$work/native-kernels/test/kernels_test.cu" -L"$d" -llurm_kernels \
      -Xlinker -rpath="$d" -o "$d/kernels_test" >"$out/kernels_test.log" 2>&1; then
    timeout 60 "$d/kernels_test" >>"$out/kernels_test.log" 2>&1
    native_rc=$?
  else
    native_rc="build failed"
  fi
  tail -5 "$out/kernels_test.log"
fi

# cuBLAS for JavaCPP: the toolkit's and PyTorch's (pip nvidia-cublas) library folders.
extra=""
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && extra="$extra:$d"; done
pyc=$(python3 -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null || true)
[ -n "$pyc" ] && for d in "$pyc"/nvidia/*/lib; do [ -d "$d" ] && extra="$extra:$d"; done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}$extra"
cp_jars=$(ls "$bundle"/lib/*.jar | tr '\n' ':')
JOPTS=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx24g -Dlurm.native.lib="$lib" -Duser.home="$work")

# 2. Tests.
say "JUnit console: bindings tests"
timeout 240 env -u CI "$JAVA" "${JOPTS[@]}" -jar "$bundle/junit-platform-console-standalone.jar" execute \
  --class-path "$cp_jars$bundle/test-classes" --scan-class-path "$bundle/test-classes" \
  --details=tree --disable-banner --disable-ansi-colors --reports-dir "$out/junit" >"$out/junit.log" 2>&1
junit_rc=$?
grep -E "tests (found|successful|failed|skipped|aborted)" "$out/junit.log" | sed 's/^/  /'
grep -E "✘|\[X\]|MethodSource|AssertionFailedError|Exception:" "$out/junit.log" | head -20

# 3. Benchmarks.
say "GpuBench"
timeout 200 "$JAVA" "${JOPTS[@]}" -cp "$cp_jars" org.lurm.perf.gpu.GpuBench --json "$out/gpubench.jsonl" >"$out/gpubench.log" 2>&1
bench_rc=$?
tail -25 "$out/gpubench.log"
# 3b. PyTorch reference on the same GPU, before the SMEN benchmarks, which read its JSON lines
#     (LURM_TORCH_EAGER_JSON / LURM_TORCH_COMPILE_JSON) instead of compiling torch a second time.
py_eager="-"; py_compiled="-"
ref="$bundle/python/smen_reference.py"
if [ "$gpu" != "none" ] && python3 "$ref" bench --help 2>/dev/null | grep -q -- "--device"; then
  left=$((330 - ($(date +%s) - t_start)))
  if [ $left -gt 40 ]; then
    say "PyTorch reference (eager)"
    timeout $((left / 2)) python3 "$ref" bench --device cuda >"$out/torch-eager.json" 2>"$out/torch-eager.err"
    py_eager=$(tail -1 "$out/torch-eager.json" 2>/dev/null | cut -c1-300)
    [ -s "$out/torch-eager.json" ] && export LURM_TORCH_EAGER_JSON="$out/torch-eager.json"
    left=$((330 - ($(date +%s) - t_start)))
    if [ $left -gt 30 ]; then
      say "PyTorch reference (torch.compile)"
      timeout "$left" python3 "$ref" bench --device cuda --compile >"$out/torch-compile.json" 2>"$out/torch-compile.err"
      py_compiled=$(tail -1 "$out/torch-compile.json" 2>/dev/null | cut -c1-300)
      [ -s "$out/torch-compile.json" ] && export LURM_TORCH_COMPILE_JSON="$out/torch-compile.json"
    fi
  fi
else
  say "PyTorch reference skipped (no GPU, or smen_reference.py has no --device)"
fi


others=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$(ls "$bundle"/lib/lurm-perf-tests-*.jar | head -1)" 2>/dev/null | sed -n 's:^\(org/lurm/perf/gpu/[A-Za-z0-9]*Bench\)\.class$:\1:p' | tr '/' '.' | grep -v '\.GpuBench$' || true)
for cls in $others; do
  left=$((450 - ($(date +%s) - t_start)))
  [ $left -lt 30 ] && { say "skipping $cls: time is up"; continue; }
  say "$cls"
  timeout $((left < 120 ? left : 120)) "$JAVA" "${JOPTS[@]}" -cp "$cp_jars" "$cls" >"$out/${cls##*.}.log" 2>&1
  echo "  rc $?"; tail -15 "$out/${cls##*.}.log"
done

# 5. The table, last.
echo
echo "==================== GPU check summary ($(($(date +%s) - t_start)) s) ===================="
echo "GPU: $gpu"
echo "kernels: $(tail -1 "$out/nvcc.log")"
echo "native kernels_test: rc $native_rc ($(grep -c '^FAIL' "$out/kernels_test.log" 2>/dev/null || echo 0) FAIL lines)"
echo "tests (rc $junit_rc):"; grep -E "tests (successful|failed|skipped|aborted)" "$out/junit.log" | sed 's/^/  /'
echo "GpuBench (rc $bench_rc):"; sed -n '/^GPU kernels on/,$p' "$out/gpubench.log" | sed 's/^/  /'
echo "PyTorch eager:   $py_eager"
echo "PyTorch compile: $py_compiled"
echo "SMEN benchmarks:"; grep -h '^| smen ' "$out"/Smen*Bench.log 2>/dev/null | sed 's/^/  /' || echo "  (none ran)"
[ $junit_rc -eq 0 ] || exit 5
[ "$gpu" = "none" ] || [ $bench_rc -eq 0 ] || exit 6
exit 0
