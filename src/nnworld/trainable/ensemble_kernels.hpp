#pragma once
// Pointwise kernels shared by the replica-ensemble engines (ensemble.cpp, ensemble_measure.cpp,
// kramers_moyal.cpp): interpolation stencils on a core::Grid, the wrap/reflect map of the
// replica domain, cell indices, and standard normals from one Philox counter.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "nnworld/core/grid.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/trainable/ensemble.hpp"

namespace nnworld::trainable::kernels {

// Up to 4 (index, weight) pairs along one axis.
struct AxisStencil {
  std::int64_t index[4];
  double weight[4];
  int size;
};

inline std::int64_t wrap_index(std::int64_t i, std::int64_t n) {
  const std::int64_t m = i % n;
  return m < 0 ? m + n : m;
}

// One axis of a grid, as the stencils need it.
struct AxisMap {
  double origin;   // −L (coordinate of point 0)
  double inv_h;    // 1/h
  std::int64_t n;  // points
  bool periodic;
};
inline AxisMap axis_map(const core::Grid& g, int a) {
  return {-g.extent[a], 1.0 / g.spacing(a), g.points[a], g.boundary == core::Boundary::periodic};
}

// Weights of the values at the points of the axis for the value at coordinate q:
//   linear: (1 − t, t) on (i, i + 1), t = x − i, x = (q + L)/h the fractional index;
//   cubic:  Lagrange on the 4 points i₀..i₀+3 (i₀ = ⌊x⌋ − 1), at u = x − i₀:
//           l₀ = −(u−1)(u−2)(u−3)/6, l₁ = u(u−2)(u−3)/2, l₂ = −u(u−1)(u−3)/2, l₃ = u(u−1)(u−2)/6.
// Periodic axes wrap the indices; box axes shift the stencil inside [0, n) (extrapolating the
// edge polynomial beyond the outermost points).
inline void axis_stencil(const AxisMap& ax, double q, Interpolation kind, AxisStencil& s) {
  const std::int64_t n = ax.n;
  const bool periodic = ax.periodic;
  const double x = (q - ax.origin) * ax.inv_h;
  const auto i = static_cast<std::int64_t>(std::floor(x));
  if (kind == Interpolation::linear) {
    std::int64_t i0 = i;
    if (!periodic) i0 = std::clamp<std::int64_t>(i, 0, n - 2);
    const double t = x - static_cast<double>(i0);
    s.size = 2;
    s.weight[0] = 1.0 - t;
    s.weight[1] = t;
    s.index[0] = periodic ? wrap_index(i0, n) : i0;
    s.index[1] = periodic ? wrap_index(i0 + 1, n) : i0 + 1;
    return;
  }
  std::int64_t i0 = i - 1;
  if (!periodic) i0 = std::clamp<std::int64_t>(i0, 0, n - 4);
  const double u = x - static_cast<double>(i0);
  const double u1 = u - 1.0, u2 = u - 2.0, u3 = u - 3.0;
  s.size = 4;
  s.weight[0] = -u1 * u2 * u3 / 6.0;
  s.weight[1] = u * u2 * u3 / 2.0;
  s.weight[2] = -u * u1 * u3 / 2.0;
  s.weight[3] = u * u1 * u2 / 6.0;
  for (int j = 0; j < 4; ++j) s.index[j] = periodic ? wrap_index(i0 + j, n) : i0 + j;
}

// Tensor-product interpolation of `values` (row-major on g) at q.
inline double interpolate(const core::Grid& g, const double* values, const Point& q,
                          Interpolation kind) {
  AxisStencil st[3];
  for (int a = 0; a < g.dims; ++a) axis_stencil(axis_map(g, a), q[a], kind, st[a]);
  if (g.dims == 1) {
    double v = 0.0;
    for (int j = 0; j < st[0].size; ++j) v += st[0].weight[j] * values[st[0].index[j]];
    return v;
  }
  const std::int64_t s0 = g.stride(0);
  if (g.dims == 2) {
    double v = 0.0;
    for (int j0 = 0; j0 < st[0].size; ++j0) {
      double row = 0.0;
      const double* base = values + st[0].index[j0] * s0;
      for (int j1 = 0; j1 < st[1].size; ++j1) row += st[1].weight[j1] * base[st[1].index[j1]];
      v += st[0].weight[j0] * row;
    }
    return v;
  }
  const std::int64_t s1 = g.stride(1);
  double v = 0.0;
  for (int j0 = 0; j0 < st[0].size; ++j0) {
    double plane = 0.0;
    for (int j1 = 0; j1 < st[1].size; ++j1) {
      const double* base = values + st[0].index[j0] * s0 + st[1].index[j1] * s1;
      double row = 0.0;
      for (int j2 = 0; j2 < st[2].size; ++j2) row += st[2].weight[j2] * base[st[2].index[j2]];
      plane += st[1].weight[j1] * row;
    }
    v += st[0].weight[j0] * plane;
  }
  return v;
}

// Maps q into [lo, lo + period): periodic wrap, or reflection at lo and lo + period.
inline double confine_coordinate(double q, double lo, double period, bool periodic) {
  const double hi = lo + period;
  if (q >= lo && q < hi) return q;
  if (periodic) {
    double y = std::fmod(q - lo, period);
    if (y < 0.0) y += period;
    if (y >= period) y = 0.0;  // rounding of a tiny negative y + period
    return lo + y;
  }
  double y = std::fmod(q - lo, 2.0 * period);
  if (y < 0.0) y += 2.0 * period;
  if (y > period) y = 2.0 * period - y;
  return lo + y;  // may equal hi exactly (cell_index puts it in the last cell)
}

// Cell of coordinate q along axis a, or −1 if q lies outside a box axis's [lo, hi].
inline std::int64_t cell_index(const core::Grid& g, int a, double q) {
  const std::int64_t n = g.points[a];
  const double h = g.spacing(a);
  const double lo = -g.extent[a] - 0.5 * h;
  const double x = (q - lo) / h;
  if (g.boundary == core::Boundary::periodic) {
    return wrap_index(static_cast<std::int64_t>(std::floor(x)), n);
  }
  if (!(x >= 0.0) || x > static_cast<double>(n)) return -1;
  return std::min<std::int64_t>(static_cast<std::int64_t>(x), n - 1);
}

// Flat cell index of replica coordinates q[0..K), or −1 when outside.
inline std::int64_t flat_cell(const core::Grid& g, const double* q) {
  std::int64_t flat = 0;
  for (int a = 0; a < g.dims; ++a) {
    const std::int64_t j = cell_index(g, a, q[a]);
    if (j < 0) return -1;
    flat = flat * g.points[a] + j;
  }
  return flat;
}

inline double open_unit(std::uint64_t w) {
  return (static_cast<double>(w >> 11) + 0.5) * 0x1.0p-53;
}

// ---- Branch-free log and cos/sin(2πu) for the Box–Muller transform -------------------------
// Short sequences of IEEE operations (explicit fma, bit moves, selects) so that loops over
// arrays vectorise (`#pragma omp simd`) and a scalar call gives the same bits.

// log u for a normal u > 0: u = m 2^e with m ∈ [√½, √2), log m = 2 atanh s = 2 Σ_j s^{2j+1}/(2j+1),
// s = (m − 1)/(m + 1), |s| ≤ 0.1716, terms to s¹⁹ (truncation s²⁰/21 < 3e-17 relative), and
// log u = e ln2_hi + (e ln2_lo + log m).
[[gnu::always_inline]] inline double log_normal(double u) {
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  // m = 1.f (or ½·1.f when 1.f > √2) and e = E − 1023 (+1) from the bits, with integer selects
  // only and the exponent converted as 2⁵² + e′ − 2⁵² (so the loop vectorises).
  const auto bits = std::bit_cast<std::uint64_t>(u);
  const std::uint64_t mant = bits & 0x000FFFFFFFFFFFFFull;
  const std::uint64_t big = mant > 0x6A09E667F3BCDull ? 1u : 0u;  // 1.f > √2
  const double m = std::bit_cast<double>(mant | (0x3FF0000000000000ull - (big << 52)));
  const double e =
      std::bit_cast<double>(((bits >> 52) + big) | 0x4330000000000000ull) - (0x1.0p52 + 1023.0);
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 19.0;
  p = std::fma(p, s2, 1.0 / 17.0);
  p = std::fma(p, s2, 1.0 / 15.0);
  p = std::fma(p, s2, 1.0 / 13.0);
  p = std::fma(p, s2, 1.0 / 11.0);
  p = std::fma(p, s2, 1.0 / 9.0);
  p = std::fma(p, s2, 1.0 / 7.0);
  p = std::fma(p, s2, 1.0 / 5.0);
  p = std::fma(p, s2, 1.0 / 3.0);
  const double log_m = std::fma(2.0 * s * s2, p, 2.0 * s);
  return std::fma(e, ln2_hi, std::fma(e, ln2_lo, log_m));
}

// sin x and cos x for |x| ≤ π/4 (Taylor to x¹⁷ and x¹⁸: truncation < 1e-19).
[[gnu::always_inline]] inline void sincos_reduced(double x, double& sn, double& cs) {
  const double x2 = x * x;
  double ps = -1.0 / 355687428096000.0;  // −1/17!
  ps = std::fma(ps, x2, 1.0 / 1307674368000.0);
  ps = std::fma(ps, x2, -1.0 / 6227020800.0);
  ps = std::fma(ps, x2, 1.0 / 39916800.0);
  ps = std::fma(ps, x2, -1.0 / 362880.0);
  ps = std::fma(ps, x2, 1.0 / 5040.0);
  ps = std::fma(ps, x2, -1.0 / 120.0);
  ps = std::fma(ps, x2, 1.0 / 6.0);
  sn = std::fma(-x * x2, ps, x);
  double pc = 1.0 / 6402373705728000.0;  // 1/18!
  pc = std::fma(pc, x2, -1.0 / 20922789888000.0);
  pc = std::fma(pc, x2, 1.0 / 87178291200.0);
  pc = std::fma(pc, x2, -1.0 / 479001600.0);
  pc = std::fma(pc, x2, 1.0 / 3628800.0);
  pc = std::fma(pc, x2, -1.0 / 40320.0);
  pc = std::fma(pc, x2, 1.0 / 720.0);
  pc = std::fma(pc, x2, -1.0 / 24.0);
  pc = std::fma(pc, x2, 0.5);
  cs = std::fma(-x2, pc, 1.0);
}

// cos 2πu and sin 2πu for |u| < 2⁵⁰: exact reduction in units of a quarter turn,
// v = u − round(u), 4v = k + r (k = round(4v) ∈ {−2, …, 2}, |r| ≤ ½), x = r π/2, then
//   cos 2πu = cos(kπ/2 + x),  sin 2πu = sin(kπ/2 + x)  by quadrant.
[[gnu::always_inline]] inline void sincos_2pi(double u, double& sn, double& cs) {
  constexpr double shifter = 0x1.8p52;
  const double v = u - ((u + shifter) - shifter);
  const double w = 4.0 * v;
  const double k = (w + shifter) - shifter;
  const double x = (w - k) * 1.5707963267948966;
  double s, c;
  sincos_reduced(x, s, c);
  // cos(kπ/2) and sin(kπ/2) for k ∈ {−2, …, 2} as exact polynomials in k (no selects):
  //   cos(kπ/2) = (6 − 7k² + k⁴)/6 ∈ {1, 0, −1},  sin(kπ/2) = k(4 − k²)/3 ∈ {0, ±1}.
  const double k2 = k * k;
  const double ck = (6.0 - 7.0 * k2 + k2 * k2) / 6.0;
  const double sk = k * (4.0 - k2) / 3.0;
  cs = ck * c - sk * s;
  sn = sk * c + ck * s;
}

// Box–Muller on two open-unit uniforms: z₀ = ρ cos 2πu₂, z₁ = ρ sin 2πu₂, ρ = √(−2 log u₁).
inline void box_muller(double u1, double u2, double& z0, double& z1) {
  const double rho = std::sqrt(-2.0 * log_normal(u1));
  double s, c;
  sincos_2pi(u2, s, c);
  z0 = rho * c;
  z1 = rho * s;
}

// K ≤ 3 independent standard normals from the four 64-bit words of one Philox counter
// (step, 0): Box–Muller on (w₀, w₁) gives z₀, z₁; on (w₂, w₃) gives z₂.
inline void normals(const core::RngStream& rng, std::uint64_t step, int k, double* z) {
  const auto r = rng.raw(step, 0);
  double a, b;
  box_muller(open_unit(r[0]), open_unit(r[1]), a, b);
  z[0] = a;
  if (k > 1) z[1] = b;
  if (k > 2) {
    box_muller(open_unit(r[2]), open_unit(r[3]), a, b);
    z[2] = a;
  }
}

}  // namespace nnworld::trainable::kernels
