#!/usr/bin/python3
"""NumPy peer of the log-det rows of bench/bench_thermo.cpp: the same rows, sizes and models.

  log_det/spd/n:N   log det A of A = ½(R + Rᵀ) + 2I, R uniform in ±√(3/N) (float64): symmetric
                    positive definite with eigenvalues in about [0.59, 3.41]

Two formulations are timed and both reported; the row's time is the faster one:
  * numpy.linalg.slogdet(A)                 LAPACK dgetrf (LU, 2N³/3 flops) + Σ log|U_ii|
  * 2 Σ log diag numpy.linalg.cholesky(A)   LAPACK dpotrf (Cholesky, N³/3 flops)
NumPy links the system OpenBLAS (libopenblas0-pthread, BLAS and LAPACK through Debian's
alternatives); bench/run.py removes OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so OpenBLAS picks its
AVX-512 kernels, and the thread count is set with openblas_set_num_threads.

Timing and output as bench/peers/torch_network.py: one JSON object per line, {"info": …} first,
then {row, seconds, bytes, flops, method, variants, threads} per row.
"""

import argparse
import json
import math
import os
import re
import sys

import numpy as np
from peer_timing import measure, openblas_info

LOG_DET_N = [512, 1024, 2048, 4096]
LOG_DET_SHIFT = 2.0


def default_rows():
    return [f"log_det/spd/n:{n}" for n in LOG_DET_N]


def log_det_matrix(n, rng):
    s = math.sqrt(3.0 / n)
    r = rng.uniform(-s, s, size=(n, n))
    a = 0.5 * (r + r.T)
    a[np.diag_indices(n)] += LOG_DET_SHIFT
    return np.ascontiguousarray(a)


def build(row, rng):
    """Returns ({variant: fn}, bytes, flops) for the row name."""
    m = re.fullmatch(r"log_det/spd/n:(\d+)", row)
    if m:
        n = int(m[1])
        a = log_det_matrix(n, rng)
        sink = {}

        def slogdet():
            sign, ld = np.linalg.slogdet(a)
            sink["v"] = ld

        def cholesky():
            sink["v"] = 2.0 * float(np.sum(np.log(np.diagonal(np.linalg.cholesky(a)))))

        # Model (as bench_thermo.cpp): A read once; Cholesky N³/3 flops.
        return ({"numpy.linalg.slogdet (LU)": slogdet,
                 "numpy.linalg.cholesky + 2 Σ log L_ii": cholesky},
                8.0 * n * n, n ** 3 / 3.0)
    raise ValueError(f"unknown row {row!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rows", nargs="*", default=None)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    rows = args.rows if args.rows else default_rows()
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    info = {"numpy": np.__version__, "threads": threads,
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                   "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    info.update(openblas_info(threads))
    print(json.dumps({"info": info}), flush=True)
    rng = np.random.default_rng(args.seed)
    for row in rows:
        try:
            variants, nbytes, flops = build(row, rng)
        except ValueError as e:
            print(json.dumps({"row": row, "error": str(e)}), flush=True)
            continue
        times = {name: measure(fn, args.min_time) for name, fn in variants.items()}
        best = min(times, key=times.get)
        print(json.dumps({"row": row, "seconds": times[best], "bytes": nbytes, "flops": flops,
                          "method": best, "variants": times, "threads": threads}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
