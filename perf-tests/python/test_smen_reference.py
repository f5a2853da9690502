"""Tests of the SMEN PyTorch reference. Run from this folder with Debian's interpreter:

    /usr/bin/python3 -m unittest test_smen_reference

Every test draws a fresh seed (printed; replay with LURM_TEST_SEED=<seed>). The reference is checked against
an independent loop-by-loop float64 forward written here from MODEL.md, its gradient with
torch.autograd.gradcheck (central finite differences in float64), and its case files by round trips.
"""

import contextlib
import io
import json
import math
import os
import tempfile
import time
import unittest

import torch

import smen_reference as ref


def fresh_seed(name):
    s = os.environ.get("LURM_TEST_SEED")
    seed = int(s) if s else time.time_ns() % (2 ** 63)
    print(f"[seed] {name} = {seed} (replay with LURM_TEST_SEED={seed})")
    return seed


def small_config(gen, scales=None, users=None, pred=None):
    """Small random sizes; the interest prediction term on with weight in (0.2, 1.2) when pred is True, off when
    False, on or off at random when None."""
    ri = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=gen))
    w_pred = 0.2 + float(torch.rand(1, generator=gen))
    if pred is None:
        pred = bool(torch.rand(1, generator=gen) < 0.5)
    return ref.Config(h=ri(2, 5), anchors=ri(1, 3), anchorDim=ri(1, 3), recencyBuckets=ri(2, 5),
                      headHidden=ri(3, 5), headOut=ri(2, 4), tau=0.05 + 0.5 * float(torch.rand(1, generator=gen)),
                      diversityWeight=float(torch.rand(1, generator=gen)), numInterests=ri(4, 12),
                      scales=scales if scales is not None else ri(1, 3), predictionWeight=w_pred if pred else 0.0)


def edge_case(gen, cfg, users):
    """Two views with the edge cases: in A a user without rows (user 0) and one without rows at scale 0
    (user 1, when S > 1); in B a row with exactly one interest (user 0's first row)."""
    vA = ref.random_view(gen, cfg, users, rows_per_group=2, nnz_per_row=2, empty_users=1,
                         empty_scale_users=1 if cfg.S > 1 else 0)
    vB = ref.random_view(gen, cfg, users, rows_per_group=2, nnz_per_row=3)
    # Force a single-interest row in B.
    n0 = int(vB.rowPtr[1] - vB.rowPtr[0])
    keep = torch.ones(vB.cols.numel(), dtype=torch.bool)
    keep[1:n0] = False
    vB.cols, vB.vals = vB.cols[keep], vB.vals[keep]
    vB.rowPtr = torch.cat([vB.rowPtr[:1], vB.rowPtr[1:] - (n0 - 1)])
    vA.validate(cfg, "A")
    vB.validate(cfg, "B")
    return vA, vB


# ------------------------------------------------------------------------------------------------------
# Independent reference: MODEL.md Stage 2 row by row, anchor by anchor, in float64, no padding, no masking.
# ------------------------------------------------------------------------------------------------------

def softmax_list(xs):
    m = max(xs)
    ex = [math.exp(x - m) for x in xs]
    s = sum(ex)
    return [e / s for e in ex]


def naive_z(P, view, cfg):
    V, A, W, b, q, beta, g = (P[n].double() for n in ("V", "A", "W", "b", "q", "beta", "g"))
    rp, cols, vals, gs, bk = view.rowPtr.tolist(), view.cols.tolist(), view.vals.double().tolist(), \
        view.groupStart.tolist(), view.rowBucket.tolist()
    S, M, d, h = cfg.S, cfg.M, cfg.d, cfg.h
    zs, empty = [], []
    for user in range(view.users):
        u = {}
        for s in range(S):
            lo, hi = gs[user * S + s], gs[user * S + s + 1]
            if lo == hi:
                continue
            o = []  # o[t][m]: d'
            for t in range(lo, hi):
                ks, ws = cols[rp[t]:rp[t + 1]], vals[rp[t]:rp[t + 1]]
                om = []
                for m in range(M):
                    sc = [float(A[m] @ V[k]) / math.sqrt(h) + math.log(w) for k, w in zip(ks, ws)]
                    a = softmax_list(sc)
                    r = sum(aj * V[k] for aj, k in zip(a, ks))
                    om.append(r @ W[m] + b[m])
                o.append(om)
            u[s] = []
            for m in range(M):
                e = [float(q[s, m] @ o[i][m]) / math.sqrt(d) + float(beta[s, bk[lo + i]]) for i in range(hi - lo)]
                al = softmax_list(e)
                u[s].append(sum(al[i] * o[i][m] for i in range(hi - lo)))
        if not u:
            zs.append(torch.zeros(M * d, dtype=torch.float64))
            empty.append(True)
            continue
        empty.append(False)
        parts = []
        for m in range(M):
            sc = sorted(u)
            c = softmax_list([float(g[m] @ u[s][m]) / math.sqrt(d) for s in sc])
            parts.append(sum(ci * u[s][m] for ci, s in zip(c, sc)))
        zs.append(torch.cat(parts))
    return torch.stack(zs), empty


def naive_targets(view, cfg, cand):
    """Per user a dict candidate position -> weight: its scale-0 rows' weights summed per interest, normalised."""
    rp, cols, vals, gs = view.rowPtr.tolist(), view.cols.tolist(), view.vals.double().tolist(), view.groupStart.tolist()
    at = {k: i for i, k in enumerate(cand)}
    out = []
    for user in range(view.users):
        y = {}
        for t in range(gs[user * cfg.S], gs[user * cfg.S + 1]):
            for j in range(rp[t], rp[t + 1]):
                y[at[cols[j]]] = y.get(at[cols[j]], 0.0) + vals[j]
        mass = sum(y.values())
        out.append({i: w / mass for i, w in y.items()} if mass > 0 else {})
    return out


def naive_prediction(P, z, ys, cfg, cand):
    """One direction of L_pred by loops: q = sum_m W_m z_m, logits = V[k] . q / sqrt(h), CE with y, mean over
    the users that have targets."""
    V, W = P["V"].double(), P["W"].double()
    total, scored = 0.0, 0
    for user, y in enumerate(ys):
        if not y:
            continue
        scored += 1
        zu = z[user].view(cfg.M, cfg.d)
        q = sum(W[m] @ zu[m] for m in range(cfg.M))
        logits = [float(V[k] @ q) / math.sqrt(cfg.h) for k in cand]
        mx = max(logits)
        lse = mx + math.log(sum(math.exp(x - mx) for x in logits))
        total -= sum(w * (logits[i] - lse) for i, w in y.items())
    return total / scored if scored else 0.0


def naive_loss(P, vA, vB, cfg, cand=None):
    """(L, L_nce, L_div, zA, zB, L_pred); the prediction over `cand` (all K when None)."""
    zA, _ = naive_z(P, vA, cfg)
    zB, _ = naive_z(P, vB, cfg)

    def proj(z):
        hid = torch.clamp(z @ P["P1"].double() + P["c1"].double(), min=0)
        y = hid @ P["P2"].double() + P["c2"].double()
        return torch.stack([row / max(float(row.norm()), 1e-12) for row in y])

    pA, pB = proj(zA), proj(zB)
    B = pA.shape[0]
    Sm = [[float(pA[i] @ pB[j]) / cfg.tau for j in range(B)] for i in range(B)]

    def lse(xs):
        m = max(xs)
        return m + math.log(sum(math.exp(x - m) for x in xs))

    ce_rows = sum(lse(Sm[i]) - Sm[i][i] for i in range(B)) / B
    ce_cols = sum(lse([Sm[j][i] for j in range(B)]) - Sm[i][i] for i in range(B)) / B
    nce = 0.5 * (ce_rows + ce_cols)
    A = P["A"].double()
    Ah = [A[m] / max(float(A[m].norm()), 1e-12) for m in range(cfg.M)]
    div = sum((float(Ah[i] @ Ah[j]) - (1.0 if i == j else 0.0)) ** 2
              for i in range(cfg.M) for j in range(cfg.M)) / cfg.M ** 2
    cand = list(range(cfg.K)) if cand is None else list(cand)
    pred = 0.5 * (naive_prediction(P, zA, naive_targets(vB, cfg, cand), cfg, cand)
                  + naive_prediction(P, zB, naive_targets(vA, cfg, cand), cfg, cand))
    return nce + cfg.w_div * div + cfg.w_pred * pred, nce, div, zA, zB, pred


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def nerr(x, y):
    """Normalised error |x - y| / max(|y|, tiny) over whole arrays."""
    x, y = x.double().flatten(), y.double().flatten()
    return float((x - y).norm() / max(float(y.norm()), 1e-30))


class ReferenceTest(unittest.TestCase):

    def cases(self, name, n=4):
        seed = fresh_seed(name)
        gen = torch.Generator().manual_seed(seed)
        out = []
        for i in range(n):
            # Cover S = 1 and B = 2 explicitly, then random sizes; the prediction term off in the first case, on
            # in the second, at random after.
            scales = 1 if i == 0 else (2 if i == 1 else None)
            users = 2 if i <= 1 else int(torch.randint(3, 6, (1,), generator=gen))
            cfg = small_config(gen, scales=scales, pred=(i == 1) if i <= 1 else None)
            vA, vB = edge_case(gen, cfg, users)
            theta = ref.random_params(gen, cfg, torch.float64)
            out.append((cfg, vA, vB, theta))
        return out

    def test_forward_matches_loop_reference(self):
        for cfg, vA, vB, theta in self.cases("forward_matches_loop_reference", 5):
            P = ref.unflatten(theta, cfg)
            pA = ref.prepare_view(vA, cfg, dtype=torch.float64)
            pB = ref.prepare_view(vB, cfg, dtype=torch.float64)
            loss, nce, div, zA, zB, _, _, lp = ref.loss_terms(P, pA, pB, cfg)
            nl, nn, nd, nzA, nzB, npred = naive_loss(P, vA, vB, cfg)
            self.assertLess(nerr(zA, nzA), 1e-12)
            self.assertLess(nerr(zB, nzB), 1e-12)
            self.assertAlmostEqual(float(nce), nn, delta=1e-12 * max(1.0, abs(nn)))
            self.assertAlmostEqual(float(div), nd, delta=1e-12)
            if cfg.w_pred > 0:
                self.assertGreater(npred, 0.0)
                self.assertAlmostEqual(float(lp), npred, delta=1e-12 * max(1.0, abs(npred)))
            else:
                self.assertEqual(float(lp), 0.0)
            self.assertAlmostEqual(float(loss), nl, delta=1e-12 * max(1.0, abs(nl)))
            # The user without rows in view A has z = 0 exactly, and is flagged.
            self.assertTrue(torch.equal(zA[0], torch.zeros_like(zA[0])))
            self.assertFalse(bool(pA["user_has_rows"][0]))
            self.assertTrue(bool(pA["user_has_rows"][1:].all()))
            # float32 agrees with the float64 loop reference to float32 precision.
            p32A = ref.prepare_view(vA, cfg, dtype=torch.float32)
            p32B = ref.prepare_view(vB, cfg, dtype=torch.float32)
            l32 = ref.loss_terms(ref.unflatten(theta.float(), cfg), p32A, p32B, cfg)[0]
            self.assertEqual(l32.dtype, torch.float32)
            self.assertAlmostEqual(float(l32), nl, delta=1e-5 * max(1.0, abs(nl)))

    def test_gradcheck_float64(self):
        for cfg, vA, vB, theta in self.cases("gradcheck_float64", 4):
            pA = ref.prepare_view(vA, cfg, dtype=torch.float64)
            pB = ref.prepare_view(vB, cfg, dtype=torch.float64)
            th = theta.clone().requires_grad_(True)
            self.assertTrue(torch.autograd.gradcheck(lambda t: ref.flat_loss(t, pA, pB, cfg), (th,),
                                                     eps=1e-6, atol=1e-7, rtol=1e-5))
            g, = torch.autograd.grad(ref.flat_loss(th, pA, pB, cfg), th)
            # Every parameter tensor takes part where the batch lets it: q needs a group of two rows, beta two
            # buckets in one group, g a user with rows at two scales (softmaxes are shift invariant).
            active = {"q": False, "beta": False, "g": False}
            for v in (vA, vB):
                gs, bk = v.groupStart.tolist(), v.rowBucket.tolist()
                for user in range(v.users):
                    sizes = [gs[user * cfg.S + s + 1] - gs[user * cfg.S + s] for s in range(cfg.S)]
                    active["g"] |= sum(n > 0 for n in sizes) >= 2
                    for s in range(cfg.S):
                        lo, hi = gs[user * cfg.S + s], gs[user * cfg.S + s + 1]
                        active["q"] |= hi - lo >= 2
                        active["beta"] |= len(set(bk[lo:hi])) >= 2
            for name, off, shape in cfg.layout():
                part = g[off:off + math.prod(shape)]
                if name not in active:
                    self.assertGreater(float(part.abs().max()), 0.0, f"gradient of {name} is zero")
                elif not active[name]:
                    self.assertLess(float(part.abs().max()), 1e-15, f"{name} cannot act on this batch")
                # q, beta and g act only through the few users with several rows or scales: when those users'
                # head units are all dead their gradient is legitimately zero, so only "cannot act => zero" is
                # asserted for them (gradcheck above covers their values).
            # V: without the prediction term only rows the batch touched have a gradient (not necessarily all: a
            # user whose head units are all dead passes nothing back); with it every candidate row (all K here)
            # has one, through the softmax over all interests.
            V = g[:cfg.K * cfg.h].view(cfg.K, cfg.h)
            touched = torch.zeros(cfg.K, dtype=torch.bool)
            touched[torch.cat([vA.cols, vB.cols])] = True
            if cfg.w_pred > 0:
                self.assertGreater(float(V.abs().sum(dim=1).min()), 0.0)
            else:
                self.assertEqual(float(V[~touched].abs().sum()), 0.0)

    def test_sparse_v_gradient_equals_dense(self):
        for cfg, vA, vB, theta in self.cases("sparse_v_gradient_equals_dense", 2):
            pA = ref.prepare_view(vA, cfg, dtype=torch.float64)
            pB = ref.prepare_view(vB, cfg, dtype=torch.float64)
            grads = []
            for sparse in (False, True):
                P = {n: t.clone().requires_grad_(True) for n, t in ref.unflatten(theta, cfg).items()}
                ref.loss_terms(P, pA, pB, cfg, sparse_v=sparse)[0].backward()
                self.assertEqual(P["V"].grad.is_sparse, sparse)
                grads.append(P["V"].grad.to_dense())
            self.assertLess(nerr(grads[1], grads[0]), 1e-14)

    def test_zero_anchors_give_weight_averaged_interests(self):
        seed = fresh_seed("zero_anchors")
        gen = torch.Generator().manual_seed(seed)
        cfg = small_config(gen)
        v = ref.random_view(gen, cfg, 3, rows_per_group=2, nnz_per_row=3)
        theta = ref.random_params(gen, cfg, torch.float64)
        P = ref.unflatten(theta, cfg)
        P["A"].zero_()
        _, inter = ref.forward_view(P, ref.prepare_view(v, cfg, dtype=torch.float64), cfg, keep=True)
        for t in range(v.rows):
            lo, hi = int(v.rowPtr[t]), int(v.rowPtr[t + 1])
            w = v.vals[lo:hi].double()
            expect = (w[:, None] * P["V"][v.cols[lo:hi]]).sum(0) / w.sum()
            for m in range(cfg.M):
                self.assertLess(nerr(inter["r"][t, m], expect), 1e-13)
        # Attention rows sum to one, padding gets none.
        self.assertLess(float((inter["a"].sum(-1) - 1).abs().max()), 1e-13)

    def test_order_within_rows_does_not_matter(self):
        for cfg, vA, vB, theta in self.cases("order_within_rows", 2):
            P = ref.unflatten(theta, cfg)
            z1 = ref.forward_view(P, ref.prepare_view(vA, cfg, dtype=torch.float64), cfg)
            gen = torch.Generator().manual_seed(7)
            cols, vals = vA.cols.clone(), vA.vals.clone()
            for t in range(vA.rows):
                lo, hi = int(vA.rowPtr[t]), int(vA.rowPtr[t + 1])
                perm = lo + torch.randperm(hi - lo, generator=gen)
                cols[lo:hi], vals[lo:hi] = vA.cols[perm], vA.vals[perm]
            v2 = ref.View(vA.users, vA.rows, vA.rowPtr, cols, vals, vA.rowBucket, vA.groupStart)
            z2 = ref.forward_view(P, ref.prepare_view(v2, cfg, dtype=torch.float64), cfg)
            self.assertLess(nerr(z2, z1), 1e-14)

    def test_case_directory_round_trip_and_cli(self):
        for cfg, vA, vB, theta in self.cases("case_directory_round_trip", 2):
            with tempfile.TemporaryDirectory() as d:
                ref.write_case(d, cfg, theta.float(), vA, vB)
                cfg2, params, rA, rB, cand = ref.read_case(d)
                self.assertIsNone(cand)
                self.assertEqual(cfg2.to_json(), cfg.to_json())
                self.assertTrue(torch.equal(params, theta.float()))
                for v, r in ((vA, rA), (vB, rB)):
                    for key in ref.VIEW_ARRAYS:
                        self.assertTrue(torch.equal(getattr(r, key), getattr(v, key).to(getattr(r, key).dtype)), key)
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(ref.main(["case", d, "--float64"]), 0)
                out = os.path.join(d, "out")
                with open(os.path.join(out, "loss.json")) as f:
                    loss = json.load(f)
                with open(os.path.join(out, "out.json")) as f:
                    manifest = json.load(f)
                self.assertEqual(manifest["dtype"], "f64")
                g64, _ = ref.read_array(out, manifest["arrays"]["grad"][1], "grad")
                # Independent: the loop reference on the f32-rounded parameters the file holds.
                nl = naive_loss(ref.unflatten(theta.float().double(), cfg), vA, vB, cfg)[0]
                self.assertAlmostEqual(loss["loss"], nl, delta=1e-12 * max(1.0, abs(nl)))
                self.assertAlmostEqual(loss["loss"], loss["nce"] + cfg.w_div * loss["div"] + cfg.w_pred * loss["pred"], delta=1e-12)
                pA = ref.prepare_view(vA, cfg, dtype=torch.float64)
                pB = ref.prepare_view(vB, cfg, dtype=torch.float64)
                th = theta.float().double().requires_grad_(True)
                expect, = torch.autograd.grad(ref.flat_loss(th, pA, pB, cfg), th)
                self.assertLess(nerr(g64, expect), 1e-14)
                # The float32 run agrees with the float64 one to float32 precision.
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(ref.main(["case", d]), 0)
                with open(os.path.join(out, "loss.json")) as f:
                    loss32 = json.load(f)
                g32, _ = ref.read_array(out, {"file": "grad.f32", "dtype": "f32", "shape": [cfg.total()]}, "grad")
                self.assertAlmostEqual(loss32["loss"], loss["loss"], delta=1e-5 * max(1.0, abs(loss["loss"])))
                self.assertLess(nerr(g32, g64), 1e-4)
                zA, _ = ref.read_array(out, {"file": "zA.f32", "dtype": "f32", "shape": [vA.users, cfg.M * cfg.d]}, "z")
                emptyA, _ = ref.read_array(out, {"file": "emptyA.i32", "dtype": "i32", "shape": [vA.users]}, "e")
                self.assertEqual(int(emptyA[0]), 1)
                self.assertEqual(float(zA[0].abs().max()), 0.0)

    def test_prediction_over_listed_candidates(self):
        """A case that lists the prediction's candidates (as Java does above FULL_SOFTMAX_MAX): the loss is the loop
        reference's over exactly those, the gradient is gradchecked, V rows that are neither candidates nor in the
        views get none, and bad candidate lists are refused naming the file."""
        seed = fresh_seed("prediction_over_listed_candidates")
        gen = torch.Generator().manual_seed(seed)
        for trial in range(3):
            cfg = small_config(gen, pred=True)
            cfg.K = 30 + cfg.K  # room for rows that are neither candidates nor in the views
            vA, vB = edge_case(gen, cfg, 3)
            theta = ref.random_params(gen, cfg, torch.float64)
            keep = torch.zeros(cfg.K, dtype=torch.bool)
            keep[torch.cat([vA.cols, vB.cols])] = True
            keep |= torch.rand(cfg.K, generator=gen) < 0.3
            cand = torch.nonzero(keep).flatten()
            with tempfile.TemporaryDirectory() as d:
                ref.write_case(d, cfg, theta, vA, vB, params_dtype="f64", candidates=cand)
                cfg2, _, _, _, cand2 = ref.read_case(d)
                self.assertTrue(torch.equal(cand2, cand))
                self.assertEqual(cfg2.w_pred, cfg.w_pred)
                with contextlib.redirect_stdout(io.StringIO()):
                    self.assertEqual(ref.main(["case", d, "--float64"]), 0)
                with open(os.path.join(d, "out", "loss.json")) as f:
                    loss = json.load(f)
                nl, _, _, _, _, npred = naive_loss(ref.unflatten(theta, cfg), vA, vB, cfg, cand.tolist())
                self.assertAlmostEqual(loss["pred"], npred, delta=1e-12 * max(1.0, npred))
                self.assertAlmostEqual(loss["loss"], nl, delta=1e-12 * max(1.0, abs(nl)))
                g64, _ = ref.read_array(os.path.join(d, "out"), {"file": "grad.f64", "dtype": "f64", "shape": [cfg.total()]}, "g")
                V = g64[:cfg.K * cfg.h].view(cfg.K, cfg.h)
                self.assertEqual(float(V[~keep].abs().sum()), 0.0)
                self.assertGreater(float(V[keep].abs().sum(dim=1).min()), 0.0)
            pA = ref.prepare_view(vA, cfg, dtype=torch.float64)
            pB = ref.prepare_view(vB, cfg, dtype=torch.float64)
            pred = ref.prepare_prediction(pA, pB, cfg, cand, torch.float64)
            th = theta.clone().requires_grad_(True)
            self.assertTrue(torch.autograd.gradcheck(lambda t: ref.flat_loss(t, pA, pB, cfg, pred), (th,),
                                                     eps=1e-6, atol=1e-7, rtol=1e-5))
        # Refused: a view's interest that is no candidate, candidates out of order, K above the full-softmax cap
        # without a list.
        missing = cand[cand != int(vB.cols[0])]  # view B's first row: user 0 at the finest scale
        unordered = cand.flip(0)
        for bad, expect in ((missing, "not among the prediction's candidates"), (unordered, "candidates.i32")):
            with tempfile.TemporaryDirectory() as d:
                ref.write_case(d, cfg, theta, vA, vB, params_dtype="f64", candidates=bad)
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    self.assertEqual(ref.main(["case", d]), 2)
                self.assertIn(expect, err.getvalue())
        big = small_config(gen, pred=True)
        big.K = ref.FULL_SOFTMAX_MAX + 1
        v = ref.random_view(gen, big, 2, rows_per_group=1, nnz_per_row=2)
        p = ref.prepare_view(v, big)
        with self.assertRaises(ref.CaseError) as ctx:
            ref.prepare_prediction(p, p, big)
        self.assertIn("must list them", str(ctx.exception))

    def test_bad_cases_are_rejected_with_the_file_named(self):
        seed = fresh_seed("bad_cases")
        gen = torch.Generator().manual_seed(seed)
        cfg = small_config(gen, scales=2)
        vA, vB = edge_case(gen, cfg, 3)
        theta = ref.random_params(gen, cfg)

        def corrupt(edit, expect):
            with tempfile.TemporaryDirectory() as d:
                ref.write_case(d, cfg, theta, vA, vB)
                edit(d)
                with self.assertRaises(ref.CaseError) as ctx:
                    ref.read_case(d)
                self.assertIn(expect, str(ctx.exception))
                err = io.StringIO()
                with contextlib.redirect_stderr(err):
                    self.assertEqual(ref.main(["case", d]), 2)
                self.assertIn(expect, err.getvalue())

        def patch_i32(name, index, value):
            def edit(d):
                p = os.path.join(d, name)
                t = torch.frombuffer(bytearray(read_bytes(p)), dtype=torch.int32).clone()
                t[index] = value
                write_bytes(p, t.numpy().tobytes())
            return edit

        def patch_meta(fn):
            def edit(d):
                p = os.path.join(d, "case.json")
                with open(p) as f:
                    meta = json.load(f)
                fn(meta)
                with open(p, "w") as f:
                    json.dump(meta, f)
            return edit

        corrupt(patch_i32("B.cols.i32", 0, cfg.K), "B.cols")
        corrupt(patch_i32("A.rowBucket.i32", -1, cfg.R), "A.rowBucket")
        corrupt(patch_i32("A.groupStart.i32", -1, vA.rows - 1), "A.groupStart")
        corrupt(patch_i32("B.rowPtr.i32", 1, 0), "row 0 has 0 non-zeros")

        def neg_val(d):
            p = os.path.join(d, "A.vals.f32")
            t = torch.frombuffer(bytearray(read_bytes(p)), dtype=torch.float32).clone()
            t[0] = -1.0
            write_bytes(p, t.numpy().tobytes())

        corrupt(neg_val, "A.vals")
        corrupt(lambda d: write_bytes(os.path.join(d, "params.f32"), b"\0\0\0\0", "ab"), "params.f32")
        corrupt(patch_meta(lambda m: m["layout"][1].update(offset=1)), "layout differs")
        corrupt(patch_meta(lambda m: m["config"].update(h=0)), "h must be")
        corrupt(patch_meta(lambda m: m["views"]["B"].update(users=2)), "groupStart")
        corrupt(patch_meta(lambda m: m["arrays"]["params"].update(file="../params.f32")), "plain file name")

    def test_bench_runs_and_reports_one_json_line(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(ref.main(["bench", "--users", "8", "--interests", "50", "--rows-per-user", "4",
                                       "--nnz-per-row", "3", "--steps", "2", "--warmup", "1", "--threads", "1",
                                       "--pred-weight", "0"]), 0)
        lines = out.getvalue().strip().splitlines()
        self.assertEqual(len(lines), 1)
        rec = json.loads(lines[0])
        self.assertGreater(rec["ms_per_step"], 0)
        self.assertTrue(math.isfinite(rec["loss_last"]))
        self.assertEqual(rec["v_update"], "lazy")
        self.assertEqual(rec["candidates"], 0)
        # With the prediction term, K above the full-softmax cap: sampled candidates (the views' interests and
        # uniform negatives, FULL_SOFTMAX_MAX in all).
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(ref.main(["bench", "--users", "8", "--interests", str(ref.FULL_SOFTMAX_MAX + 100), "--h", "8",
                                       "--rows-per-user", "4", "--nnz-per-row", "3", "--steps", "2", "--warmup", "1",
                                       "--threads", "1", "--pred-weight", "0.5"]), 0)
        rec = json.loads(out.getvalue().strip().splitlines()[-1])
        self.assertEqual(rec["candidates"], ref.FULL_SOFTMAX_MAX)
        self.assertTrue(math.isfinite(rec["loss_last"]))

    def bench_line(self, *extra):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(ref.main(["bench", "--users", "8", "--interests", "50", "--rows-per-user", "4",
                                       "--nnz-per-row", "3", "--steps", "2", "--warmup", "1", *extra]), 0)
        return json.loads(out.getvalue().strip().splitlines()[-1])

    def test_bench_on_cuda_runs_there_or_says_why(self):
        # The GPU comparison (perf-tests SmenStepBench) runs the reference with --device cuda, eager and compiled.
        if not torch.cuda.is_available():
            with self.assertRaises(SystemExit) as e:
                self.bench_line("--device", "cuda")
            self.assertIn("torch.cuda.is_available() is False", str(e.exception))
            return
        rec = self.bench_line("--device", "cuda")
        self.assertEqual(rec["impl"], "pytorch-eager")
        self.assertEqual(rec["device"], torch.cuda.get_device_name(0))
        self.assertTrue(math.isfinite(rec["loss_last"]))
        if hasattr(torch, "compile"):
            rec = self.bench_line("--device", "cuda", "--compile")
            self.assertEqual(rec["impl"], "pytorch-compile")
            self.assertEqual(rec["v_update"], "dense")
            self.assertTrue(math.isfinite(rec["loss_last"]))

    def test_compile_needs_pytorch_2(self):
        if hasattr(torch, "compile"):
            self.skipTest(f"torch {torch.__version__} has torch.compile")
        with self.assertRaises(SystemExit) as e:
            self.bench_line("--compile")
        self.assertIn("needs PyTorch 2.x", str(e.exception))


if __name__ == "__main__":
    unittest.main()
