#!/usr/bin/env bash
# Builds liblurm_kernels.so from every src/*.cu with nvcc (sm_90 SASS + PTX, static CUDA runtime, so only
# libcuda.so.1 is needed at run time). Each .cu compiles to its own object (in parallel, and only when it or a
# header changed), then one link. Without nvcc the build is skipped with one line: the CPU backend never needs it.
# Usage: build.sh OUT_DIR   (env: NVCC, LURM_CUDA_ARCH, LURM_NVCC_JOBS)
set -euo pipefail
out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
NVCC=${NVCC:-$(command -v nvcc || true)}
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
if [ -z "$NVCC" ]; then
  echo "[lurm native-kernels] nvcc not found: skipping the CUDA library (the CPU backend does not need it)"
  exit 0
fi
mkdir -p "$out/obj"
lib="$out/liblurm_kernels.so"
ARCH=${LURM_CUDA_ARCH:-"-gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"}
newest_header=$(ls -t "$here"/include/* | head -1)
# Objects of sources that are gone must not be linked.
for o in "$out"/obj/*.o; do
  [ -e "$o" ] || continue
  [ -f "$here/src/$(basename "${o%.o}").cu" ] || rm -f "$o"
done
stale=()
for src in "$here"/src/*.cu; do
  o="$out/obj/$(basename "${src%.cu}").o"
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then stale+=("$src"); fi
done
if [ ${#stale[@]} -eq 0 ] && [ -f "$lib" ] && [ -z "$(find "$out/obj" -name '*.o' -newer "$lib" | head -1)" ]; then
  echo "[lurm native-kernels] up to date: $lib"
  exit 0
fi
jobs=${LURM_NVCC_JOBS:-$(nproc 2>/dev/null || echo 2)}
export NVCC ARCH here out
# shellcheck disable=SC2016,SC2086
printf '%s\n' "${stale[@]}" | xargs -r -P "$jobs" -I{} bash -c \
  'o="$out/obj/$(basename "{}" .cu).o"; "$NVCC" -O3 -std=c++17 --extended-lambda -c -Xcompiler -fPIC $ARCH -I"$here/include" -o "$o.tmp" "{}" && mv "$o.tmp" "$o"'
# shellcheck disable=SC2086
"$NVCC" -shared -cudart static $ARCH -o "$lib.tmp" "$out"/obj/*.o
mv "$lib.tmp" "$lib"
echo "[lurm native-kernels] built $lib (${#stale[@]} of $(ls "$here"/src/*.cu | wc -l) sources compiled) with $("$NVCC" --version | tail -1)"
