#!/usr/bin/env bash
# The scale rows on a GPU machine: lurm generate -> lurm fit -> lurm encode through the real CLI, the cuda backend
# against the cpu backend of the same machine, with the bundle of perf-tests/gpu/prepare.sh carried as .gpu/
# (device tool: command "bash perf-tests/gpu/scale.sh", carry [".gpu"]). Same generator settings as
# perf-tests/scale/run.sh (200,000 items, 100 events per user, 5 years, seed 42, fit's defaults); prints each
# command's stage times as fit and encode print them, and its wall seconds. Timings are never asserted.
#   USERS="62500 250000"   sizes (users; events = 100 x users)
#   BACKENDS="cuda cpu"    fit backends per size, in order (encode runs with the first)
#   CPU_MAX_USERS=62500    above this size the cpu fit is left out (it would not fit a lease)
#   BUDGET_S=400           no command starts after this many seconds; each is cut to what is left
#   NK_LIB=path            a built liblurm_kernels.so (default: build the carried sources with nvcc)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=${LURM_GPU_BUNDLE:-$root/.gpu}
work=${LURM_GPU_WORK:-/tmp/lurm-scale}
budget=${BUDGET_S:-400}
t0=$(date +%s)
left() { local l=$((budget - ($(date +%s) - t0))); [ "$l" -lt 1 ] && l=1; echo "$l"; }
say() { echo "[scale-gpu $(($(date +%s) - t0))s] $*"; }
[ -f "$bundle/jdk.tgz" ] || { echo "no bundle at $bundle: run perf-tests/gpu/prepare.sh here first" >&2; exit 2; }
mkdir -p "$work" && rm -rf "$work/jdk" && tar -C "$work" -xzf "$bundle/jdk.tgz"
lib=${NK_LIB:-}
if [ -z "$lib" ]; then
  rm -rf "$work/nk" && cp -r "$bundle/native-kernels" "$work/nk"
  LURM_NVCC_JOBS=${LURM_NVCC_JOBS:-16} bash "$work/nk/build.sh" "$work/nk/out" >"$work/nvcc.log" 2>&1 || { tail -5 "$work/nvcc.log"; exit 3; }
  lib="$work/nk/out/liblurm_kernels.so"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1
echo "cores: $(nproc)"
J=("$work/jdk/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xmx${HEAP:-64g} -Dlurm.native.lib="$lib"
  -cp "$(ls "$bundle"/lib/*.jar | tr '\n' ':')" org.lurm.cli.Main)
ev=(--header --user-col user_id --item-col item_id --time-col ts --type-col type)
# timed NAME LIMIT COMMAND...: output to WORK/NAME.out; prints the wall seconds and the lines that time a stage
timed() {
  local name=$1 lim=$2 s rc; shift 2
  [ "$lim" -lt 20 ] && { say "$name: not run (time is up)"; return 1; }
  say "$name (limit ${lim}s)"
  s=$(date +%s.%N)
  timeout "$lim" "$@" >"$work/$name.out" 2>&1
  rc=$?
  echo "  $name: rc $rc, $(python3 -c "import time; print(round(time.time() - $s, 1))") s wall"
  grep -E "^ *(time|ran on|SMEN|events|stage 1) |events of|Exception|Error" "$work/$name.out" | head -9 | sed "s/^/  /"
  return $rc
}
for users in ${USERS:-62500 250000}; do
  f="$work/ev-$users.csv.gz"
  timed "generate-$users" "$(left)" "${J[@]}" generate --users "$users" --items 200000 --years 5 --events-per-user 100 --seed 42 -o "$f" || continue
  weights=$(sed -n 's/.*--type-weights \([^ ]*\).*/\1/p' "$work/generate-$users.out" | head -1)
  first=""
  for be in ${BACKENDS:-cuda cpu}; do
    if [ "$be" = cpu ] && [ "$users" -gt "${CPU_MAX_USERS:-62500}" ]; then say "fit-$users-cpu: left out (CPU_MAX_USERS)"; continue; fi
    timed "fit-$users-$be" "$(left)" "${J[@]}" fit --events "$f" "${ev[@]}" --type-weights "$weights" --seed 42 --backend "$be" --progress plain \
      -o "$work/model-$users-$be.lurm" && [ -z "$first" ] && first=$be
  done
  [ -n "$first" ] && timed "encode-$users-$first" "$(left)" "${J[@]}" encode --model "$work/model-$users-$first.lurm" --events "$f" "${ev[@]}" \
    --backend "$first" --progress plain -o "$work/emb-$users.bin"
done
say "done"
