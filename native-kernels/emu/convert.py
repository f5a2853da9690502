"""Rewrites a .cu file of native-kernels/src for g++ and the emulated device (emu/include/cuda_runtime.h): kernel
launches `k<<<g, b, s, st>>>(args)` become `emu::launch(k, g, b, s, st, args)`, and dynamic shared memory
(`extern __shared__ T name[];`) becomes a pointer to the running block's buffer. Usage: convert.py IN OUT."""
import re
import sys

src = open(sys.argv[1]).read()
src = re.sub(r"extern\s+__shared__\s+(?:__align__\(\d+\)\s+)?([\w:]+)\s+(\w+)\s*\[\s*\]\s*;",
             lambda m: "%s *%s = reinterpret_cast<%s *>(emu::dynamicShared());" % (m.group(1), m.group(2), m.group(1)), src)
# Kernels that are function templates: launched without explicit template arguments they have no address.
templates = set(re.findall(r"template\s*<[^;{]*?>\s*__global__\s+(?:__launch_bounds__\([^)]*\)\s+)?void\s+(\w+)", src))
out, i = [], 0
pat = re.compile(r"<<<")
while True:
    m = pat.search(src, i)
    if not m:
        out.append(src[i:])
        break
    # the kernel expression: back to the start of the statement's identifier (letters, digits, _, :, <, >, ,)
    j = m.start()
    k = j
    depth = 0
    while k > 0:
        c = src[k - 1]
        if c == ">":
            depth += 1
        elif c == "<":
            depth -= 1
        elif depth == 0 and not (c.isalnum() or c in "_:"):
            break
        k -= 1
    kernel = src[k:j]
    end_cfg = src.index(">>>", j)
    cfg = src[j + 3:end_cfg]
    p = src.index("(", end_cfg)
    d, q = 0, p
    while True:
        if src[q] == "(":
            d += 1
        elif src[q] == ")":
            d -= 1
            if d == 0:
                break
        q += 1
    args = src[p + 1:q]
    out.append(src[i:k])
    cfgs = [c.strip() for c in re.split(r",(?![^(]*\))", cfg)]
    while len(cfgs) < 4:
        cfgs.append("0")
    kid = "nullptr" if kernel.strip() in templates else "emu::kernelId(%s)" % kernel
    out.append("emu::launch(%s, dim3(%s), dim3(%s), %s, (cudaStream_t)(%s), [=](auto &&...a_) { %s(a_...); }%s)" % (
        kid, cfgs[0], cfgs[1], cfgs[2], cfgs[3], kernel, (", " + args) if args.strip() else ""))
    i = q + 1
open(sys.argv[2], "w").write("".join(out))
