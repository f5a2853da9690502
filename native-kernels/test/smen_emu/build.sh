#!/usr/bin/env bash
# Builds liblurm_smen_emu.so: the SMEN kernels' own source (native-kernels/src/smen_*.cu) compiled by g++ against
# the host emulation emu.h, for SmenKernelEmulationTest (CI has no GPU). Usage: build.sh OUT_DIR
set -euo pipefail
out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../src"
CXX=${CXX:-g++}
command -v "$CXX" >/dev/null || { echo "[smen-emu] no $CXX: skipping"; exit 0; }
mkdir -p "$out/gen"
cp "$here/emu.h" "$src/smen_common.cuh" "$out/gen/"
for f in "$src"/smen_*.cu; do python3 "$here/convert.py" "$f" "$out/gen/$(basename "${f%.cu}").cpp"; done
sed -i 's|#include <cuda_runtime.h>|#include "emu.h"|' "$out/gen/smen_common.cuh"
"$CXX" -std=c++20 -O1 -g -shared -fPIC -pthread -I"$out/gen" -I"$here/../../include" -o "$out/liblurm_smen_emu.so.tmp" "$out"/gen/*.cpp
mv "$out/liblurm_smen_emu.so.tmp" "$out/liblurm_smen_emu.so"
echo "[smen-emu] built $out/liblurm_smen_emu.so"
