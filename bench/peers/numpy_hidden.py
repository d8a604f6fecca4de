#!/usr/bin/python3
"""NumPy peer of the strings rows of bench/bench_hidden.cpp: the same rows, sizes and model.

  strings_update/{cyclic,random}/n:N/d:D       X' = π X for D fields over N neurons (float64):
                                               (π X)_i = X_{s(i)}, s(i) = i − 1 mod N (the
                                               cycle (60)) or a uniformly random permutation
  strings_update_tanh/{cyclic,random}/n:N/d:D  X' = tanh(π X)

Both layouts of the N×D states are timed:
  * "col": D contiguous fields, array (D, N) C-order (the N×D column-major matrix of nnworld);
  * "row": D contiguous values per neuron, array (N, D) C-order.
All four arrays (states and outputs of both layouts) start on a 64-byte boundary.
For D = 1 the two are the same array. Formulations (every one timed, all reported; the row's
time is the fastest):
  * take(out=)   np.take(x, s, axis, out=out, mode="clip") into a preallocated output
                 (mode="raise", the default, buffers `out`; with valid indices "clip" is the
                 same result without the buffer); "col" also as one 1-D take per field
  * fancy        x[s] (row) or x[:, s] (col), a new array per call
  * roll         np.roll(x, 1, axis) (cyclic rows only), a new array per call
  * slices       out[1:] = x[:-1]; out[0] = x[-1] (cyclic rows only, preallocated): the best
                 NumPy can do for a shift, no index array
The tanh rows time take(out=) in both layouts and col slices (cyclic), each followed by
np.tanh(out, out=out).
The index array is intp (int64): np.take and fancy indexing convert any other index type to a new
intp array on every call.

Model (as bench_hidden.cpp): bytes 16 N D + 4 N (x read, X' written, the index read once).
Timing and output as bench/peers/numpy_thermo.py: one JSON object per line, {"info": …} first,
then {row, seconds, bytes, flops, method, variants, threads} per row. NumPy's gathers and
np.tanh run on one thread whatever --threads says.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
from peer_timing import measure

N = 10_000_000
D_LIST = [1, 2, 4, 8]


def default_rows():
    return [f"{p}/{k}/n:{N}/d:{d}" for d in D_LIST
            for p in ("strings_update", "strings_update_tanh") for k in ("cyclic", "random")]


def aligned_empty(shape):
    """A float64 C-order array whose data starts on a 64-byte boundary (as bench_hidden.cpp's
    row-major states: a neuron's D = 8 values then fill exactly one cache line)."""
    count = int(np.prod(shape))
    raw = np.empty(count + 8, dtype=np.float64)
    start = (-raw.ctypes.data % 64) // 8
    return raw[start:start + count].reshape(shape)


def build(row, rng):
    """Returns ({variant: fn}, bytes, flops) for the row name; checks each formulation once."""
    m = re.fullmatch(r"(strings_update|strings_update_tanh)/(cyclic|random)/n:(\d+)/d:(\d+)", row)
    if not m:
        raise ValueError(f"unknown row {row!r}")
    tanh = m[1] == "strings_update_tanh"
    cyclic = m[2] == "cyclic"
    n, d = int(m[3]), int(m[4])
    if cyclic:
        src = (np.arange(n, dtype=np.intp) - 1) % n  # s(i) = i − 1 mod N
    else:
        src = rng.permutation(n).astype(np.intp)
    xc = aligned_empty((d, n))  # "col": field j contiguous
    xc[...] = rng.uniform(-1.0, 1.0, size=(d, n))
    xr = aligned_empty((n, d))  # "row": neuron i's D values contiguous
    xr[...] = xc.T
    oc = aligned_empty((d, n))
    orow = aligned_empty((n, d))
    sink = {}
    variants = {}

    # ---- row-major (N, D) ----
    def take_row():
        np.take(xr, src, axis=0, out=orow, mode="clip")

    def fancy_row():
        sink["v"] = xr[src]

    def roll_row():
        sink["v"] = np.roll(xr, 1, axis=0)

    def slices_row():
        orow[1:] = xr[:-1]
        orow[0] = xr[-1]

    # ---- column-major (D, N) ----
    def take_col():
        np.take(xc, src, axis=1, out=oc, mode="clip")

    def take_col_fields():
        for j in range(d):
            np.take(xc[j], src, out=oc[j], mode="clip")

    def fancy_col():
        sink["v"] = xc[:, src]

    def roll_col():
        sink["v"] = np.roll(xc, 1, axis=1)

    def slices_col():
        oc[:, 1:] = xc[:, :-1]
        oc[:, 0] = xc[:, -1]

    layouts = [("col", xc, oc, take_col, fancy_col, roll_col, slices_col)]
    if d > 1:
        layouts.append(("row", xr, orow, take_row, fancy_row, roll_row, slices_row))
    for name, x, out, take, fancy, roll, slices in layouts:
        pre = {f"{name} take(out=)": take}
        if name == "col" and d > 1:
            pre[f"{name} take(out=) per field"] = take_col_fields
        if cyclic:
            pre[f"{name} slices"] = slices
        if tanh:
            # The gather of each layout's fastest non-tanh formulation (one take per field and
            # row-major slices never were: bench/RESULTS.md), then tanh in place.
            pre.pop(f"{name} take(out=) per field", None)
            if name == "row":
                pre.pop(f"{name} slices", None)
            for label, fn in pre.items():
                variants[label + " + tanh(out=)"] = (
                    lambda fn=fn, out=out: (fn(), np.tanh(out, out=out)))
        else:
            variants.update(pre)
            variants[f"{name} fancy"] = fancy
            if cyclic:
                variants[f"{name} roll"] = roll

    # Check every formulation once against X' = π X (tanh: tanh(π X)).
    ref_col = xc[:, src]
    if tanh:
        ref_col = np.tanh(ref_col)
    for label, fn in variants.items():
        oc.fill(np.nan)
        orow.fill(np.nan)
        sink.clear()
        fn()
        got = sink["v"] if "v" in sink else (oc if label.startswith("col") else orow)
        got_col = got if label.startswith("col") else got.T
        if not np.array_equal(got_col.reshape(d, n), ref_col):
            raise SystemExit(f"error: {row}: {label} does not give pi X")
    del ref_col
    sink.clear()
    return variants, 16.0 * n * d + 4.0 * n, 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rows", nargs="*", default=None)
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    rows = args.rows if args.rows else default_rows()
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    print(json.dumps({"info": {"numpy": np.__version__, "threads": threads,
                               "python": sys.version.split()[0]}}), flush=True)
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
        del variants
    return 0


if __name__ == "__main__":
    sys.exit(main())
