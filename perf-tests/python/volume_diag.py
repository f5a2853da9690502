#!/usr/bin/env python3
"""How much of movielens-1m-subset's preference task is activity volume? (docs/RESULTS.md, session 10.)

An independent diagnostic, outside the Java harness: the preference task as EVALUATION.md defines it (each user's
ratings split by time at 80 %, features from the early part only; per genre, whether the user rated a movie of
that genre in the late part; mean ROC-AUC over genres with at least 20 positives and 20 negatives), probed with
an L2 logistic regression (standardised features, C chosen by an inner 3-fold split from a fixed grid) in 5-fold
stratified cross-validation, on feature sets that separate "what" a user watched from "how much":

  log count          log(1 + number of early ratings), one number
  mean item SVD      the mean over the user's early items of 64-dim item vectors (truncated SVD of the
                     user x item tf-idf matrix of the early part, item side)
  + log count        the same with log(1 + count) appended
  tf-idf SVD         the user side of the same SVD (128 dims): the classic user vector
  + log count        the same with log(1 + count) appended

Needs numpy, scipy and scikit-learn. Reads the data from $LURM_DATA_DIR (default ../shared/data).
Usage: python3 perf-tests/python/volume_diag.py [--seed 0]
"""
import argparse
import gzip
import os
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def read(data_dir):
    d = os.path.join(data_dir, "movielens-1m-subset")
    if not os.path.isdir(d):
        sys.exit(f"volume_diag: {d} not found (set LURM_DATA_DIR)")
    genres = {}
    with open(os.path.join(d, "movies.dat"), encoding="latin-1") as f:
        for line in f:
            mid, _, g = line.rstrip("\n").split("::")
            genres[int(mid)] = g.split("|")
    events = []
    with gzip.open(os.path.join(d, "ratings_users1-2499.dat.gz"), "rt", encoding="latin-1") as f:
        for line in f:
            u, m, _, t = line.rstrip("\n").split("::")
            events.append((int(u), int(t), int(m)))
    return genres, events


def split(events):
    """Per user, the early 80 % (by time, ties by movie id) and the late rest."""
    by_user = {}
    for u, t, m in sorted(events):
        by_user.setdefault(u, []).append(m)
    early, late = {}, {}
    for u, ms in by_user.items():
        cut = int(np.floor(0.8 * len(ms)))
        if cut == 0 or cut == len(ms):
            continue
        early[u], late[u] = ms[:cut], ms[cut:]
    return early, late


def probe(x, y, seed):
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    aucs = []
    for tr, te in folds.split(x, y):
        model = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                             {"logisticregression__C": [0.001, 0.01, 0.1, 1, 10]}, cv=3, scoring="roc_auc")
        model.fit(x[tr], y[tr])
        aucs.append(roc_auc_score(y[te], model.predict_proba(x[te])[:, 1]))
    return float(np.mean(aucs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    data_dir = os.environ.get("LURM_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    genres, events = read(data_dir)
    early, late = split(events)
    users = sorted(early)
    items = sorted({m for u in users for m in early[u]})
    col = {m: i for i, m in enumerate(items)}
    rows, cols = [], []
    for r, u in enumerate(users):
        for m in early[u]:
            rows.append(r)
            cols.append(col[m])
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(users), len(items)))
    x.sum_duplicates()
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    idf = np.log((1 + len(users)) / (1 + df)) + 1
    tfidf = sp.csr_matrix(x.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
    tfidf = sp.csr_matrix(tfidf.multiply(1 / np.maximum(norms, 1e-12)[:, None]))
    count = np.log1p(np.asarray(x.sum(axis=1)).ravel())[:, None]

    svd64 = TruncatedSVD(64, random_state=a.seed).fit(tfidf)
    item_vec = svd64.components_.T  # items x 64
    binary = (x > 0).astype(np.float64)
    mean_item = np.asarray(binary @ item_vec) / np.maximum(np.asarray(binary.sum(axis=1)), 1)
    user_svd = TruncatedSVD(128, random_state=a.seed).fit_transform(tfidf)

    all_genres = sorted({g for gs in genres.values() for g in gs})
    labels = {}
    for g in all_genres:
        y = np.array([int(any(g in genres.get(m, []) for m in late[u])) for u in users])
        if y.sum() >= 20 and (len(y) - y.sum()) >= 20:
            labels[g] = y
    features = {
        "log count": count,
        "mean item SVD (64)": mean_item,
        "mean item SVD (64) + log count": np.hstack([mean_item, count]),
        "tf-idf SVD (128)": user_svd,
        "tf-idf SVD (128) + log count": np.hstack([user_svd, count]),
    }
    print(f"movielens-1m-subset: {len(users)} users with early and late ratings, {len(items)} items, "
          f"{len(labels)} genres scored, seed {a.seed}")
    print("| features | dims | preference AUC (mean over genres) |")
    print("|---|---:|---:|")
    for name, f in features.items():
        auc = np.mean([probe(f, y, a.seed) for y in labels.values()])
        print(f"| {name} | {f.shape[1]} | {auc:.4f} |", flush=True)


if __name__ == "__main__":
    main()
