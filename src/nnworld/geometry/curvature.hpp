#pragma once
// Curvature of a metric at a point (paper Section 9, Eqs. (93), (95), (96)).
//
//   auto g = geometry::Metric::schwarzschild(1.0);
//   geometry::Curvature c = geometry::curvature(g, {0.0, 5.0, 1.0, 0.3});
//   c.kretschmann;  // 48 M²/r⁶
//
// Conventions (spec §0): signature (−,+,…,+); MTW curvature conventions, i.e.
// R^ρ_{σμν} = ∂_μΓ^ρ_{νσ} − ∂_νΓ^ρ_{μσ} + Γ^ρ_{μλ}Γ^λ_{νσ} − Γ^ρ_{νλ}Γ^λ_{μσ},
// R_{σν} = R^ρ_{σρν}, so the unit sphere has R > 0.
//
// Derivatives of the metric. ∂g and ∂²g come from central differences of g at a sequence of
// steps h_k = h₀/1.4^k, extrapolated to h → 0 by Richardson's method (Ridders' tableau, applied
// entry by entry: each entry takes the tableau element with the smallest error estimate, and
// its tableau stops when the estimate starts to grow, i.e. once round-off dominates). Central
// differences have even error expansions in h, so each tableau column removes one more power
// of h². ∂Γ is then built analytically from ∂g and ∂²g (never by differencing Γ). On the
// spec's oracles this gives 1e-11 to 1e-13 relative (see tests/physics/t9_4_*), against the
// spec's 1e-8 for a 4th-order stencil at h = 1e-3.
#include <array>
#include <span>
#include <vector>

#include "nnworld/geometry/metric.hpp"

namespace nnworld::geometry {

// The finite-difference scheme for ∂g and ∂²g.
//   ridders:  the Richardson-extrapolated central differences above (initial_step, shrink,
//             levels): accurate to ~1e-11, about 2n·levels + 4·n(n−1)/2·levels evaluations of g.
//   central4: one fixed 4th-order central stencil at step h = `step` (spec T9.4: h = 1e-3),
//             1 + 4n + 8·n(n−1)/2 evaluations of g (65 for n = 4):
//               ∂_c g   = [−g(2h) + 8g(h) − 8g(−h) + g(−2h)] / (12h),
//               ∂_c² g  = [−g(2h) + 16g(h) − 30g(0) + 16g(−h) − g(−2h)] / (12h²),
//               ∂_c∂_d g = [16 S(h) − S(2h)] / (48 h_c h_d),
//             S(h) = g(+h,+h) − g(+h,−h) − g(−h,+h) + g(−h,−h) (the Richardson combination of
//             the 2nd-order mixed quotient at h and 2h). Truncation O(h⁴), round-off ~ε|g|/h²;
//             no error estimate (MetricJet's dg_error, ddg_error stay 0).
struct FiniteDifference {
  enum class Method { ridders, central4 };
  Method method = Method::ridders;
  double initial_step = 0.1;  // ridders: h₀ (times scale[c] for coordinate c)
  double shrink = 1.4;        // ridders: h_{k+1} = h_k / shrink
  int levels = 10;            // ridders: tableau size (evaluations grow linearly with it)
  double step = 1e-3;         // central4: h (times scale[c] for coordinate c)
  // Per-coordinate step scales (empty: 1 for every coordinate). Use the coordinate's natural
  // length, e.g. r for a radius far from the origin.
  std::vector<double> scale;
};

// g, ∂g and ∂²g at one point.
struct MetricJet {
  int n = 0;
  Matrix g;
  std::array<Matrix, max_dimension> dg;                              // dg[c](a,b) = ∂_c g_ab
  std::array<std::array<Matrix, max_dimension>, max_dimension> ddg;  // ddg[c][d] = ∂_c∂_d g
  double dg_error = 0.0;   // largest estimated absolute error of an entry of ∂g (0 if exact)
  double ddg_error = 0.0;  // the same for ∂²g
};

// Christoffel symbols of the second kind Γ^μ_{ab}, stored once per unordered pair (a,b).
class Christoffel {
 public:
  explicit Christoffel(int n = 0) : n_(n) { data_.fill(0.0); }
  [[nodiscard]] int dimension() const { return n_; }
  [[nodiscard]] double operator()(int mu, int a, int b) const { return data_[index(mu, a, b)]; }
  double& operator()(int mu, int a, int b) { return data_[index(mu, a, b)]; }

 private:
  [[nodiscard]] static int index(int mu, int a, int b) {
    if (a > b) std::swap(a, b);
    return mu * pairs + b * (b + 1) / 2 + a;
  }
  static constexpr int pairs = max_dimension * (max_dimension + 1) / 2;
  int n_;
  std::array<double, max_dimension * pairs> data_;
};

// A rank-4 tensor in n ≤ 6 dimensions, here the Riemann tensor R^ρ_{σμν}.
class Tensor4 {
 public:
  explicit Tensor4(int n = 0) : n_(n) { data_.fill(0.0); }
  [[nodiscard]] int dimension() const { return n_; }
  [[nodiscard]] double operator()(int a, int b, int c, int d) const {
    return data_[((a * max_dimension + b) * max_dimension + c) * max_dimension + d];
  }
  double& operator()(int a, int b, int c, int d) {
    return data_[((a * max_dimension + b) * max_dimension + c) * max_dimension + d];
  }

 private:
  int n_;
  std::array<double, max_dimension * max_dimension * max_dimension * max_dimension> data_;
};

struct Curvature {
  int n = 0;
  Matrix g;                    // g_μν
  Matrix g_inv;                // g^μν
  Christoffel christoffel;     // Γ^μ_{ab}, Eq. (93)
  Tensor4 riemann;             // R^ρ_{σμν}
  Matrix ricci;                // R_μν, Eq. (96) (symmetrised: ½(R_μν + R_νμ))
  double scalar = 0.0;         // R = g^μν R_μν
  Matrix einstein;             // G_μν = R_μν − ½R g_μν
  double kretschmann = 0.0;    // R_{αβγδ}R^{αβγδ}
  double ricci_squared = 0.0;  // R_μν R^μν (the Ricci "norm" invariant; any sign in (−,+,+,+))
  double dg_error = 0.0;       // the jet's error estimates (see MetricJet)
  double ddg_error = 0.0;
};

// g, ∂g, ∂²g of `metric` at x by Richardson-extrapolated central differences (see the top of
// this file). Throws nnworld::Error if g(x) is singular, non-symmetric or not finite, or if a
// stencil point gives a non-finite g (the point is too close to a coordinate singularity for
// the step: lower fd.initial_step).
[[nodiscard]] MetricJet metric_jet(const Metric& metric, std::span<const double> x,
                                   const FiniteDifference& fd = {});

// Every curvature quantity from a jet (which may also be exact, e.g. from closed forms).
[[nodiscard]] Curvature curvature(const MetricJet& jet);

[[nodiscard]] inline Curvature curvature(const Metric& metric, std::span<const double> x,
                                         const FiniteDifference& fd = {}) {
  return curvature(metric_jet(metric, x, fd));
}
[[nodiscard]] inline Curvature curvature(const Metric& metric, std::initializer_list<double> x,
                                         const FiniteDifference& fd = {}) {
  return curvature(metric_jet(metric, std::span<const double>(x.begin(), x.size()), fd));
}

// The curvature invariants of one point (curvature_at_points).
struct CurvatureScalars {
  double scalar = 0.0;         // R
  double kretschmann = 0.0;    // R_{αβγδ}R^{αβγδ}
  double ricci_squared = 0.0;  // R_μν R^μν
};

// curvature(metric, x_i, fd) at N points, x_i = points[i·n … i·n + n−1] (row-major N×n), the
// invariants only. OpenMP over points with `threads` threads (≤ 0: the OpenMP default); each
// thread works on its own copy of `metric` (expression metrics are not thread-safe). Points are
// independent, so the result is bit-identical for any thread count. If some points fail
// (nnworld::Error: singular g, a stencil point outside the chart, …), the error of the first
// failing point (lowest index) is rethrown after the loop.
[[nodiscard]] std::vector<CurvatureScalars> curvature_at_points(const Metric& metric,
                                                                std::span<const double> points,
                                                                const FiniteDifference& fd = {},
                                                                int threads = 0);

// R_σν = R^ρ_{σρν}: the Ricci tensor by contracting Riemann (equal to (96) analytically; the
// two are computed independently, which makes a consistency check).
[[nodiscard]] Matrix ricci_from_riemann(const Tensor4& riemann);

// Mixed components T^μ_ν = g^{μα}T_αν: coordinate-scale-free components for comparisons.
[[nodiscard]] inline Matrix raise_first(const Matrix& g_inv, const Matrix& t) {
  return g_inv * t;
}

// Perfect fluid T_μν = (ρ + p)u_μu_ν + p g_μν with u_μ = g_μν u^ν, where the given u^μ is first
// normalised to g_μν u^μu^ν = −1 (it must be timelike, else nnworld::Error).
//
// Normalisation (spec §8, (83)–(85)): the paper's T_μν ≡ −(1/√−g)δ(∫√−g L_M)/δg^μν is ½ of the
// standard T_std = −(2/√−g)δ(√−g L_M)/δg^μν. Equation (95) with the paper's T therefore has
// κ = 16πG; for a fluid of standard density ρ_std and pressure p_std either pass ρ = ρ_std/2,
// p = p_std/2 with κ = 16πG, or ρ_std, p_std with κ = 8πG. Flat FLRW then reads
// 3(ȧ/a)² = κρ + Λ = (κ/2)ρ_std + Λ with κ = 16πG.
[[nodiscard]] Matrix perfect_fluid(const Matrix& g, double rho, double p, const Vector& u_up);

struct EinsteinResidual {
  Matrix residual;        // E_μν = G_μν + Λg_μν − κT_μν, Eq. (95)
  double max_abs = 0.0;   // max |E^μ_ν| (mixed components)
  double relative = 0.0;  // max_abs / max(max|G^μ_ν|, |Λ|, κ max|T^μ_ν|), 0 if all vanish
};

// Eq. (95): E_μν = G_μν + Λ g_μν − κ T_μν, with T in the paper's normalisation (see
// perfect_fluid). Zero for a solution.
[[nodiscard]] EinsteinResidual einstein_residual(const Curvature& c, double lambda, double kappa,
                                                 const Matrix& t_lower);

}  // namespace nnworld::geometry
