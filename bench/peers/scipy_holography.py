#!/usr/bin/python3
"""SciPy peer of the holography rows of bench/bench_holography.cpp: the same rows, network and
checksums.

  holography/boundary_map/boundary:1000     ŵ_∂ = P̂_∂ εŵ (I − εŵ)⁻¹ P̂_∂ᵀ (Eq. (99)) from the
                                            prebuilt CSC ŵ
  holography/weights_and_map/boundary:1000  the CSC ŵ built from the chain list (NumPy, COO →
                                            CSC), then the same map

Network: the permutation network of bench_holography.cpp, drawn from the same counter-based
numbers (Random123 Philox4x64-10, as nnworld::core::RngStream, reimplemented below): chain i
runs from boundary neuron i to π(i) through L_i = 1 + below(0, i, 1999) bulk neurons; π is the
Fisher–Yates shuffle with swap(π[k], π[below(1, k, k + 1)]) for k = nb−1 … 1. ε = 0.99.

Formulations (both timed on the map row, which takes the faster; the build row times the map
row's winner), A = I − εŵ in CSC:
  * "splu bulk + Schur": scipy.sparse.linalg.splu (SuperLU, COLAMD) of the bulk block A_bb,
    then the Schur complement S = A_BB − A_Bb A_bb⁻¹ A_bB with A_bb⁻¹ A_bB solved 50 columns at
    a time (dense right-hand sides, 10⁶ × 50 × 8 B = 400 MB), and ŵ_∂ = S⁻¹ − I (S⁻¹ = (A⁻¹)_BB).
  * "splu full": SuperLU of the whole A, X = A⁻¹ P̂_∂ᵀ solved 50 columns at a time, and
    ŵ_∂ = X_BB − I (A⁻¹ = I + εŵ A⁻¹).
Checksums (compared by run.py with the C++ counters): check_sum_w = Σ ŵ_∂, check_sum_length =
Σ over chains of log_ε C_{π(i) i} − 1 with C = ŵ_∂ (I + ŵ_∂)⁻¹, check_bulk_total = Σ L_i.

Output as bench/peers/numpy_thermo.py: one JSON object per line, {"info": …} first, then
{row, seconds, bytes, flops, method, variants, threads, check, peak_rss_mib} per row. SuperLU
and the triangular solves run on one thread; OpenBLAS (S⁻¹, the dense products) on --threads.
"""

import argparse
import json
import math
import os
import re
import resource
import sys

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from peer_timing import measure, openblas_info

NB = 1000
MAX_BULK = 1999
SEED = 1
TAG_BENCH = 6  # nnworld::core::StreamTag::bench
EPSILON = 0.99
BLOCK = 50

MASK = (1 << 64) - 1
M0, M1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
W0, W1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B


def philox4x64(ctr, key):
    """Random123 Philox4x64-10 of counter (4 words) and key (2 words)."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 64) ^ c1 ^ k0, p1 & MASK, (p0 >> 64) ^ c3 ^ k1, p0 & MASK)
    return c0, c1, c2, c3


def below(seed, tag, step, index, n):
    """RngStream(seed, tag).below(step, index, n): word 2 times n, high 64 bits."""
    w = philox4x64((index, step, 0, 0), (seed, (tag << 32) ^ 0))
    return (w[2] * n) >> 64


def permutation_network():
    """(heads π, bulk lengths L) of bench_holography.cpp."""
    head = list(range(NB))
    for k in range(NB - 1, 0, -1):
        j = below(SEED, TAG_BENCH, 1, k, k + 1)
        head[k], head[j] = head[j], head[k]
    bulk = [1 + below(SEED, TAG_BENCH, 0, i, MAX_BULK) for i in range(NB)]
    return np.array(head, dtype=np.int64), np.array(bulk, dtype=np.int64)


def weight_matrix(head, bulk):
    """CSC ŵ, w(i, j) = 1 for an edge j → i; boundary 0..NB−1, chain c's bulk neurons follow in
    chain order (holography::weight_matrix)."""
    total = int(bulk.sum())
    n = NB + total
    start = NB + np.concatenate(([0], np.cumsum(bulk)[:-1]))  # first bulk neuron of each chain
    # Bulk → next bulk inside every chain: every bulk neuron except a chain's last one.
    src = np.arange(NB, n, dtype=np.int64)
    last = start + bulk - 1
    inner = np.ones(total, dtype=bool)
    inner[last - NB] = False
    rows = np.concatenate((start, src[inner] + 1, head))
    cols = np.concatenate((np.arange(NB, dtype=np.int64), src[inner], last))
    w = sp.csc_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    w.sum_duplicates()
    return w


def boundary_full(w):
    n = w.shape[0]
    a = (sp.identity(n, format="csc") - EPSILON * w).tocsc()
    lu = spla.splu(a)
    out = np.empty((NB, NB))
    for b0 in range(0, NB, BLOCK):
        b1 = min(NB, b0 + BLOCK)
        rhs = np.zeros((n, b1 - b0))
        rhs[np.arange(b0, b1), np.arange(b1 - b0)] = 1.0
        out[:, b0:b1] = lu.solve(rhs)[:NB]
    out[np.diag_indices(NB)] -= 1.0
    return out


def boundary_schur(w):
    n = w.shape[0]
    a = (sp.identity(n, format="csc") - EPSILON * w).tocsc()
    a_bb = a[NB:, NB:].tocsc()
    a_bB = a[NB:, :NB].tocsc()
    a_Bb = a[:NB, NB:].tocsr()
    s = a[:NB, :NB].toarray()
    lu = spla.splu(a_bb)
    for b0 in range(0, NB, BLOCK):
        b1 = min(NB, b0 + BLOCK)
        y = lu.solve(a_bB[:, b0:b1].toarray())
        s[:, b0:b1] -= a_Bb @ y
    out = np.linalg.inv(s)
    out[np.diag_indices(NB)] -= 1.0
    return out


FORMS = {"splu bulk + Schur": boundary_schur, "splu full": boundary_full}


def checks(w_boundary, head, bulk):
    c = np.linalg.solve((np.eye(NB) + w_boundary).T, w_boundary.T).T
    length = np.log(c[head, np.arange(NB)]) / math.log(EPSILON) - 1.0
    return {"check_sum_w": float(w_boundary.sum()), "check_sum_length": float(length.sum()),
            "check_bulk_total": float(bulk.sum())}


def default_rows():
    return [f"holography/boundary_map/boundary:{NB}", f"holography/weights_and_map/boundary:{NB}"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rows", nargs="*", default=None)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--forms", nargs="*", default=list(FORMS), help="formulations to time")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    rows = args.rows if args.rows else default_rows()
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    head, bulk = permutation_network()
    info = {"numpy": np.__version__, "scipy": scipy.__version__, "threads": threads,
            "neurons": NB + int(bulk.sum()), "bulk": int(bulk.sum())}
    info.update(openblas_info(threads))
    print(json.dumps({"info": info}), flush=True)
    print(f"holography peer: {NB} boundary + {int(bulk.sum())} bulk neurons", file=sys.stderr)
    w0 = weight_matrix(head, bulk)
    fastest = None
    for row in rows:
        m = re.fullmatch(rf"holography/(boundary_map|weights_and_map)/boundary:{NB}", row)
        if not m:
            print(json.dumps({"row": row, "error": f"unknown row {row!r}"}), flush=True)
            continue
        build = m[1] == "weights_and_map"
        times, sink = {}, {}
        # The build row times only the formulation that won the map row (the build is the same
        # NumPy code for both), to bound the run time.
        forms = [fastest] if build and fastest else args.forms
        for name in forms:
            form = FORMS[name]

            def fn(form=form):
                w = weight_matrix(head, bulk) if build else w0
                sink["w"] = form(w)

            # One sizing call (not counted), then ≥ 1 timed call: a call takes seconds.
            times[name] = measure(fn, args.min_time, warmup=0, least_slow=1)
        best = min(times, key=times.get)
        fastest = fastest or best
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print(json.dumps({"row": row, "seconds": times[best], "bytes": 0.0, "flops": 0.0,
                          "method": best, "variants": times, "threads": threads,
                          "check": checks(sink["w"], head, bulk), "peak_rss_mib": rss}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
