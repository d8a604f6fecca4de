#!/usr/bin/python3
"""NumPy / SciPy / PyTorch peer of bench/bench_trainable.cpp: the same rows, sizes and models.

  split_step/1d/n:N        one Strang split-step of iħ∂_tΨ = −(ħ²/2M)∇²Ψ + VΨ, ħ = M = 1,
  split_step/2d/n:N        V = ½|q|², on n points per axis of [−L, L), L = √(πn/2), periodic;
                           Ψ a Gaussian of width σ = 1/√2 centred at q = 1 per axis, dt = 10⁻³.
                           Steady-state step with consecutive half potential steps merged (as
                           trainable::Schrodinger::evolve does): Ψ ← F⁻¹[e^{−iħk²dt/2M} F Ψ],
                           then Ψ ← e^{−iV dt/ħ} Ψ; both phase factors precomputed once,
                           multiplies in place.
  ensemble_em/k:1/replicas:M
                           one Euler–Maruyama step q ← q + γ∇F(q) dt + √(2D dt) ξ of M replicas,
                           F = −q²/2 tabulated as ∇F = −q at 256 points of [−8, 8) (box grid),
                           linear interpolation, D = 0.25, γ = 0.5, dt = 10⁻³, replicas from
                           N(0, D/γ), then the check that every replica is finite and inside
                           [−8 − h/2, 8 − h/2) (the library reflects the ones outside; none is).
  network_ensemble/n:N/batch:B/replicas:M
                           one SGD step of M replicas of a tanh network of N neurons (inputs
                           0..3, outputs N−2, N−1), every parameter trained: B rows of a
                           256-row dataset drawn per replica, 5 iterations of x ← tanh(ŵx + b)
                           with the inputs held, the outputs set to the targets, the bulk loss
                           (3) ½|x − tanh(ŵx + b)|² and its gradient, ŵ ← ŵ − η gŴ, b ← b − η g_b
                           (η = 0.05), q ← dᵀ(θ − θ₀) for one direction d.

Formulations, all timed and reported; the row's time is the fastest:
  split_step:
    * numpy.fft.fft/ifft (fft2/ifft2 in 2-D): pocketfft, single-threaded (NumPy has no
      workers); it returns a new array, the multiplies are in place;
    * scipy.fft.fft/ifft (fft2/ifft2) with workers=threads and overwrite_x=True: SciPy's
      pocketfft, which threads over the independent 1-D transforms of an axis, so a 1-D grid
      (one transform) runs on one thread whatever `workers` is;
    * torch.fft.fft/ifft (fft2/ifft2) with out=, torch.set_num_threads(threads): this CPU build
      of torch (no MKL) runs pocketfft too.
  ensemble_em:
    * NumPy, np.interp on the table (binary search per replica) + Generator(PCG64)
      standard_normal (NumPy's default generator, ziggurat), one thread;
    * NumPy, uniform-grid gather: i = ⌊(q + L)/h⌋ clipped, ∇F = c₀[i] + c₁[i]·x with per-cell
      coefficient tables (γ dt folded in), in place with out=; PCG64 standard_normal;
    * the same with Generator(Philox) (Philox4x64-10, the bit generator nnworld uses);
    * PyTorch, the same gather with index_select (int32 indices) + torch.randn(out=) from the
      default CPU generator (mt19937: torch has no CPU Philox), torch.set_num_threads(threads).
  network_ensemble (PyTorch only; torch.set_num_threads(threads)):
    * batched tensors W (M × N × N), b (M × N × 1), states X (M × N × B): torch.bmm for ŵX and
      for the outer product g Xᵀ, the gradient written by hand (∂H/∂y = −r f′(y));
    * the same loss differentiated by autograd (torch.enable_grad, W and b leaves).

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
from peer_timing import measure

try:
    import scipy
    import scipy.fft
except ImportError:  # the SciPy formulation is then skipped
    scipy = None
try:
    import torch
except ImportError:  # the PyTorch formulations are then skipped
    torch = None

SPLIT_1D = [1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]
SPLIT_2D = [512, 1024, 2048]
EM_REPLICAS = [10_000, 100_000, 1_000_000]
SPLIT_DT = 1e-3
EM_POINTS, EM_EXTENT = 256, 8.0
EM_D, EM_GAMMA, EM_DT = 0.25, 0.5, 1e-3


def default_rows():
    rows = [f"split_step/1d/n:{n}" for n in SPLIT_1D]
    rows += [f"split_step/2d/n:{n}" for n in SPLIT_2D]
    rows += [f"ensemble_em/k:1/replicas:{m}" for m in EM_REPLICAS]
    rows += [f"network_ensemble/n:{n}/batch:8/replicas:10000" for n in (16, 64)]
    rows += ["network_ensemble/n:16/batch:8/replicas:100000"]
    return rows


# ---- byte and flop models (identical to bench_trainable.cpp; see bench/RESULTS.md) ---------
def split_model(n_total):
    # Two complex transforms (5 N log₂N each) and two complex multiplies per point; Ψ read and
    # written per transform, the two phase factors read once.
    return 96.0 * n_total, 10.0 * n_total * math.log2(n_total) + 12.0 * n_total


def em_model(m):
    # q read and written; the flops of nnworld's kernel as coded (Box–Muller 92, stencil 8,
    # conversions 4, update 4).
    return 16.0 * m, 108.0 * m


def build_split(dims, n, threads):
    ell = math.sqrt(math.pi * n / 2.0)
    h = 2.0 * ell / n
    x = -ell + h * np.arange(n)
    k = 2.0 * np.pi * np.fft.fftfreq(n, d=h)  # π m / L in FFT order
    sigma = math.sqrt(0.5)
    amp1 = (2.0 * math.pi * sigma * sigma) ** -0.25 * np.exp(-((x - 1.0) ** 2) / (4 * sigma ** 2))
    if dims == 1:
        v = 0.5 * x * x
        k2 = k * k
        psi0 = amp1.astype(np.complex128)
    else:
        v = 0.5 * (x[:, None] ** 2 + x[None, :] ** 2)
        k2 = k[:, None] ** 2 + k[None, :] ** 2
        psi0 = np.multiply.outer(amp1, amp1).astype(np.complex128)
    kin = np.exp(-0.5j * k2 * SPLIT_DT)  # e^{−iħk²dt/2M}
    full = np.exp(-1j * v * SPLIT_DT)  # e^{−iV dt/ħ}
    psi0 *= np.exp(-0.5j * v * SPLIT_DT)  # the first half potential step
    fwd, bwd = (np.fft.fft, np.fft.ifft) if dims == 1 else (np.fft.fft2, np.fft.ifft2)
    state = {"psi": psi0.copy()}

    def numpy_fft():
        psi = fwd(state["psi"])
        np.multiply(psi, kin, out=psi)
        psi = bwd(psi)
        np.multiply(psi, full, out=psi)
        state["psi"] = psi

    variants = {"numpy.fft (pocketfft, 1 thread)": numpy_fft}

    if scipy is not None:
        sf, sb = ((scipy.fft.fft, scipy.fft.ifft) if dims == 1
                  else (scipy.fft.fft2, scipy.fft.ifft2))
        sstate = {"psi": psi0.copy()}

        def scipy_fft():
            psi = sf(sstate["psi"], overwrite_x=True, workers=threads)
            np.multiply(psi, kin, out=psi)
            psi = sb(psi, overwrite_x=True, workers=threads)
            np.multiply(psi, full, out=psi)
            sstate["psi"] = psi

        variants[f"scipy.fft (workers={threads}, overwrite_x)"] = scipy_fft

    if torch is not None:
        tf, tb = ((torch.fft.fft, torch.fft.ifft) if dims == 1
                  else (torch.fft.fft2, torch.fft.ifft2))
        tpsi = torch.from_numpy(psi0.copy())
        tbuf = torch.empty_like(tpsi)
        tkin = torch.from_numpy(kin)
        tfull = torch.from_numpy(full)

        def torch_fft():
            tf(tpsi, out=tbuf)
            tbuf.mul_(tkin)
            tb(tbuf, out=tpsi)
            tpsi.mul_(tfull)

        variants[f"torch.fft (out=, {threads} threads)"] = torch_fft

    return variants, *split_model(float(psi0.size))


def build_em(m, seed):
    h = 2.0 * EM_EXTENT / EM_POINTS
    xs = -EM_EXTENT + h * np.arange(EM_POINTS)
    grad = -xs  # ∇F of F = −q²/2 (nnworld's fd4 table is exact for a quadratic)
    lo, hi = -EM_EXTENT - 0.5 * h, EM_EXTENT - 0.5 * h
    drift = EM_GAMMA * EM_DT
    kick = math.sqrt(2.0 * EM_D * EM_DT)
    sd = math.sqrt(EM_D / EM_GAMMA)
    q0 = np.random.default_rng(seed).normal(0.0, sd, m)
    # Per-cell linear coefficients with γ dt folded in: γ dt ∇F(x) = c0[i] + c1[i]·x on cell i,
    # x = (q + L)/h the fractional index (the table padded with one cell for x at the top).
    c1 = np.empty(EM_POINTS)
    c1[:-1] = np.diff(grad)
    c1[-1] = c1[-2]
    c0 = grad - np.arange(EM_POINTS) * c1
    c0 *= drift
    c1 *= drift
    grad_drift = drift * grad

    def confine(q):
        # As nnworld's em_step: every replica finite and inside [lo, hi); a replica outside is
        # reflected (mod 2·period), which this problem never needs.
        if not (q.min() >= lo and q.max() < hi):
            if not np.isfinite(q).all():
                raise FloatingPointError("replica coordinate q")
            period = hi - lo
            y = np.mod(q - lo, 2.0 * period)
            np.copyto(q, lo + np.where(y > period, 2.0 * period - y, y))

    variants = {}

    def interp_numpy(gen):
        q = q0.copy()
        z = np.empty(m)

        def fn():
            g = np.interp(q, xs, grad_drift)
            gen.standard_normal(out=z)
            np.multiply(z, kick, out=z)
            np.add(g, z, out=g)
            np.add(q, g, out=q)
            confine(q)

        return fn

    variants["numpy np.interp + PCG64 normals (1 thread)"] = interp_numpy(
        np.random.Generator(np.random.PCG64(seed)))

    def gather_numpy(gen):
        q = q0.copy()
        x = np.empty(m)
        idx = np.empty(m, dtype=np.intp)
        g = np.empty(m)
        t = np.empty(m)
        z = np.empty(m)
        inv_h = 1.0 / h

        def fn():
            np.subtract(q, -EM_EXTENT, out=x)
            np.multiply(x, inv_h, out=x)
            np.copyto(idx, x, casting="unsafe")  # truncation: ⌊x⌋ for x ≥ 0, clipped below
            np.clip(idx, 0, EM_POINTS - 2, out=idx)
            np.take(c1, idx, out=g)
            np.multiply(g, x, out=g)
            np.take(c0, idx, out=t)
            np.add(g, t, out=g)
            gen.standard_normal(out=z)
            np.multiply(z, kick, out=z)
            np.add(g, z, out=g)
            np.add(q, g, out=q)
            confine(q)

        return fn

    variants["numpy gather + PCG64 normals (1 thread)"] = gather_numpy(
        np.random.Generator(np.random.PCG64(seed)))
    variants["numpy gather + Philox normals (1 thread)"] = gather_numpy(
        np.random.Generator(np.random.Philox(seed)))

    if torch is not None:
        tq = torch.from_numpy(q0.copy())
        tx = torch.empty(m, dtype=torch.float64)
        tidx = torch.empty(m, dtype=torch.int32)
        tg = torch.empty(m, dtype=torch.float64)
        tt = torch.empty(m, dtype=torch.float64)
        tz = torch.empty(m, dtype=torch.float64)
        tc0 = torch.from_numpy(c0)
        tc1 = torch.from_numpy(c1)
        tgen = torch.Generator().manual_seed(seed)
        inv_h = 1.0 / h

        def torch_gather():
            torch.sub(tq, -EM_EXTENT, out=tx)
            tx.mul_(inv_h)
            tidx.copy_(tx)  # truncation: ⌊x⌋ for x ≥ 0, clamped below
            tidx.clamp_(0, EM_POINTS - 2)
            torch.index_select(tc1, 0, tidx, out=tg)
            tg.mul_(tx)
            torch.index_select(tc0, 0, tidx, out=tt)
            tg.add_(tt)
            torch.randn(m, generator=tgen, dtype=torch.float64, out=tz)
            tg.add_(tz, alpha=kick)
            tq.add_(tg)
            mn, mx = torch.aminmax(tq)
            if not (float(mn) >= lo and float(mx) < hi):
                confine(tq.numpy())

        variants["torch gather + randn (mt19937)"] = torch_gather

    return variants, *em_model(float(m))


NET_RELAX = 5
NET_ROWS = 256


def net_model(m, n, b):
    """(bytes, flops) of one network-ensemble step (bench_trainable.cpp): θ read and written,
    (R + 2) products ŵX plus the update and the projection."""
    p = n + n * n
    return 16.0 * p * m, m * (2.0 * n * n * b * (NET_RELAX + 2) + 4.0 * p)


def build_net(n, b, m, seed):
    variants = {}
    if torch is None:
        return variants, *net_model(m, n, b)
    dt = torch.float64
    gen = torch.Generator().manual_seed(seed)
    w0 = torch.randn(n, n, generator=gen, dtype=dt) * (0.5 / math.sqrt(n))
    state = {"W": w0.expand(m, n, n).clone(), "b": torch.zeros(m, n, 1, dtype=dt)}
    d_w = torch.randn(n, n, generator=gen, dtype=dt)
    d_b = torch.randn(n, generator=gen, dtype=dt)
    norm = math.sqrt(float((d_w * d_w).sum() + (d_b * d_b).sum()))
    d_w /= norm
    d_b /= norm
    theta0_w, theta0_b = w0.clone(), torch.zeros(n, dtype=dt)
    data = torch.randn(NET_ROWS, 6, generator=gen, dtype=dt)
    inp = torch.tensor([0, 1, 2, 3])
    out = torch.tensor([n - 2, n - 1])
    held = torch.zeros(n, dtype=torch.bool)
    held[inp] = True
    eta = 0.05
    q = torch.empty(m, dtype=dt)

    def states():
        rows = torch.randint(0, NET_ROWS, (m, b), generator=gen)
        d = data[rows]  # M × B × 6
        x = torch.zeros(m, n, b, dtype=dt)
        x[:, inp, :] = d[:, :, :4].transpose(1, 2)
        w, bias = state["W"], state["b"]
        for _ in range(NET_RELAX):
            y = torch.tanh(torch.bmm(w, x) + bias)
            y[:, held, :] = x[:, held, :]
            x = y
        x[:, out, :] = d[:, :, 4:].transpose(1, 2)
        return x

    def finish(gw, gb):
        state["W"].sub_(gw, alpha=eta)
        state["b"].sub_(gb, alpha=eta)
        torch.sum((state["W"] - theta0_w) * d_w, dim=(1, 2), out=q)
        q.add_(((state["b"].squeeze(2) - theta0_b) * d_b).sum(dim=1))

    def manual():
        x = states()
        f = torch.tanh(torch.bmm(state["W"], x) + state["b"])
        r = x - f
        g = -r * (1.0 - f * f)  # ∂H/∂y
        loss = 0.5 * (r * r).sum(dim=(1, 2)) / b
        gw = torch.bmm(g, x.transpose(1, 2)) / b
        gb = g.mean(dim=2, keepdim=True)
        finish(gw, gb)
        return loss

    def autograd():
        x = states()
        with torch.enable_grad():
            w = state["W"].detach().requires_grad_(True)
            bias = state["b"].detach().requires_grad_(True)
            r = x - torch.tanh(torch.bmm(w, x) + bias)
            loss = 0.5 * (r * r).sum(dim=(1, 2)) / b
            gw, gb = torch.autograd.grad(loss.sum(), (w, bias))
        finish(gw, gb)
        return loss.detach()

    variants["torch bmm, manual gradient"] = manual
    variants["torch bmm, autograd"] = autograd
    return variants, *net_model(m, n, b)


def build(row, threads, seed):
    """Returns ({variant: fn}, bytes, flops) for the row name."""
    m = re.fullmatch(r"split_step/(1|2)d/n:(\d+)", row)
    if m:
        return build_split(int(m[1]), int(m[2]), threads)
    m = re.fullmatch(r"ensemble_em/k:1/replicas:(\d+)", row)
    if m:
        return build_em(int(m[1]), seed)
    m = re.fullmatch(r"network_ensemble/n:(\d+)/batch:(\d+)/replicas:(\d+)", row)
    if m:
        return build_net(int(m[1]), int(m[2]), int(m[3]), seed)
    raise ValueError(f"unknown row {row!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rows", nargs="*", default=None)
    ap.add_argument("--filter", default=None, help="regex on row names")
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    rows = args.rows if args.rows else default_rows()
    if args.filter:
        rows = [r for r in rows if re.search(args.filter, r)]
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    info = {"numpy": np.__version__, "threads": threads,
            "scipy": scipy.__version__ if scipy is not None else None,
            "torch": torch.__version__ if torch is not None else None,
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY",
                                                   "ATEN_CPU_CAPABILITY")}}
    if torch is not None:
        torch.set_num_threads(threads)
        info["torch_threads"] = torch.get_num_threads()
        m = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
        info["cpu_capability"] = m[1] if m else None
    print(json.dumps({"info": info}), flush=True)
    for row in rows:
        try:
            variants, nbytes, flops = build(row, threads, args.seed)
        except ValueError as e:
            print(json.dumps({"row": row, "error": str(e)}), flush=True)
            continue
        if torch is not None:
            with torch.no_grad():
                times = {name: measure(fn, args.min_time) for name, fn in variants.items()}
        else:
            times = {name: measure(fn, args.min_time) for name, fn in variants.items()}
        best = min(times, key=times.get)
        print(json.dumps({"row": row, "seconds": times[best], "bytes": nbytes, "flops": flops,
                          "method": best, "variants": times, "threads": threads}), flush=True)
        del variants
    return 0


if __name__ == "__main__":
    sys.exit(main())
