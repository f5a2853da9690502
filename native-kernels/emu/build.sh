#!/usr/bin/env bash
# Builds the emulated device: liblurm_kernels_emu.so, every src/*.cu (rewritten by convert.py) compiled by g++
# against emu/include (a host implementation of the CUDA runtime subset, cub and thrust pieces src/ uses) and
# linked with emu/emu_runtime.cpp. Same C ABI as liblurm_kernels.so, so the Java bindings load it through
# -Dlurm.native.lib where there is no GPU (CI). Only what changed is recompiled. Needs g++ (C++20) and python3;
# without them it prints one line and stops (the tests that need it fail under CI=true).
# x86-64 only (the fiber context switch is assembly). Usage: build.sh OUT_DIR   (env: CXX, LURM_EMU_JOBS)
set -euo pipefail
out=${1:?usage: build.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../src"
CXX=${CXX:-g++}
if [ "$(uname -m)" != x86_64 ]; then
  echo "[lurm emulated device] $(uname -m): the fiber switch is x86-64 assembly; skipping the emulated device"
  exit 0
fi
if ! command -v "$CXX" >/dev/null || ! command -v python3 >/dev/null; then
  echo "[lurm emulated device] $CXX or python3 not found: skipping the emulated device"
  exit 0
fi
mkdir -p "$out/gen" "$out/obj"
lib="$out/liblurm_kernels_emu.so"
newest=$(ls -t "$here"/include/*.h "$here"/include/*/*.cuh "$here"/include/*/*/*.h "$here"/../include/* "$here"/convert.py "$src"/*.cuh | head -1)
for o in "$out"/obj/*.o; do
  [ -e "$o" ] || continue
  b=$(basename "${o%.o}")
  [ "$b" = emu_runtime ] || [ -f "$src/$b.cu" ] || rm -f "$o"
done
stale=()
for f in "$src"/*.cu "$here/emu_runtime.cpp"; do
  o="$out/obj/$(basename "${f%.*}").o"
  if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$newest" -nt "$o" ]; then stale+=("$f"); fi
done
if [ ${#stale[@]} -eq 0 ] && [ -f "$lib" ] && [ -z "$(find "$out/obj" -name '*.o' -newer "$lib" | head -1)" ]; then
  echo "[lurm emulated device] up to date: $lib"
  exit 0
fi
cp "$src"/*.cuh "$out/gen/"
flags="-std=c++20 -O2 -g -fPIC -pthread -fno-strict-aliasing -Wno-unused-result -I$out/gen -I$here/include -I$here/../include"
export CXX flags here out
jobs=${LURM_EMU_JOBS:-$(nproc 2>/dev/null || echo 2)}
# shellcheck disable=SC2016
printf '%s\n' "${stale[@]}" | xargs -r -P "$jobs" -I{} bash -c '
  f="{}"; b=$(basename "${f%.*}"); o="$out/obj/$b.o"
  if [ "${f##*.}" = cu ]; then python3 "$here/convert.py" "$f" "$out/gen/$b.cpp"; in="$out/gen/$b.cpp"; else in="$f"; fi
  $CXX $flags -x c++ -c -o "$o.tmp" "$in" && mv "$o.tmp" "$o"'
# shellcheck disable=SC2086
$CXX -shared -pthread -o "$lib.tmp" "$out"/obj/*.o
mv "$lib.tmp" "$lib"
echo "[lurm emulated device] built $lib (${#stale[@]} sources compiled) with $($CXX --version | head -1)"
