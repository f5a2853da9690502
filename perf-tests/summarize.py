#!/usr/bin/env python3
"""Summarise a JMH JSON result of perf-tests/bench-cpu.sh as ratios to the floor and to the anchors.

Usage: summarize.py jmh.json jmh.log   (the log holds the [boi-floor], [csr-floor] and [kmeans-bench] lines printed at setup)
"""
import json
import re
import sys

res = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read() if len(sys.argv) > 2 else ""


def ms(r):
    """Score in milliseconds per op for AverageTime results."""
    s = r["primaryMetric"]["score"]
    unit = r["primaryMetric"]["scoreUnit"]
    return {"ms/op": s, "s/op": s * 1e3, "us/op": s / 1e3}[unit]


def name(r):
    return r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]


bw = None
rows = []
for r in res:
    if "BandwidthBenchmark" in r["benchmark"]:
        n = int(r["params"]["n"])
        bw = 12 * n / (ms(r) / 1e3) / 1e9
        rows.append(("memory bandwidth (triad, all cores)", f"{bw:.1f} GB/s", "", ""))
floor = re.search(r"\[boi-floor\] events=(\d+) rows=(\d+) nnz=(\d+) floorBytes=(\d+) threads=(\d+)", log)
boi = {}
for r in res:
    if "BoiAggregationBenchmark" in r["benchmark"]:
        boi[(r["params"]["order"], r["benchmark"].split(".")[-1])] = ms(r)
if boi and floor:
    events, nrows, nnz, fbytes, threads = map(int, floor.groups())
    for order in sorted({o for o, _ in boi}):
        base = boi.get((order, "straightforward"))
        for b in ("lurmAllCores", "lurmOneCore", "straightforward"):
            t = boi.get((order, b))
            if t is None:
                continue
            evs = events / (t / 1e3) / 1e6
            fl = f"{(fbytes / (bw * 1e9)) / (t / 1e3) * 100:.1f} % of floor" if bw else ""
            an = f"{base / t:.1f}x straightforward" if base else ""
            rows.append((f"BoI aggregation {order} {b}", f"{t:.0f} ms = {evs:.1f} M events/s", fl, an))
    rows.append((f"  (BoI data: {events:,} events, {nrows:,} rows, {nnz:,} non-zeros, floor {fbytes / 1e6:.0f} MB moved)", "", "", ""))
km = {}
for r in res:
    if "KMeansAssignBenchmark" in r["benchmark"]:
        km[(r["params"]["source"], r["params"]["shape"], r["benchmark"].split(".")[-1])] = r["primaryMetric"]["score"]
for (src, shape) in sorted({(a, b) for a, b, _ in km}):
    v, s = km.get((src, shape, "vectorApi")), km.get((src, shape, "scalarJava"))
    k = int(shape.split("-")[-1])
    coarse = round(k ** 0.5) if shape.startswith("two") else 0
    dots = (coarse + k // max(1, coarse)) if coarse else k
    for b, x in (("vectorApi", v), ("scalarJava", s)):
        if x is None:
            continue
        gf = x * 2 * 64 * dots / 1e9
        rows.append((f"k-means assign {src} {shape} {b}", f"{x / 1e3:,.0f} k points/s ({gf:.1f} GFLOP/s)", "",
                     f"{v / s:.1f}x scalar" if (b == "vectorApi" and v and s) else ""))
csr = {}
for r in res:
    if "CsrProductBenchmark" in r["benchmark"]:
        csr[r["benchmark"].split(".")[-1]] = ms(r)
cf = re.search(r"\[csr-floor\] rows=(\d+) cols=(\d+) nnz=(\d+) l=(\d+) compulsoryBytes=(\d+) gatheredBytes=(\d+) flops=(\d+) threads=(\d+)", log)
if csr and cf:
    crow, ccol, nnz, l, comp, gath, flops, threads = map(int, cf.groups())
    base = csr.get("axpyPerNonZero")
    for b in ("lurm", "axpyPerNonZero"):
        t = csr.get(b)
        if t is None:
            continue
        fl = f"{(comp / (bw * 1e9)) / (t / 1e3) * 100:.0f} % of floor (compulsory bytes)" if bw else ""
        an = f"{base / t:.1f}x axpy per non-zero" if base else ""
        rows.append((f"CSR x dense (SVD pass) {b}", f"{t:.0f} ms = {flops / (t / 1e3) / 1e9:.1f} GFLOP/s, {gath / (t / 1e3) / 1e9:.1f} GB/s gathered", fl, an))
    rows.append((f"  (PPMI {crow:,} x {ccol:,}, {nnz:,} non-zeros, l = {l}; compulsory {comp / 1e6:.0f} MB, gathered {gath / 1e9:.1f} GB)", "", "", ""))
w = max(len(r[0]) for r in rows)
print()
print(f"| {'what'.ljust(w)} | measured | vs floor | vs anchor |")
print(f"|{'-' * (w + 2)}|---|---|---|")
for r in rows:
    print(f"| {r[0].ljust(w)} | {r[1]} | {r[2]} | {r[3]} |")
