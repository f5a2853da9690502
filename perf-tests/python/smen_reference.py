#!/usr/bin/python3
"""PyTorch reference of SMEN (MODEL.md, Stage 2): the numerical oracle of the Java model and its speed anchor.

Written straight from MODEL.md, with the parameter layout of ``org.lurm.smen.SmenLayout`` (one flat array:
V, A, W, b, q, beta, g, P1, c1, P2, c2, row-major) and the batch structure of ``org.lurm.smen.SmenBatch``
(rows grouped by (user, scale), CSR interests with weighted BoI values > 0, a recency bucket per row,
``groupStart`` offsets). The loss is that of two views A and B of the same B users, optionally with the
cross-view interest prediction term of ``org.lurm.smen.ops.InterestPrediction`` (``predictionWeight`` > 0).

Modes (see README.md in this folder for the case-directory format):

  case DIR [DIR ...] [--float64]   loss and gradient of every parameter for each case directory -> DIR/out/
  bench [sizes] [--threads N]      ms per training step (forward, backward, lazy/dense Adam) on random data
  defaults                         the default sizes (mirroring SmenConfig.defaults()) as one JSON line

Choices MODEL.md leaves open, made here and mirrored by the Java model (named in README.md):
  * p = y / max(|y|, 1e-12) and Ahat_m = A_m / max(|A_m|, 1e-12) (torch.nn.functional.normalize's eps);
  * a user without rows at a scale is masked out of that scale's softmax; a user without rows at all gets
    z = 0 (the projection head still runs: its p is that of z = 0);
  * the order of interests within a row and of rows within a (user, scale) group does not matter (softmaxes).

Run with Debian's /usr/bin/python3 (python3-torch), not another interpreter first on PATH.
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

FORMAT = "lurm-smen-case"
VERSION = 1
NORMALIZE_EPS = 1e-12
# InterestPrediction.FULL_SOFTMAX_MAX: up to this K the prediction's softmax runs over all K interests; above, over
# sampled candidates, which a case must then list (the Java side draws them; see README.md).
FULL_SOFTMAX_MAX = 8192

# Mirrors org.lurm.SmenConfig.defaults() (SmenCaseTest checks that the two agree).
DEFAULTS = {
    "h": 64, "anchors": 8, "anchorDim": 16, "recencyBuckets": 16, "headHidden": 256, "headOut": 128,
    "tau": 0.1, "diversityWeight": 0.1, "learningRate": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
    "warmupSteps": 100, "clipNorm": 5.0, "batchUsers": 256, "predictionWeight": 1.0,
}

DTYPES = {"f32": (torch.float32, 4), "f64": (torch.float64, 8), "i32": (torch.int32, 4)}
VIEW_ARRAYS = ("rowPtr", "cols", "vals", "rowBucket", "groupStart")


class CaseError(ValueError):
    """A case directory that does not describe a valid SMEN case; the message names the file and field."""


def as_f32(x):
    """Round a Python float to the nearest float32 (the Java config holds tau etc. as float)."""
    return struct.unpack("<f", struct.pack("<f", float(x)))[0]


# ----------------------------------------------------------------------------------------------------------
# Configuration and parameter layout
# ----------------------------------------------------------------------------------------------------------

class Config:
    """SMEN sizes of one case: h, M (anchors), d' (anchorDim), R, head widths, tau, w_div, K, S, w_pred."""

    INT_FIELDS = ("h", "anchors", "anchorDim", "recencyBuckets", "headHidden", "headOut", "numInterests", "scales")

    def __init__(self, h, anchors, anchorDim, recencyBuckets, headHidden, headOut, tau, diversityWeight,
                 numInterests, scales, predictionWeight=0.0, where="config"):
        for name, v in zip(self.INT_FIELDS, (h, anchors, anchorDim, recencyBuckets, headHidden, headOut,
                                             numInterests, scales)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise CaseError(f"{where}: {name} must be an integer >= 1, got {v!r}")
        if recencyBuckets < 2:
            raise CaseError(f"{where}: recencyBuckets must be >= 2, got {recencyBuckets}")
        if not isinstance(tau, (int, float)) or not tau > 0 or not math.isfinite(tau):
            raise CaseError(f"{where}: tau must be a finite number > 0, got {tau!r}")
        if not isinstance(diversityWeight, (int, float)) or not diversityWeight >= 0 or not math.isfinite(diversityWeight):
            raise CaseError(f"{where}: diversityWeight must be a finite number >= 0, got {diversityWeight!r}")
        if not isinstance(predictionWeight, (int, float)) or not predictionWeight >= 0 or not math.isfinite(predictionWeight):
            raise CaseError(f"{where}: predictionWeight must be a finite number >= 0, got {predictionWeight!r}")
        self.h, self.M, self.d, self.R = h, anchors, anchorDim, recencyBuckets
        self.H1, self.H2 = headHidden, headOut
        # The Java config stores these as float: round so that the f64 oracle sees the same numbers.
        self.tau, self.w_div, self.w_pred = as_f32(tau), as_f32(diversityWeight), as_f32(predictionWeight)
        self.K, self.S = numInterests, scales

    @staticmethod
    def from_json(obj, where):
        if not isinstance(obj, dict):
            raise CaseError(f"{where}: 'config' must be an object")
        names = Config.INT_FIELDS + ("tau", "diversityWeight")
        missing = [n for n in names if n not in obj]
        if missing:
            raise CaseError(f"{where}: config lacks {missing}")
        # Optional (cases written before the prediction term have none): 0, the term off.
        return Config(**{n: obj[n] for n in names}, predictionWeight=obj.get("predictionWeight", 0.0), where=where)

    def to_json(self):
        return {"h": self.h, "anchors": self.M, "anchorDim": self.d, "recencyBuckets": self.R,
                "headHidden": self.H1, "headOut": self.H2, "tau": self.tau, "diversityWeight": self.w_div,
                "numInterests": self.K, "scales": self.S, "predictionWeight": self.w_pred}

    def layout(self):
        """[(name, offset, shape)] in SmenLayout's order; V first, so the dense parameters are one tail."""
        shapes = [("V", (self.K, self.h)), ("A", (self.M, self.h)), ("W", (self.M, self.h, self.d)),
                  ("b", (self.M, self.d)), ("q", (self.S, self.M, self.d)), ("beta", (self.S, self.R)),
                  ("g", (self.M, self.d)), ("P1", (self.M * self.d, self.H1)), ("c1", (self.H1,)),
                  ("P2", (self.H1, self.H2)), ("c2", (self.H2,))]
        out, off = [], 0
        for name, shape in shapes:
            out.append((name, off, shape))
            off += math.prod(shape)
        return out

    def total(self):
        name, off, shape = self.layout()[-1]
        return off + math.prod(shape)


def unflatten(theta, cfg):
    """Views of the flat parameter vector as named tensors (gradients flow back into theta)."""
    return {name: theta[off:off + math.prod(shape)].view(*shape) for name, off, shape in cfg.layout()}


# ----------------------------------------------------------------------------------------------------------
# One view of a batch (SmenBatch) and its padded form
# ----------------------------------------------------------------------------------------------------------

class View:
    """One view of a batch exactly as SmenBatch: B users, S scales, T rows, CSR (rowPtr, cols, vals),
    rowBucket (T) and groupStart (B*S+1). Integer arrays are int64 tensors, vals float32 or float64."""

    def __init__(self, users, rows, rowPtr, cols, vals, rowBucket, groupStart):
        self.users, self.rows = users, rows
        self.rowPtr, self.cols, self.vals = rowPtr, cols, vals
        self.rowBucket, self.groupStart = rowBucket, groupStart

    def validate(self, cfg, where, files=None):
        """Checks the SmenBatch invariants; messages name `where` and, per array, its file when given."""
        files = files or {}
        name = lambda key: f"{files[key]} ({where}.{key})" if key in files else f"{where}.{key}"
        B, T = self.users, self.rows
        if not isinstance(B, int) or B < 1:
            raise CaseError(f"{where}: users must be an integer >= 1, got {B!r}")
        if not isinstance(T, int) or T < 0:
            raise CaseError(f"{where}: rows must be an integer >= 0, got {T!r}")
        expect = {"rowPtr": T + 1, "rowBucket": T, "groupStart": B * cfg.S + 1}
        for key, n in expect.items():
            if getattr(self, key).numel() != n:
                raise CaseError(f"{name(key)}: expected {n} entries, got {getattr(self, key).numel()}")
        rp = self.rowPtr
        if rp[0].item() != 0:
            raise CaseError(f"{name('rowPtr')}: entry 0 must be 0, got {rp[0].item()}")
        if T > 0:
            lens = rp[1:] - rp[:-1]
            bad = torch.nonzero(lens < 1)
            if bad.numel():
                t = bad[0].item()
                raise CaseError(f"{name('rowPtr')}: row {t} has {lens[t].item()} non-zeros (rows must be non-empty, "
                                "rowPtr strictly increasing)")
        nnz = rp[-1].item()
        for key in ("cols", "vals"):
            if getattr(self, key).numel() != nnz:
                raise CaseError(f"{name(key)}: expected rowPtr[rows] = {nnz} entries, got {getattr(self, key).numel()}")
        first_bad(self.cols, (self.cols < 0) | (self.cols >= cfg.K), name("cols"), f"outside [0, K={cfg.K})")
        first_bad(self.vals, ~(torch.isfinite(self.vals) & (self.vals > 0)), name("vals"), "not a finite value > 0")
        first_bad(self.rowBucket, (self.rowBucket < 0) | (self.rowBucket >= cfg.R), name("rowBucket"),
                  f"outside [0, R={cfg.R})")
        gs = self.groupStart
        if gs[0].item() != 0 or gs[-1].item() != T:
            raise CaseError(f"{name('groupStart')}: must run from 0 to rows = {T}, got {gs[0].item()} .. {gs[-1].item()}")
        dec = torch.nonzero(gs[1:] < gs[:-1])
        if dec.numel():
            i = dec[0].item() + 1
            raise CaseError(f"{name('groupStart')}: entry {i} = {gs[i].item()} is smaller than entry {i - 1} = "
                            f"{gs[i - 1].item()} (offsets must not decrease)")


def first_bad(values, bad_mask, where, what):
    idx = torch.nonzero(bad_mask)
    if idx.numel():
        i = idx[0].item()
        raise CaseError(f"{where}: entry {i} = {values[i].item()} is {what} ({idx.shape[0]} bad entries)")


def prepare_view(view, cfg, device="cpu", dtype=torch.float32):
    """Padded index tensors of one view, built once per batch so the forward has no data-dependent shapes
    (torch.compile-friendly). Rows are padded to the longest row (masked with -inf log-weights), non-empty
    (user, scale) groups to the longest group (masked with -inf time logits)."""
    B, S, T = view.users, cfg.S, view.rows
    rp = view.rowPtr.to(torch.int64)
    lens = rp[1:] - rp[:-1]
    n_max = max(int(lens.max().item()) if T > 0 else 1, 1)
    nnz = int(rp[-1].item())
    row_of = torch.repeat_interleave(torch.arange(T), lens)
    pos = torch.arange(nnz) - rp[:-1][row_of]
    cols_pad = torch.zeros(T, n_max, dtype=torch.int64)
    cols_pad[row_of, pos] = view.cols.to(torch.int64)
    logw_pad = torch.full((T, n_max), -math.inf, dtype=dtype)
    logw_pad[row_of, pos] = torch.log(view.vals.to(dtype))

    gs = view.groupStart.to(torch.int64)
    glen = gs[1:] - gs[:-1]
    nonempty = torch.nonzero(glen > 0).flatten()
    g_max = max(int(glen.max().item()) if T > 0 else 1, 1)
    tpos = torch.arange(g_max)
    row_pad = gs[:-1][nonempty][:, None] + tpos[None, :]
    row_mask = tpos[None, :] < glen[nonempty][:, None]
    row_pad = torch.where(row_mask, row_pad, torch.zeros_like(row_pad))
    bucket_pad = view.rowBucket.to(torch.int64)[row_pad] if T > 0 else torch.zeros_like(row_pad)
    has_rows = (glen > 0).view(B, S)
    # The prediction's targets come from the finest scale (s = 0): the user and weight of each of its non-zeros.
    row_group = torch.repeat_interleave(torch.arange(B * S), glen)
    nz_group = row_group[row_of]
    fine = (nz_group % S) == 0
    return {
        "tgt_user": (nz_group[fine] // S).to(device), "tgt_col": view.cols.to(torch.int64)[fine].to(device),
        "tgt_val": view.vals.to(torch.float64)[fine].to(device),
        "users": B,
        "cols_pad": cols_pad.to(device), "logw_pad": logw_pad.to(device),
        "nonempty": nonempty.to(device), "group_scale": (nonempty % S).to(device),
        "row_pad": row_pad.to(device), "row_mask": row_mask.to(device), "bucket_pad": bucket_pad.to(device),
        "has_rows": has_rows.to(device), "user_has_rows": has_rows.any(dim=1).to(device),
    }


# ----------------------------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------------------------

def forward_view(P, prep, cfg, sparse_v=False, keep=False):
    """z (B x M*d') of one view; with keep=True also the intermediates (a, r, o, u, c) in a dict."""
    V, A, W, b, q, beta, g = (P[n] for n in ("V", "A", "W", "b", "q", "beta", "g"))
    h, M, d, S, B = cfg.h, cfg.M, cfg.d, cfg.S, prep["users"]

    # Multi-anchor module: s[m,j] = A_m . V[k_j] / sqrt(h) + log w_j; a = softmax_j; r_m = sum_j a V[k_j].
    Vk = F.embedding(prep["cols_pad"], V, sparse=sparse_v)                      # T x n x h
    s = torch.einsum("tnh,mh->tmn", Vk, A) / math.sqrt(h) + prep["logw_pad"][:, None, :]
    a = torch.softmax(s, dim=-1)                                                 # T x M x n, 0 on padding
    r = torch.matmul(a, Vk)                                                      # T x M x h
    o = torch.einsum("tmh,mhd->tmd", r, W) + b                                   # T x M x d'

    # Time aggregation module over the rows of each non-empty (user, scale) group.
    og = o[prep["row_pad"]]                                                      # G' x Tg x M x d'
    gsc = prep["group_scale"]
    e = torch.einsum("gtmd,gmd->gmt", og, q[gsc]) / math.sqrt(d) \
        + beta[gsc[:, None], prep["bucket_pad"]][:, None, :]
    e = e.masked_fill(~prep["row_mask"][:, None, :], -math.inf)
    alpha = torch.softmax(e, dim=-1)                                             # G' x M x Tg
    u_ne = torch.einsum("gmt,gtmd->gmd", alpha, og)
    u = torch.zeros(B * S, M, d, dtype=o.dtype, device=o.device).index_copy(0, prep["nonempty"], u_ne)
    u = u.view(B, S, M, d)

    # Multi-scale aggregation: softmax over the scales a user has rows at; no rows at all -> z = 0 (u = 0).
    logits = torch.einsum("bsmd,md->bms", u, g) / math.sqrt(d)
    has = prep["has_rows"][:, None, :]
    logits = logits.masked_fill(~has, -math.inf)
    logits = torch.where(prep["user_has_rows"][:, None, None], logits, torch.zeros_like(logits))
    c = torch.softmax(logits, dim=-1)                                            # B x M x S
    z = torch.einsum("bms,bsmd->bmd", c, u).reshape(B, M * d)
    if keep:
        return z, {"a": a, "r": r, "o": o, "u": u, "c": c, "alpha": alpha}
    return z


def head(P, z):
    """p = normalize(P2 . relu(P1 . z + c1) + c2), as row vectors: z @ P1 (SmenLayout's orientation)."""
    hid = torch.relu(z @ P["P1"] + P["c1"])
    y = hid @ P["P2"] + P["c2"]
    return F.normalize(y, dim=1, eps=NORMALIZE_EPS)


def targets(prep, cand, dtype):
    """B x C targets of one view (InterestPrediction.targets): per user its finest-scale weights summed per
    candidate and normalised to sum 1; all zero for a user without finest-scale rows. Every interest there must
    be a candidate."""
    B, C = prep["users"], cand.numel()
    col = prep["tgt_col"]
    pos = torch.searchsorted(cand, col).clamp(max=C - 1)
    miss = cand[pos] != col
    if bool(miss.any()):
        raise CaseError(f"interest {int(col[miss][0])} of a view is not among the prediction's candidates")
    y = torch.zeros(B, C, dtype=torch.float64, device=cand.device)
    y.index_put_((prep["tgt_user"], pos), prep["tgt_val"], accumulate=True)
    mass = y.sum(dim=1, keepdim=True)
    return (y / torch.where(mass > 0, mass, torch.ones_like(mass))).to(dtype)


def prepare_prediction(prepA, prepB, cfg, candidates=None, dtype=torch.float32):
    """The prediction's batch inputs: the ascending candidates (all K when not given; above FULL_SOFTMAX_MAX the
    caller must give them, as the Java side samples them) and both views' targets over them."""
    device = prepA["tgt_col"].device
    if candidates is None:
        if cfg.K > FULL_SOFTMAX_MAX:
            raise CaseError(f"K = {cfg.K} > {FULL_SOFTMAX_MAX}: the prediction's candidates are sampled, so the case must "
                            "list them (arrays.candidates)")
        candidates = torch.arange(cfg.K)
    cand = candidates.to(device=device, dtype=torch.int64)
    return {"cand": cand, "yA": targets(prepA, cand, dtype), "yB": targets(prepB, cand, dtype)}


def prediction_loss(P, z, cand, y, cfg, sparse_v=False):
    """One direction of L_pred: q = sum_m W_m z_m, logits = V[cand] q / sqrt(h), cross-entropy with the targets y,
    mean over the users that have targets (0 when none has)."""
    B = z.shape[0]
    q = torch.einsum("bmd,mhd->bh", z.view(B, cfg.M, cfg.d), P["W"])
    Vc = F.embedding(cand, P["V"], sparse=sparse_v)                              # C x h
    logp = torch.log_softmax(q @ Vc.t() / math.sqrt(cfg.h), dim=1)
    scored = (y.sum(dim=1) > 0).to(logp.dtype)
    # Masked rather than indexed (no data-dependent shapes, torch.compile-friendly); 0 / 1 when nobody is scored.
    return ((-(y * logp).sum(dim=1)) * scored).sum() / scored.sum().clamp(min=1)


def loss_terms(P, prepA, prepB, cfg, sparse_v=False, pred=None):
    """(L, L_nce, L_div, zA, zB, pA, pB, L_pred) for two views of the same users; L_pred (0 when w_pred = 0) over
    `pred` (prepare_prediction; all K when None)."""
    zA = forward_view(P, prepA, cfg, sparse_v)
    zB = forward_view(P, prepB, cfg, sparse_v)
    pA, pB = head(P, zA), head(P, zB)
    logits = (pA @ pB.t()) / cfg.tau
    target = torch.arange(logits.shape[0], device=logits.device)
    nce = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))
    Ahat = F.normalize(P["A"], dim=1, eps=NORMALIZE_EPS)
    eye = torch.eye(cfg.M, dtype=Ahat.dtype, device=Ahat.device)
    div = ((Ahat @ Ahat.t() - eye) ** 2).sum() / (cfg.M * cfg.M)
    loss = nce + cfg.w_div * div
    if cfg.w_pred > 0:
        if pred is None:
            pred = prepare_prediction(prepA, prepB, cfg, dtype=zA.dtype)
        # z_A predicts view B's interests and z_B view A's, as SmenModel.prediction.
        lp = 0.5 * (prediction_loss(P, zA, pred["cand"], pred["yB"], cfg, sparse_v)
                    + prediction_loss(P, zB, pred["cand"], pred["yA"], cfg, sparse_v))
        loss = loss + cfg.w_pred * lp
    else:
        lp = zA.new_zeros(())
    return loss, nce, div, zA, zB, pA, pB, lp


def flat_loss(theta, prepA, prepB, cfg, pred=None):
    """L as a function of the flat parameter vector (for gradcheck and the case mode)."""
    return loss_terms(unflatten(theta, cfg), prepA, prepB, cfg, pred=pred)[0]


# ----------------------------------------------------------------------------------------------------------
# Case directories
# ----------------------------------------------------------------------------------------------------------

def read_array(case_dir, spec, where):
    if not isinstance(spec, dict) or not {"file", "dtype", "shape"} <= spec.keys():
        raise CaseError(f"{where}: an array entry needs 'file', 'dtype' and 'shape', got {spec!r}")
    if spec["dtype"] not in DTYPES:
        raise CaseError(f"{where}: dtype must be one of {sorted(DTYPES)}, got {spec['dtype']!r}")
    shape = spec["shape"]
    if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise CaseError(f"{where}: shape must be a list of integers >= 0, got {shape!r}")
    name = spec["file"]
    if not isinstance(name, str) or "/" in name or "\\" in name or name in ("", ".", ".."):
        raise CaseError(f"{where}: file must be a plain file name inside the case directory, got {name!r}")
    path = os.path.join(case_dir, name)
    if not os.path.isfile(path):
        raise CaseError(f"{where}: file {path} does not exist")
    dtype, size = DTYPES[spec["dtype"]]
    n = math.prod(shape)
    nbytes = os.path.getsize(path)
    if nbytes != n * size:
        raise CaseError(f"{path}: {nbytes} bytes, expected {n * size} ({spec['dtype']} x {shape})")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    t = torch.frombuffer(data, dtype=dtype) if n else torch.empty(0, dtype=dtype)
    return t.reshape(shape), path


def write_array(path, tensor, dtype):
    t = tensor.detach().to("cpu", DTYPES[dtype][0]).contiguous()
    with open(path, "wb") as f:
        f.write(t.numpy().tobytes())


def check_little_endian():
    if sys.byteorder != "little":
        raise CaseError("case files are little-endian; this host is big-endian")


def read_case(case_dir):
    """(cfg, params tensor (f32 or f64 as stored), view A, view B) of a case directory; validates everything."""
    check_little_endian()
    meta_path = os.path.join(case_dir, "case.json")
    if not os.path.isfile(meta_path):
        raise CaseError(f"{meta_path} does not exist")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except json.JSONDecodeError as e:
        raise CaseError(f"{meta_path}: not valid JSON: {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CaseError(f"{meta_path}: expected format {FORMAT!r} version {VERSION}, got "
                        f"{meta.get('format') if isinstance(meta, dict) else meta!r} version "
                        f"{meta.get('version') if isinstance(meta, dict) else None}")
    cfg = Config.from_json(meta.get("config"), f"{meta_path} config")
    if "layout" in meta:
        # The writer's own idea of the layout (SmenLayout): must agree with ours, tensor by tensor.
        ours = [{"name": n, "offset": o, "shape": list(s)} for n, o, s in cfg.layout()]
        if meta["layout"] != ours:
            raise CaseError(f"{meta_path}: layout differs from the reference's: {meta['layout']} vs {ours}")
    arrays = meta.get("arrays")
    if not isinstance(arrays, dict) or "params" not in arrays:
        raise CaseError(f"{meta_path}: 'arrays' must be an object with 'params'")
    params, ppath = read_array(case_dir, arrays["params"], f"{meta_path} arrays.params")
    if arrays["params"]["dtype"] not in ("f32", "f64") or params.shape != (cfg.total(),):
        raise CaseError(f"{ppath}: params must be f32 or f64 of shape [{cfg.total()}], got "
                        f"{arrays['params']['dtype']} {list(params.shape)}")
    if not torch.isfinite(params).all():
        i = torch.nonzero(~torch.isfinite(params))[0].item()
        raise CaseError(f"{ppath}: entry {i} (tensor {tensor_of(cfg, i)}) is not finite")
    views = []
    for vname in ("A", "B"):
        vmeta = meta.get("views", {}).get(vname) if isinstance(meta.get("views"), dict) else None
        where = f"{meta_path} views.{vname}"
        if not isinstance(vmeta, dict):
            raise CaseError(f"{where}: missing")
        for key in ("users", "rows") + VIEW_ARRAYS:
            if key not in vmeta:
                raise CaseError(f"{where}: lacks '{key}'")
        loaded, files = {}, {}
        for key in VIEW_ARRAYS:
            t, path = read_array(case_dir, vmeta[key], f"{where}.{key}")
            files[key] = path
            want = "f32" if key == "vals" else "i32"
            if vmeta[key]["dtype"] not in ((want, "f64") if key == "vals" else (want,)):
                raise CaseError(f"{path}: {key} must be {want}, got {vmeta[key]['dtype']}")
            loaded[key] = t.reshape(-1) if key == "vals" else t.reshape(-1).to(torch.int64)
        view = View(vmeta["users"], vmeta["rows"], **loaded)
        view.validate(cfg, f"view {vname}", files)
        views.append(view)
    if views[0].users != views[1].users:
        raise CaseError(f"{meta_path}: views A and B must hold the same users, got {views[0].users} and {views[1].users}")
    candidates = None
    if "candidates" in arrays:
        # The prediction's candidates, when the writer sampled them (K > FULL_SOFTMAX_MAX): ascending, distinct.
        cand, cpath = read_array(case_dir, arrays["candidates"], f"{meta_path} arrays.candidates")
        if arrays["candidates"]["dtype"] != "i32" or cand.dim() != 1 or cand.numel() < 1:
            raise CaseError(f"{cpath}: candidates must be a non-empty i32 vector")
        candidates = cand.to(torch.int64)
        first_bad(candidates, (candidates < 0) | (candidates >= cfg.K), cpath, f"outside [0, K={cfg.K})")
        if candidates.numel() > 1:
            first_bad(candidates[1:], candidates[1:] <= candidates[:-1], cpath,
                      "not above the entry before it (candidates must be ascending and distinct; entries counted from 1)")
    return cfg, params, views[0], views[1], candidates


def tensor_of(cfg, i):
    for name, off, shape in cfg.layout():
        if off <= i < off + math.prod(shape):
            return f"{name}[{i - off}]"
    return "?"


def write_case(case_dir, cfg, params, viewA, viewB, params_dtype="f32", candidates=None):
    """Write a case directory (used by the Python tests; the Java side has its own writer, SmenCase)."""
    os.makedirs(case_dir, exist_ok=True)
    arrays = {"params": {"file": f"params.{params_dtype}", "dtype": params_dtype, "shape": [cfg.total()]}}
    write_array(os.path.join(case_dir, arrays["params"]["file"]), params, params_dtype)
    if candidates is not None:
        arrays["candidates"] = {"file": "candidates.i32", "dtype": "i32", "shape": [candidates.numel()]}
        write_array(os.path.join(case_dir, "candidates.i32"), candidates, "i32")
    views = {}
    for vname, v in (("A", viewA), ("B", viewB)):
        entry = {"users": v.users, "rows": v.rows}
        for key in VIEW_ARRAYS:
            dt = "f32" if key == "vals" else "i32"
            t = getattr(v, key)
            entry[key] = {"file": f"{vname}.{key}.{dt}", "dtype": dt, "shape": [t.numel()]}
            write_array(os.path.join(case_dir, entry[key]["file"]), t, dt)
        views[vname] = entry
    meta = {"format": FORMAT, "version": VERSION, "config": cfg.to_json(),
            "layout": [{"name": n, "offset": o, "shape": list(s)} for n, o, s in cfg.layout()],
            "arrays": arrays, "views": views}
    with open(os.path.join(case_dir, "case.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)


def run_case(case_dir, float64=False):
    """Loss and gradient of one case -> case_dir/out/ (loss.json, grad.f32 [, grad.f64], z/p per view, out.json)."""
    cfg, params, viewA, viewB, candidates = read_case(case_dir)
    dtype = torch.float64 if float64 else torch.float32
    prepA = prepare_view(viewA, cfg, dtype=dtype)
    prepB = prepare_view(viewB, cfg, dtype=dtype)
    pred = prepare_prediction(prepA, prepB, cfg, candidates, dtype) if cfg.w_pred > 0 else None
    theta = params.to(dtype).clone().requires_grad_(True)
    loss, nce, div, zA, zB, pA, pB, lp = loss_terms(unflatten(theta, cfg), prepA, prepB, cfg, pred=pred)
    loss.backward()
    out = os.path.join(case_dir, "out")
    os.makedirs(out, exist_ok=True)
    arrays = {}
    outputs = {"grad": (theta.grad, [cfg.total()]), "zA": (zA, list(zA.shape)), "zB": (zB, list(zB.shape)),
               "pA": (pA, list(pA.shape)), "pB": (pB, list(pB.shape))}
    for name, (t, shape) in outputs.items():
        for dt in (("f32", "f64") if float64 else ("f32",)):
            arrays.setdefault(name, []).append({"file": f"{name}.{dt}", "dtype": dt, "shape": shape})
            write_array(os.path.join(out, f"{name}.{dt}"), t, dt)
    empty = {"emptyA": ~prepA["user_has_rows"], "emptyB": ~prepB["user_has_rows"]}
    for name, t in empty.items():
        arrays[name] = [{"file": f"{name}.i32", "dtype": "i32", "shape": [t.numel()]}]
        write_array(os.path.join(out, f"{name}.i32"), t.to(torch.int32), "i32")
    with open(os.path.join(out, "loss.json"), "w", encoding="utf-8") as f:
        json.dump({"loss": loss.item(), "nce": nce.item(), "div": div.item(), "pred": lp.item()}, f)
    with open(os.path.join(out, "out.json"), "w", encoding="utf-8") as f:
        json.dump({"format": FORMAT + "-out", "version": VERSION, "dtype": "f64" if float64 else "f32",
                   "torch": torch.__version__, "threads": torch.get_num_threads(),
                   "layout": [{"name": n, "offset": o, "shape": list(s)} for n, o, s in cfg.layout()],
                   "arrays": arrays}, f, indent=1)
    return loss.item()


# ----------------------------------------------------------------------------------------------------------
# Random batches (bench and tests)
# ----------------------------------------------------------------------------------------------------------

def random_view(gen, cfg, users, rows_per_group, nnz_per_row, empty_scale_users=0, empty_users=0):
    """A random view: rows per (user, scale) uniform in [1, 2*rows_per_group-1], distinct sorted interests per
    row, their count uniform in [1, 2*nnz_per_row-1] (capped at K), weights log(1+x) with x in [1, 5),
    recency buckets decreasing from the newest row (log2 of the age, history row in R-1).
    The first empty_users users have no rows, the next empty_scale_users none at scale 0."""
    S, K, R = cfg.S, cfg.K, cfg.R
    rowPtr, cols, vals, buckets, groupStart = [0], [], [], [], [0]
    for u in range(users):
        for s in range(S):
            if u < empty_users or (u < empty_users + empty_scale_users and s == 0):
                n_rows = 0
            else:
                n_rows = int(torch.randint(1, 2 * rows_per_group, (1,), generator=gen))
            for t in range(n_rows):
                n = min(K, int(torch.randint(1, 2 * nnz_per_row, (1,), generator=gen)))
                k = distinct_sorted(gen, K, n)
                cols.append(k)
                vals.append(torch.log1p(1 + 4 * torch.rand(n, generator=gen)))
                rowPtr.append(rowPtr[-1] + n)
                age = n_rows - 1 - t
                buckets.append(R - 1 if t == 0 and n_rows > 2 else min(R - 2, int(math.log2(1 + age))))
            groupStart.append(groupStart[-1] + n_rows)
    T = len(buckets)
    cat_i = (lambda xs: torch.cat(xs).to(torch.int64)) if cols else (lambda xs: torch.zeros(0, dtype=torch.int64))
    return View(users, T, torch.tensor(rowPtr, dtype=torch.int64), cat_i(cols),
                torch.cat(vals).to(torch.float32) if vals else torch.zeros(0), torch.tensor(buckets, dtype=torch.int64),
                torch.tensor(groupStart, dtype=torch.int64))


def distinct_sorted(gen, K, n):
    """n distinct interests out of K, uniformly, sorted; O(n log n) when n is small against K."""
    if 4 * n < K:
        c = torch.unique(torch.randint(0, K, (2 * n,), generator=gen))
        if c.numel() >= n:
            return c[torch.randperm(c.numel(), generator=gen)[:n]].sort().values
    return torch.randperm(K, generator=gen)[:n].sort().values


def blas_libraries():
    """The BLAS libraries this process mapped (Debian's torch uses whatever libblas.so.3 points to)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {os.path.realpath(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line}
        return sorted(libs)
    except OSError:
        return []


def sample_candidates(gen, cfg, viewA, viewB):
    """Candidates as InterestPrediction.candidates draws them: all K up to FULL_SOFTMAX_MAX, else both views'
    interests plus uniform negatives up to FULL_SOFTMAX_MAX (another random stream than Java's: for the bench)."""
    if cfg.K <= FULL_SOFTMAX_MAX:
        return torch.arange(cfg.K)
    have = torch.zeros(cfg.K, dtype=torch.bool)
    have[torch.cat([viewA.cols, viewB.cols])] = True
    want = max(int(have.sum()), FULL_SOFTMAX_MAX)
    rest = torch.nonzero(~have).flatten()
    extra = want - int(have.sum())
    have[rest[torch.randperm(rest.numel(), generator=gen)[:extra]]] = True
    return torch.nonzero(have).flatten()


def random_params(gen, cfg, dtype=torch.float32, scale=0.5):
    """Random parameters with non-trivial softmaxes; c1 > 0 keeps most ReLUs of the head alive."""
    theta = torch.randn(cfg.total(), generator=gen, dtype=torch.float64) * scale
    for name, off, shape in cfg.layout():
        if name == "c1":
            theta[off:off + math.prod(shape)] = 0.1 + 0.4 * torch.rand(math.prod(shape), generator=gen, dtype=torch.float64)
    return theta.to(dtype)


# ----------------------------------------------------------------------------------------------------------
# Bench
# ----------------------------------------------------------------------------------------------------------

def bench(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda, but torch.cuda.is_available() is False")
    if args.compile and not hasattr(torch, "compile"):
        raise SystemExit(f"error: --compile needs PyTorch 2.x (torch.compile); this is torch {torch.__version__}")
    v_update = args.v_update or ("dense" if args.compile else "lazy")
    dtype = torch.float64 if args.float64 else torch.float32
    cfg = Config(args.h, args.anchors, args.anchor_dim, args.buckets, args.head_hidden, args.head_out,
                 args.tau, args.div_weight, args.interests, args.scales, predictionWeight=args.pred_weight, where="bench")
    gen = torch.Generator().manual_seed(args.seed)
    rows_per_group = max(1, round(args.rows_per_user / cfg.S))
    t0 = time.perf_counter()
    viewA = random_view(gen, cfg, args.users, rows_per_group, args.nnz_per_row)
    viewB = random_view(gen, cfg, args.users, rows_per_group, args.nnz_per_row)
    t_gen = time.perf_counter() - t0

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    prepA = prepare_view(viewA, cfg, device, dtype)
    prepB = prepare_view(viewB, cfg, device, dtype)
    pred = prepare_prediction(prepA, prepB, cfg, sample_candidates(gen, cfg, viewA, viewB), dtype) if cfg.w_pred > 0 else None
    sync()
    t_prep = time.perf_counter() - t0

    theta = random_params(gen, cfg, dtype, scale=0.1)
    P = {n: t.clone().to(device).requires_grad_(True) for n, t in unflatten(theta, cfg).items()}
    dense = [P[n] for n, _, _ in cfg.layout() if n != "V"]
    opt_dense = torch.optim.Adam(dense, lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    sparse_v = v_update == "lazy"
    # Lazy Adam for V (MODEL.md): only the rows a batch touched are updated.
    opt_v = torch.optim.SparseAdam([P["V"]], lr=args.lr) if sparse_v else torch.optim.Adam([P["V"]], lr=args.lr)

    def loss_fn(P, prepA, prepB):
        return loss_terms(P, prepA, prepB, cfg, sparse_v, pred)[0]

    step_loss = torch.compile(loss_fn) if args.compile else loss_fn

    def step(i):
        # Linear warm-up then cosine decay over the run, as MODEL.md; negligible cost, kept so that the step
        # is the real one.
        lr = args.lr * min(1.0, (i + 1) / max(1, args.warmup)) * 0.5 * (1 + math.cos(math.pi * i / total_steps))
        for opt in (opt_dense, opt_v):
            for grp in opt.param_groups:
                grp["lr"] = lr
        opt_dense.zero_grad(set_to_none=True)
        opt_v.zero_grad(set_to_none=True)
        loss = step_loss(P, prepA, prepB)
        loss.backward()
        if sparse_v:
            P["V"].grad = P["V"].grad.coalesce()
        # Clip by global norm (5), sparse gradient included.
        sq = sum((p.grad._values() if p.grad.is_sparse else p.grad).pow(2).sum() for p in dense + [P["V"]])
        coef = torch.clamp(args.clip / (torch.sqrt(sq) + 1e-6), max=1.0)
        for p in dense + [P["V"]]:
            p.grad.mul_(coef)
        opt_v.step()
        opt_dense.step()
        return loss

    total_steps = args.warmup + args.steps
    times, losses = [], []
    for i in range(args.warmup + args.steps):
        sync()
        t0 = time.perf_counter()
        loss = step(i)
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    fwd = []
    with torch.no_grad():
        for i in range(max(3, args.steps // 2)):
            sync()
            t0 = time.perf_counter()
            step_loss(P, prepA, prepB)
            sync()
            fwd.append(time.perf_counter() - t0)
    times.sort()
    fwd.sort()
    nnz = int(viewA.rowPtr[-1]) + int(viewB.rowPtr[-1])
    print(json.dumps({
        "mode": "bench", "impl": "pytorch-eager" if not args.compile else "pytorch-compile",
        "torch": torch.__version__, "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "threads": torch.get_num_threads(), "dtype": "f64" if args.float64 else "f32", "v_update": v_update,
        "users": args.users, "scales": cfg.S, "rows": viewA.rows + viewB.rows, "nnz": nnz,
        "K": cfg.K, "h": cfg.h, "anchors": cfg.M, "anchorDim": cfg.d, "recencyBuckets": cfg.R,
        "headHidden": cfg.H1, "headOut": cfg.H2, "predictionWeight": cfg.w_pred,
        "candidates": 0 if pred is None else int(pred["cand"].numel()), "steps": args.steps, "warmup": args.warmup,
        "ms_per_step": 1e3 * times[len(times) // 2], "ms_per_step_min": 1e3 * times[0],
        "ms_forward_nograd": 1e3 * fwd[len(fwd) // 2], "ms_prepare": 1e3 * t_prep, "ms_generate": 1e3 * t_gen,
        "loss_first": losses[0], "loss_last": losses[-1], "blas": blas_libraries(),
    }))


# ----------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="PyTorch reference of SMEN (MODEL.md Stage 2): oracle and speed anchor")
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("case", help="loss and gradients of case directories (written to DIR/out/)")
    c.add_argument("dirs", nargs="+", metavar="DIR")
    c.add_argument("--float64", action="store_true", help="compute in float64 (also writes *.f64 outputs)")
    c.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    b = sub.add_parser("bench", help="ms per training step on random data, one JSON line")
    b.add_argument("--users", type=int, default=DEFAULTS["batchUsers"])
    b.add_argument("--scales", type=int, default=2)
    b.add_argument("--rows-per-user", type=int, default=20, help="mean rows per user over all scales")
    b.add_argument("--nnz-per-row", type=int, default=20, help="mean non-zero interests per row")
    b.add_argument("--interests", type=int, default=20000, help="K")
    b.add_argument("--h", type=int, default=DEFAULTS["h"])
    b.add_argument("--anchors", type=int, default=DEFAULTS["anchors"])
    b.add_argument("--anchor-dim", type=int, default=DEFAULTS["anchorDim"])
    b.add_argument("--buckets", type=int, default=DEFAULTS["recencyBuckets"])
    b.add_argument("--head-hidden", type=int, default=DEFAULTS["headHidden"])
    b.add_argument("--head-out", type=int, default=DEFAULTS["headOut"])
    b.add_argument("--tau", type=float, default=DEFAULTS["tau"])
    b.add_argument("--div-weight", type=float, default=DEFAULTS["diversityWeight"])
    b.add_argument("--pred-weight", type=float, default=DEFAULTS["predictionWeight"], help="weight of the interest prediction term (0: off)")
    b.add_argument("--lr", type=float, default=DEFAULTS["learningRate"])
    b.add_argument("--clip", type=float, default=DEFAULTS["clipNorm"])
    b.add_argument("--steps", type=int, default=20, help="timed steps (median reported)")
    b.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    b.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--device", default="cpu", help="cpu or cuda")
    b.add_argument("--compile", action="store_true", help="torch.compile the loss (PyTorch 2.x)")
    b.add_argument("--v-update", choices=("lazy", "dense"), default=None,
                   help="V's optimiser: lazy (sparse gradient + SparseAdam, default) or dense Adam (default with --compile)")
    b.add_argument("--float64", action="store_true")
    sub.add_parser("defaults", help="print the default sizes (mirroring SmenConfig.defaults()) as JSON")
    args = ap.parse_args(argv)

    if args.mode == "defaults":
        print(json.dumps(DEFAULTS))
        return 0
    if args.mode == "bench":
        for name in ("users", "scales", "rows_per_user", "nnz_per_row", "interests", "steps"):
            if getattr(args, name) < 1:
                ap.error(f"--{name.replace('_', '-')} must be >= 1")
        bench(args)
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    for d in args.dirs:
        try:
            loss = run_case(d, args.float64)
        except CaseError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(json.dumps({"case": d, "loss": loss}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
