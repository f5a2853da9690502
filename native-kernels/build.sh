#!/usr/bin/env bash
# Builds liblurm_kernels.so with nvcc (sm_90 SASS + PTX, static CUDA runtime, so only libcuda.so.1 is needed
# at run time). Without nvcc the build is skipped with one line: the CPU backend never needs it.
set -euo pipefail
out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
NVCC=${NVCC:-$(command -v nvcc || true)}
[ -z "$NVCC" ] && [ -x /usr/local/cuda/bin/nvcc ] && NVCC=/usr/local/cuda/bin/nvcc
if [ -z "$NVCC" ]; then
  echo "[lurm native-kernels] nvcc not found: skipping the CUDA library (the CPU backend does not need it)"
  exit 0
fi
mkdir -p "$out"
lib="$out/liblurm_kernels.so"
# Rebuild only when a source is newer than the library.
if [ -f "$lib" ] && [ -z "$(find "$here/src" "$here/include" -newer "$lib" -type f | head -1)" ]; then
  echo "[lurm native-kernels] up to date: $lib"
  exit 0
fi
ARCH=${LURM_CUDA_ARCH:-"-gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"}
# shellcheck disable=SC2086
"$NVCC" -O3 -std=c++17 -shared -Xcompiler -fPIC -cudart static $ARCH -I"$here/include" \
  -o "$lib.tmp" "$here"/src/*.cu
mv "$lib.tmp" "$lib"
echo "[lurm native-kernels] built $lib with $("$NVCC" --version | tail -1)"
