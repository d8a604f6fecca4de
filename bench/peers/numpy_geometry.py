#!/usr/bin/python3
"""NumPy peer of the curvature rows of bench/bench_geometry.cpp: the same rows, fields, points
and algorithms.

  curvature/schwarzschild/points:N       Schwarzschild (M = 1) at N points, 4th-order central
                                         differences at h = 1e-3 for ∂g and ∂²g (the stencils of
                                         geometry::FiniteDifference::Method::central4: 4 points
                                         per axis, 8 per pair), vectorised over a chunk of points
  curvature/schwarzschild_expr/points:N  the same computation (NumPy has no expression metric:
                                         the closed form is what a NumPy user would write)
  grid_curvature/static4d/n:64           the static 4-D field of bench_geometry.cpp on a 64³ grid:
                                         ∂g and ∂²g by numpy.fft (rfftn/irfftn), then the same
                                         pointwise curvature in chunks

Curvature from the 2-jet (as geometry::curvature(MetricJet)), every contraction an einsum:
Γ_{νγδ} = ½(g_{νγ,δ} + g_{νδ,γ} − g_{γδ,ν}), Γ^μ_{γδ} = g^{μν}Γ_{νγδ},
∂_αΓ^μ_{γδ} = −g^{μρ}g_{ρσ,α}g^{σν}Γ_{νγδ} + g^{μν}∂_αΓ_{νγδ},
R^ρ_{σμν} = ∂_μΓ^ρ_{νσ} − ∂_νΓ^ρ_{μσ} + Γ^ρ_{μλ}Γ^λ_{νσ} − Γ^ρ_{νλ}Γ^λ_{μσ}, R_σν = R^ρ_{σρν},
R = g^{σν}R_σν, K = R_{abcd}R^{abcd}, R_μν R^μν.
Formulations (FORMS): "matmul", the contractions as batched np.matmul on reshaped arrays with
np.einsum for the transposes and traces (timed), and "einsum", every contraction a two-operand
np.einsum (20× slower; only with --forms). Chunk: 8192 points.

Output as bench/peers/numpy_thermo.py: one JSON object per line, {"info": …} first, then
{row, seconds, bytes, flops, method, variants, threads, check} per row, check = the sums
Σ R, Σ K, Σ R_μν R^μν over all points (compared by run.py with the C++ counters). NumPy's
einsum, stacked matmul of 4×4 blocks and FFTs run on one thread whatever --threads says.
"""

import argparse
import json
import math
import os
import re
import sys

import numpy as np
from peer_timing import measure

N_POINTS = 1_000_000
GRID = 64
CHUNK = 8192
H = 1e-3
# Formulations of the pointwise contractions timed per row (the row takes the faster). The
# all-einsum form ("einsum", every contraction a two-operand np.einsum) measured 18.7 s per
# 8192-point chunk against 0.87 s for "matmul" (load average 10, 2026-12-01), i.e. ~40 min per
# row at 10⁶ points, so it is not timed by default (--forms einsum matmul to time both).
FORMS = ["matmul"]


def default_rows():
    return [f"curvature/schwarzschild/points:{N_POINTS}",
            f"curvature/schwarzschild_expr/points:{N_POINTS}",
            f"grid_curvature/static4d/n:{GRID}"]


def schwarzschild_points(n):
    """Point i: t = 0, r = 3 + 7(i + ½)/n, θ = 0.3 + 2.5·frac(0.618034 i), φ = 2π·frac(0.414214 i)."""
    i = np.arange(n, dtype=np.float64)
    a, b = 0.618034 * i, 0.414214 * i
    return np.stack([np.zeros(n), 3.0 + 7.0 * (i + 0.5) / n, 0.3 + 2.5 * (a - np.floor(a)),
                     2.0 * np.pi * (b - np.floor(b))], axis=1)


def schwarzschild_g(x):
    """g_μν at points x (..., 4) → (..., 4, 4), M = 1."""
    r, th = x[..., 1], x[..., 2]
    f = 1.0 - 2.0 / r
    g = np.zeros(x.shape[:-1] + (4, 4))
    g[..., 0, 0] = -f
    g[..., 1, 1] = 1.0 / f
    g[..., 2, 2] = r * r
    s = np.sin(th)
    g[..., 3, 3] = r * r * s * s
    return g


def central4_jet(x, metric):
    """g, ∂g (c, P, 4, 4) and ∂²g (c, d, P, 4, 4) at points x (P, n) by central4 stencils."""
    n = x.shape[1]
    g0 = metric(x)
    dg = np.empty((n,) + g0.shape)
    ddg = np.empty((n, n) + g0.shape)

    def at(c, dc, d=None, dd=0.0):
        y = x.copy()
        y[:, c] += dc
        if d is not None:
            y[:, d] += dd
        return metric(y)

    for c in range(n):
        p1, m1, p2, m2 = at(c, H), at(c, -H), at(c, 2 * H), at(c, -2 * H)
        dg[c] = (8.0 * (p1 - m1) - (p2 - m2)) / (12.0 * H)
        ddg[c, c] = (16.0 * (p1 + m1) - (p2 + m2) - 30.0 * g0) / (12.0 * H * H)
    for c in range(n):
        for d in range(c + 1, n):
            def s(t):
                return (at(c, t * H, d, t * H) - at(c, t * H, d, -t * H)
                        - at(c, -t * H, d, t * H) + at(c, -t * H, d, -t * H))
            ddg[c, d] = (16.0 * s(1.0) - s(2.0)) / (48.0 * H * H)
            ddg[d, c] = ddg[c, d]
    return g0, dg, ddg


def curvature_from_jet(g, dg, ddg, form):
    """R, K, R_μν R^μν at P points from g (P,n,n), dg (n,P,n,n), ddg (n,n,P,n,n).
    form = "einsum": two-operand np.einsum for every contraction; "matmul": the same
    contractions as batched np.matmul on reshaped arrays (BLAS-free small products)."""
    p, n = g.shape[0], g.shape[1]
    gi = np.linalg.inv(g)
    dgp = np.ascontiguousarray(np.moveaxis(dg, 0, 1))            # (P, c, a, b) = ∂_c g_ab
    ddgp = np.ascontiguousarray(np.moveaxis(ddg, (0, 1), (1, 2)))  # (P, c, d, a, b)
    # first[p, ν, γ, δ] = Γ_{νγδ} = ½(g_{νγ,δ} + g_{νδ,γ} − g_{γδ,ν})
    first = 0.5 * (np.einsum("pdng->pngd", dgp) + np.einsum("pgnd->pngd", dgp) - dgp)
    # ∂_α Γ_{νγδ} = ½(g_{νγ,δα} + g_{νδ,γα} − g_{γδ,να}), dfirst[p, α, ν, γ, δ]
    dfirst = 0.5 * (np.einsum("pdang->pangd", ddgp) + np.einsum("pgand->pangd", ddgp)
                    - np.einsum("pnagd->pangd", ddgp))
    if form == "einsum":
        e = np.einsum
        gam = e("pmn,pngd->pmgd", gi, first)
        # ∂_α g^{μν} = −g^{μρ} ∂_α g_{ρσ} g^{σν}
        dgi = -e("pamr,prn->pamn", e("pmr,pars->pams", gi, dgp), gi)
        dgam = e("pamn,pngd->pamgd", dgi, first) + e("pmn,pangd->pamgd", gi, dfirst)
        gg = e("prml,plns->prsmn", gam, gam)
    else:
        gam = (gi @ first.reshape(p, n, n * n)).reshape(p, n, n, n)
        dgi = -(gi[:, None] @ dgp @ gi[:, None])
        dgam = (dgi @ first.reshape(p, 1, n, n * n)
                + gi[:, None] @ dfirst.reshape(p, n, n, n * n)).reshape(p, n, n, n, n)
        gg = (gam.reshape(p, n * n, n) @ gam.reshape(p, n, n * n)).reshape(p, n, n, n, n)
        gg = np.einsum("prmns->prsmn", gg)
    riem = riem_of(dgam, gg)
    # R_σν = R^ρ_{σρν} (symmetrised), R = g^{σν}R_σν, R_μν R^μν
    ric = np.einsum("prsrn->psn", riem)
    ric = 0.5 * (ric + np.swapaxes(ric, 1, 2))
    scalar = np.einsum("psn,psn->p", gi, ric)
    ric_up = gi @ ric @ gi
    ric2 = np.einsum("pab,pab->p", ric_up, ric)
    # K = R_{abcd} R^{abcd}: lower a; raise b, c, d one at a time
    if form == "einsum":
        e = np.einsum
        low = e("pae,pebcd->pabcd", g, riem)
        up = e("pbf,pafgh->pabgh", gi, riem)
        up = e("pcg,pabgh->pabch", gi, up)
        up = e("pdh,pabch->pabcd", gi, up)
    else:
        low = (g @ riem.reshape(p, n, n ** 3)).reshape(riem.shape)
        up = gi[:, None, None] @ riem @ gi[:, None, None]   # raise c and d
        up = np.einsum("pbf,pafcd->pabcd", gi, up)          # raise b
    kre = np.einsum("pabcd,pabcd->p", low, up)
    return scalar, kre, ric2


def riem_of(dgam, gg):
    """R^ρ_{σμν} = ∂_μΓ^ρ_{νσ} − ∂_νΓ^ρ_{μσ} + Γ^ρ_{μλ}Γ^λ_{νσ} − Γ^ρ_{νλ}Γ^λ_{μσ} from
    dgam[p, α, μ, γ, δ] = ∂_αΓ^μ_{γδ} and gg[p, ρ, σ, μ, ν] = Γ^ρ_{μλ}Γ^λ_{νσ}."""
    d_term = np.einsum("pmrns->prsmn", dgam)
    return d_term - np.swapaxes(d_term, 3, 4) + gg - np.swapaxes(gg, 3, 4)


def point_row(points):
    sums = {}

    def run(form):
        r = k = q = 0.0
        for s in range(0, len(points), CHUNK):
            x = points[s:s + CHUNK]
            g, dg, ddg = central4_jet(x, schwarzschild_g)
            a, b, c = curvature_from_jet(g, dg, ddg, form)
            r += a.sum()
            k += b.sum()
            q += c.sum()
        sums["central4 + " + form] = (r, k, q)

    return {"central4 + " + f: (lambda f=f: run(f)) for f in FORMS}, sums


def static_field(n):
    """The field of bench_geometry.cpp on the n³ grid x_c = j·2π/n: packed (P, 4, 4) and the
    flat arrays per component."""
    x1 = np.arange(n) * (2.0 * np.pi / n)
    x, y, z = np.meshgrid(x1, x1, x1, indexing="ij")
    comp = {(0, 0): 1.0 + 0.1 * np.sin(z), (0, 1): 0.05 * np.cos(z),
            (0, 2): 0.03 * np.sin(2.0 * y), (1, 1): 1.0 + 0.1 * np.cos(x),
            (2, 2): 1.2 + 0.1 * np.sin(x + y), (3, 3): -(1.0 + 0.2 * np.cos(x) * np.cos(y))}
    return comp


def spectral_jet(comp, n):
    """∂g, ∂²g of the 4×4 field by rfftn/irfftn (Nyquist dropped for odd derivatives, as
    core::spectral_derivative), flattened over the grid."""
    k1 = np.fft.fftfreq(n, d=1.0 / n)          # integer wavenumbers (period 2π)
    kz = np.fft.rfftfreq(n, d=1.0 / n)
    kx, ky, kzz = np.meshgrid(k1, k1, kz, indexing="ij")
    odd = [np.where(np.abs(k) == n // 2, 0.0, k) for k in (kx, ky, kzz)]
    ks = [kx, ky, kzz]
    p = n ** 3
    g = np.zeros((p, 4, 4))
    dg = np.zeros((4, p, 4, 4))
    ddg = np.zeros((4, 4, p, 4, 4))
    for (a, b), f in comp.items():
        g[:, a, b] = g[:, b, a] = f.ravel()
        fh = np.fft.rfftn(f)
        for c in range(3):
            d1 = np.fft.irfftn(1j * odd[c] * fh, s=f.shape).ravel()
            dg[c, :, a, b] = dg[c, :, b, a] = d1
            for d in range(c, 3):
                mult = -(ks[c] * ks[d]) if c == d else -(odd[c] * odd[d])
                d2 = np.fft.irfftn(mult * fh, s=f.shape).ravel()
                ddg[c, d, :, a, b] = ddg[c, d, :, b, a] = d2
                ddg[d, c, :, a, b] = ddg[d, c, :, b, a] = d2
    return g, dg, ddg


def grid_row(n):
    comp = static_field(n)
    sums = {}

    def run(form):
        g, dg, ddg = spectral_jet(comp, n)
        r = k = q = 0.0
        for s in range(0, g.shape[0], CHUNK):
            a, b, c = curvature_from_jet(g[s:s + CHUNK], dg[:, s:s + CHUNK],
                                         ddg[:, :, s:s + CHUNK], form)
            r += a.sum()
            k += b.sum()
            q += c.sum()
        sums["fft + " + form] = (r, k, q)

    return {"fft + " + f: (lambda f=f: run(f)) for f in FORMS}, sums


def build(row):
    m = re.fullmatch(r"curvature/(schwarzschild|schwarzschild_expr)/points:(\d+)", row)
    if m:
        return point_row(schwarzschild_points(int(m[2])))
    m = re.fullmatch(r"grid_curvature/static4d/n:(\d+)", row)
    if m:
        return grid_row(int(m[1]))
    raise ValueError(f"unknown row {row!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rows", nargs="*", default=None)
    ap.add_argument("--min-time", type=float, default=0.3)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--forms", nargs="*", default=FORMS, choices=["matmul", "einsum"])
    args = ap.parse_args()
    FORMS[:] = args.forms
    rows = args.rows if args.rows else default_rows()
    if args.list:
        print("\n".join(rows))
        return 0
    threads = args.threads or len(os.sched_getaffinity(0))
    print(json.dumps({"info": {"numpy": np.__version__, "threads": threads,
                               "python": sys.version.split()[0]}}), flush=True)
    for row in rows:
        try:
            variants, sums = build(row)
        except ValueError as e:
            print(json.dumps({"row": row, "error": str(e)}), flush=True)
            continue
        # One warm-up call inside measure; these rows take seconds, so 3 samples (least_slow).
        times = {name: measure(fn, args.min_time, warmup=0, least=3, least_slow=1)
                 for name, fn in variants.items()}
        best = min(times, key=times.get)
        r, k, q = sums[best]
        print(json.dumps({"row": row, "seconds": times[best], "bytes": 0.0, "flops": 0.0,
                          "method": best, "variants": times, "threads": threads,
                          "check": {"check_sum_R": r, "check_sum_K": k, "check_sum_Ric2": q}}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
