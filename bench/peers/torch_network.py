#!/usr/bin/python3
"""PyTorch peer of bench/bench_network.cpp: the same rows, sizes, byte and flop models.

Each row builds the same problem as the C++ benchmark of the same name (float64 throughout):

  copy/bytes:S                       dst.copy_(src) of S bytes (counted: read + write = 2S)
  peak/gemm/n:N                      C = A B, N×N float64 (torch.mm): the machine's FLOP roof
  state_map/dense/n:N/batch:B        Y = tanh(W X + b 1ᵀ), W dense N×N, X N×B
  state_map/sparse/n:N               y = tanh(W x + b), W CSR with 16 nonzeros per row; the
                                     k-th nonzero of row i sits in column k·⌊N/16⌋ + U[0, ⌊N/16⌋)
  state_map/permutation_cyclic/n:N   y_i = tanh(v_i x_{s(i)} + b_i), s(i) = i − 1 mod N
  state_map/permutation_random/n:N   same with s a uniformly random permutation
  sgd_step/dense/n:N/batch:B         one SGD update of (W, b) on the bulk loss (3) at fixed X:
                                     Y = W X + b 1ᵀ, F = tanh Y, R = X − F, H = ½|R|²/B,
                                     D = ∂H/∂Y = −R ⊙ (1 − F²)/B, W −= η D Xᵀ, b −= η D 1,
                                     then ⟨H⟩ at the new (W, b) (as train_sgd with steps = 1)
  hmc_gradient/dense/n:N             H = ½|x − tanh(W x + b)|² (3, m = 0) and ∂H/∂x at one
                                     state, as one HMC leapfrog step; two formulations, both
                                     reported, the row's time the faster: autograd
                                     (x.requires_grad, H.backward()) and a hand-written
                                     gradient ∂H/∂x = r − Wᵀ(r ⊙ (1 − F²)), r = x − F

Each row uses PyTorch's fastest available formulation on this build (measured, see
bench/RESULTS.md): OpenBLAS addmv/addmm for dense rows, an ELL gather + batched dot for the
sparse rows (torch's CSR × dense on a CPU build without MKL runs a generic loop about 5× slower),
index_select + addcmul + tanh_ for permutations, and a hand-written gradient with in-place
addmm_ (β = 1) for the SGD step (autograd adds allocations and is slower). All outputs are
preallocated and written with out= or in place.

Timing: two warm-up calls, then samples of k calls each (k chosen so a sample lasts ≥ 2 ms)
until there are at least 5 samples and `--min-time` seconds in all; the median sample / k is
reported. Output: one JSON object per line: first {"info": {versions, OpenBLAS core, ATen
CPU capability, environment}}, then one {row, seconds, bytes, flops, method, threads} per row.
"""

import argparse
import ctypes
import json
import math
import os
import re
import sys

import torch
import peer_timing

DT = torch.float64
NNZ_PER_ROW = 16

DENSE_N = [256, 512, 1024, 2048, 4096, 8192]
DENSE_BATCH = [1, 256]
SPARSE_N = [100_000, 300_000, 1_000_000]
PERM_N = [1_000_000, 3_000_000, 10_000_000]
SGD_N = [256, 1024, 4096]
SGD_BATCH = [1, 256]
SGD_STEP = 0.01
HMC_N = [256, 1024, 4096]


COPY_BYTES = 256 << 20


def default_rows():
    rows = [f"copy/bytes:{COPY_BYTES}", "peak/gemm/n:4096"]
    for n in DENSE_N:
        for b in DENSE_BATCH:
            rows.append(f"state_map/dense/n:{n}/batch:{b}")
    rows += [f"state_map/sparse/n:{n}" for n in SPARSE_N]
    for kind in ("cyclic", "random"):
        rows += [f"state_map/permutation_{kind}/n:{n}" for n in PERM_N]
    for n in SGD_N:
        for b in SGD_BATCH:
            rows.append(f"sgd_step/dense/n:{n}/batch:{b}")
    rows += [f"hmc_gradient/dense/n:{n}" for n in HMC_N]
    return rows


# ---- byte and flop models (identical to bench_network.cpp; see bench/RESULTS.md) -----------
def dense_model(n, b):
    # W once, X, b, output once.
    return 8.0 * (n * n + 2 * n * b + n), 2.0 * n * n * b


def sparse_model(n):
    nnz = NNZ_PER_ROW * n
    # values 8 B + column 4 B per nonzero, row pointer 4 B, x 8 B (each element at least
    # once), b 8 B, output 8 B per row.
    return 12.0 * nnz + 4.0 * (n + 1) + 24.0 * n, 2.0 * nnz


def permutation_model(n):
    # source 4 B + value 8 B + b 8 B + x 8 B + output 8 B per row.
    return 36.0 * n, 2.0 * n


def sgd_model(n, b):
    # As train_sgd with steps = 1: batch loss and gradient (W read once), update (W read and
    # written), final ⟨H⟩ over the B rows (W read once); X read three times, b read twice and
    # written once. Flops: the three N×N×B products.
    return 8.0 * (4 * n * n + 3 * n * b + 3 * n), 6.0 * n * n * b


def uniform(shape, lo, hi, gen):
    return torch.rand(shape, dtype=DT, generator=gen) * (hi - lo) + lo


def build(row, gen):
    """Returns (fn, bytes, flops, method) for the row name."""
    m = re.fullmatch(r"copy/bytes:(\d+)", row)
    if m:
        count = int(m[1]) // 8
        src = torch.arange(count, dtype=DT)
        dst = torch.zeros(count, dtype=DT)

        def fn():
            dst.copy_(src)

        return (fn, 2.0 * count * 8, 0.0, "copy_ (read + write bytes)")

    m = re.fullmatch(r"peak/gemm/n:(\d+)", row)
    if m:
        n = int(m[1])
        a = uniform((n, n), -0.5, 0.5, gen)
        b = uniform((n, n), -0.5, 0.5, gen)
        c = torch.empty((n, n), dtype=DT)

        def fn():
            torch.mm(a, b, out=c)

        return (fn, 3.0 * 8 * n * n, 2.0 * n ** 3, "torch.mm (OpenBLAS dgemm)")

    m = re.fullmatch(r"state_map/dense/n:(\d+)/batch:(\d+)", row)
    if m:
        n, b = int(m[1]), int(m[2])
        s = math.sqrt(3.0 / n)
        w = uniform((n, n), -s, s, gen)
        bias = uniform((n,), -0.1, 0.1, gen)
        if b == 1:
            x = uniform((n,), -1.0, 1.0, gen)
            y = torch.empty(n, dtype=DT)

            def fn():
                torch.addmv(bias, w, x, out=y)
                y.tanh_()

            method = "addmv + tanh_"
        else:
            # States as rows (nn.Linear's layout): Y = X Wᵀ + 1 bᵀ, one OpenBLAS dgemm.
            x = uniform((b, n), -1.0, 1.0, gen)
            y = torch.empty(b, n, dtype=DT)
            wt = w.t()

            def fn():
                torch.addmm(bias, x, wt, out=y)
                y.tanh_()

            method = "addmm + tanh_"
        return (fn, *dense_model(n, b), method)

    m = re.fullmatch(r"state_map/sparse/n:(\d+)", row)
    if m:
        n = int(m[1])
        seg = n // NNZ_PER_ROW
        base = (torch.arange(NNZ_PER_ROW) * seg).unsqueeze(0)
        cols = (base + torch.randint(0, seg, (n, NNZ_PER_ROW), generator=gen)).reshape(-1)
        cols = cols.to(torch.int32)  # int32 indices gather faster than int64 here
        s = math.sqrt(3.0 / NNZ_PER_ROW)
        val = uniform((n, 1, NNZ_PER_ROW), -s, s, gen)
        x = uniform((n,), -1.0, 1.0, gen)
        bias = uniform((n,), -0.1, 0.1, gen)
        gx = torch.empty(n * NNZ_PER_ROW, dtype=DT)
        y = torch.empty(n, dtype=DT)

        def fn():
            torch.index_select(x, 0, cols, out=gx)
            torch.bmm(val, gx.view(n, NNZ_PER_ROW, 1), out=y.view(n, 1, 1))
            y.add_(bias).tanh_()

        return (fn, *sparse_model(n), "ELL: index_select + bmm + add_ + tanh_")

    m = re.fullmatch(r"state_map/permutation_(cyclic|random)/n:(\d+)", row)
    if m:
        n = int(m[2])
        if m[1] == "cyclic":
            src = (torch.arange(n) - 1) % n
        else:
            src = torch.randperm(n, generator=gen)
        src = src.to(torch.int32)
        v = uniform((n,), -1.0, 1.0, gen)
        x = uniform((n,), -1.0, 1.0, gen)
        bias = uniform((n,), -0.1, 0.1, gen)
        y = torch.empty(n, dtype=DT)

        def fn():
            torch.index_select(x, 0, src, out=y)
            torch.addcmul(bias, v, y, out=y)
            y.tanh_()

        return (fn, *permutation_model(n), "index_select + addcmul + tanh_")

    m = re.fullmatch(r"sgd_step/dense/n:(\d+)/batch:(\d+)", row)
    if m:
        n, b = int(m[1]), int(m[2])
        s = math.sqrt(3.0 / n)
        w = uniform((n, n), -s, s, gen)
        bias = uniform((n,), -0.1, 0.1, gen)
        result = {}
        if b == 1:
            x = uniform((n,), -1.0, 1.0, gen)
            y = torch.empty(n, dtype=DT)
            r = torch.empty(n, dtype=DT)

            def loss():
                torch.addmv(bias, w, x, out=y)
                y.tanh_()  # F = tanh(W x + b)
                torch.sub(x, y, out=r)  # R = x − F
                return 0.5 * float(torch.dot(r, r))

            def fn():
                result["batch_loss"] = loss()
                y.mul_(y).sub_(1.0).mul_(r)  # D = R (F² − 1) = ∂H/∂y
                w.addr_(y, x, alpha=-SGD_STEP)  # W −= η D xᵀ
                bias.add_(y, alpha=-SGD_STEP)  # b −= η D
                result["final_loss"] = loss()

            method = "addmv + addr_ (manual gradient)"
        else:
            # States as rows: Y = X Wᵀ + 1 bᵀ (B×N).
            x = uniform((b, n), -1.0, 1.0, gen)
            y = torch.empty(b, n, dtype=DT)
            r = torch.empty(b, n, dtype=DT)
            db = torch.empty(n, dtype=DT)
            wt = w.t()
            scale = 1.0 / b

            def loss():
                torch.addmm(bias, x, wt, out=y)
                y.tanh_()  # F
                torch.sub(x, y, out=r)  # R = X − F
                return 0.5 * float(torch.sum(r * r)) * scale

            def fn():
                result["batch_loss"] = loss()
                y.mul_(y).sub_(1.0).mul_(r)  # B·D = R (F² − 1)
                w.addmm_(y.t(), x, alpha=-SGD_STEP * scale)  # W −= η Dᵀ X (one dgemm, β = 1)
                torch.sum(y, 0, out=db)
                bias.add_(db, alpha=-SGD_STEP * scale)
                result["final_loss"] = loss()

            method = "addmm + addmm_ (manual gradient)"
        return (fn, *sgd_model(n, b), method)

    m = re.fullmatch(r"hmc_gradient/dense/n:(\d+)", row)
    if m:
        n = int(m[1])
        s = math.sqrt(3.0 / n)
        w = uniform((n, n), -s, s, gen)
        bias = uniform((n,), -0.1, 0.1, gen)
        x0 = uniform((n,), -1.0, 1.0, gen)
        xa = x0.clone().requires_grad_(True)
        f = torch.empty(n, dtype=DT)
        r = torch.empty(n, dtype=DT)
        g = torch.empty(n, dtype=DT)
        result = {}

        def autograd():
            with torch.enable_grad():
                xa.grad = None
                h = 0.5 * (xa - torch.tanh(torch.addmv(bias, w, xa))).square().sum()
                h.backward()
            result["h"] = float(h)
            result["grad"] = xa.grad

        def manual():
            torch.addmv(bias, w, x0, out=f)
            f.tanh_()  # F = tanh(W x + b)
            torch.sub(x0, f, out=r)  # r = x − F
            result["h"] = 0.5 * float(torch.dot(r, r))
            f.mul_(f).sub_(1.0).mul_(r)  # (F² − 1) ⊙ r = −f′ ⊙ r
            torch.addmv(r, w.t(), f, out=g)  # ∂H/∂x = r − Wᵀ(f′ ⊙ r)
            result["grad"] = g

        # Model (as bench_thermo.cpp): W once, x, b, the gradient; W x and Wᵀ v.
        return ({"autograd (requires_grad, backward)": autograd,
                 "manual gradient (addmv, addmv on Wᵀ)": manual},
                8.0 * (n * n + 3 * n), 4.0 * n * n, None)

    raise ValueError(f"unknown row {row!r}")


def measure(fn, min_time):
    """Two warm-up calls, then median of ≥ 5 samples of k calls (≥ 2 ms each)."""
    return peer_timing.measure(fn, min_time, warmup=2, least=5, least_slow=5)


def setup_info(threads):
    """Versions and the kernels PyTorch will run (OpenBLAS core, ATen CPU capability)."""
    info = {"torch": torch.__version__, "threads": threads,
            "num_threads": torch.get_num_threads(),
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY",
                                                   "ATEN_CPU_CAPABILITY", "OPENBLAS_CORETYPE",
                                                   "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")}}
    cfg = torch.__config__.show()
    m = re.search(r"CPU capability usage: (\S+)", cfg)
    info["cpu_capability"] = m[1] if m else None
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["openblas_core"] = lib.openblas_get_corename().decode()
        info["openblas_config"] = lib.openblas_get_config().decode()
        info["openblas_threads"] = lib.openblas_get_num_threads()
    except (OSError, AttributeError) as e:
        info["openblas_core"] = f"unknown ({e})"
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: nproc)")
    ap.add_argument("--rows", nargs="*", default=None, help="row names (default: all)")
    ap.add_argument("--filter", default=None, help="regex on row names")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds of samples per row")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true", help="print the row names and exit")
    args = ap.parse_args()

    rows = args.rows if args.rows else default_rows()
    if args.filter:
        rows = [r for r in rows if re.search(args.filter, r)]
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    print(json.dumps({"info": setup_info(threads)}), flush=True)
    gen = torch.Generator().manual_seed(args.seed)
    for row in rows:
        try:
            fn, nbytes, flops, method = build(row, gen)
        except ValueError as e:
            print(json.dumps({"row": row, "error": str(e)}), flush=True)
            continue
        variants = fn if isinstance(fn, dict) else {method: fn}
        with torch.no_grad():
            times = {name: measure(f, args.min_time) for name, f in variants.items()}
        best = min(times, key=times.get)
        out = {"row": row, "seconds": times[best], "bytes": nbytes, "flops": flops,
               "method": best, "threads": threads}
        if len(times) > 1:
            out["variants"] = times
        print(json.dumps(out), flush=True)
        del fn, variants
    return 0


if __name__ == "__main__":
    sys.exit(main())
