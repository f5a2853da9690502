"""Rewrites kernel launches `k<<<g, b, s, st>>>(args)` of a .cu file into `emu::launch(k, g, b, s, st, args)` so
that g++ compiles it against emu.h, and includes emu.h in place of cuda_runtime.h. Usage: convert.py IN OUT."""
import re
import sys

src = open(sys.argv[1]).read()
src = src.replace("#include <cuda_runtime.h>", '#include "emu.h"')
# Dynamic shared memory is emu.h's static buffer (macros sm / dsm): drop the extern declarations.
src = re.sub(r"extern __shared__[^;]*\b(sm|dsm)\[\];", "", src)
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
    out.append("emu::launch(%s, dim3(%s), dim3(%s), %s, (cudaStream_t)(%s)%s)" % (
        kernel, cfgs[0], cfgs[1], cfgs[2], cfgs[3], (", " + args) if args.strip() else ""))
    i = q + 1
open(sys.argv[2], "w").write("".join(out))
