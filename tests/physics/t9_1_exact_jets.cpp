// Spec T9.1: pointwise identities of Sec. 9 at random metric jets (g ≻ 0, ∂g, ∂²g with small
// rational entries as in checks/s9_onsager_exact.py), n = 2, 3, 4 (and 5, 6), in long double:
//   (i)   L_ΓΓ = g^{μν}(Γ^α_{μβ}Γ^β_{να} − Γ^α_{μν}Γ^β_{αβ}) = ¼(2I₄ − I₁ + I₂ − 2I₃);
//   (ii)  R = L_ΓΓ + ∂_μw^μ + w^μ∂_μ ln√g   (i.e. √gR = √gL_ΓΓ + ∂_μ(√g w^μ));
//   (iii) L_ΓΓ − L_(91) = ½(I₂ − I₃) ≠ 0     (the printed (91) is not the ΓΓ form);
//   (iv)  the Onsager tensors contracted index by index, √g L^{μναβγδ}g_{αβ,μ}g_{γδ,ν}, equal
//         √g L_ΓΓ (correct tensor) and √g L_(91) (printed tensor).
// Tolerance 1e-12 relative (the spec's), relative to the sum of the magnitudes of the terms
// that cancel: long double has ε ≈ 1.1e-19 and the sums have at most 6⁶ terms of size ≲ 1e3, so
// the round-off is ≲ 1e-14 of the scale; any algebraic mistake gives an O(1) relative error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

#include "nnworld/geometry/onsager.hpp"

namespace nnworld::geometry {
namespace {

using Real = long double;

Real rational(std::mt19937_64& rng, int lo, int hi, int den_max) {
  std::uniform_int_distribution<int> num(lo, hi), den(1, den_max);
  const int p = num(rng);
  return static_cast<Real>(p) / static_cast<Real>(den(rng));
}

// g = A Aᵀ + I (A entries p/q, |p| ≤ 3, q ≤ 4); ∂g, ∂²g entries p/q with |p| ≤ 5, q ≤ 3,
// symmetric in (a, b) and in (c, d). With `lorentzian`, g = η + A Aᵀ/10 with η = diag(−1, 1, …).
ArrayJet<Real> random_jet(int n, std::mt19937_64& rng, bool lorentzian = false) {
  ArrayJet<Real> j;
  j.dim = n;
  JetMatrix<Real> a{};
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) a[i][k] = rational(rng, -3, 3, 4);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      Real s = 0;
      for (int m = 0; m < n; ++m) s += a[i][m] * a[k][m];
      if (lorentzian) s /= 10;
      j.g[i][k] = s + (i == k ? (lorentzian && i == 0 ? -1 : 1) : 0);
    }
  for (int i = 0; i < n; ++i)
    for (int k = i; k < n; ++k) {
      for (int c = 0; c < n; ++c) j.dg[i][k][c] = j.dg[k][i][c] = rational(rng, -5, 5, 3);
      for (int c = 0; c < n; ++c)
        for (int d = c; d < n; ++d) {
          const Real v = rational(rng, -5, 5, 3);
          j.ddg[i][k][c][d] = j.ddg[k][i][c][d] = j.ddg[i][k][d][c] = j.ddg[k][i][d][c] = v;
        }
    }
  return j;
}

// Worst relative error seen per identity (printed at the end of each test).
struct Worst {
  Real four_term = 0, divergence = 0, printed = 0, tensor = 0;
};
Worst worst;

Real rel(Real diff, Real scale) {
  return std::fabs(diff) / scale;
}

void report(const char* name) {
  std::printf(
      "T9.1 %s: max rel. error  L_GG vs 4-term %.2Le | R vs L_GG+div %.2Le | "
      "L_GG-L_91 vs (I2-I3)/2 %.2Le | tensor contraction %.2Le (tol 1e-12)\n",
      name, worst.four_term, worst.divergence, worst.printed, worst.tensor);
  worst = Worst{};
}

void check_jet(const ArrayJet<Real>& j) {
  const OnsagerPoint<Real> p = onsager_point(j);
  const QuadraticInvariants<Real>& q = p.invariants;
  const Real inv_scale = std::fabs(q.i1) + std::fabs(q.i2) + std::fabs(q.i3) + std::fabs(q.i4);
  // (i) the direct ΓΓ contraction against the 4-term form
  const Real e1 = rel(p.l_gamma_gamma - Real(0.25) * (2 * q.i4 - q.i1 + q.i2 - 2 * q.i3),
                      inv_scale + std::fabs(p.l_gamma_gamma));
  EXPECT_LE(e1, 1e-12L) << "n=" << j.dim;
  worst.four_term = std::max(worst.four_term, e1);
  // (ii) the divergence identity
  const Real div_scale = std::fabs(p.ricci_scalar) + std::fabs(p.l_gamma_gamma) +
                         std::fabs(p.w_divergence) + std::fabs(p.w_dot_d_ln_sqrt_g);
  const Real e2 =
      rel(p.ricci_scalar - (p.l_gamma_gamma + p.w_divergence + p.w_dot_d_ln_sqrt_g), div_scale);
  EXPECT_LE(e2, 1e-12L) << "n=" << j.dim;
  worst.divergence = std::max(worst.divergence, e2);
  // The same R through the stand-alone ricci_scalar.
  EXPECT_LE(rel(ricci_scalar(j) - p.ricci_scalar, div_scale), 1e-12L);
  // (iii) the printed (91) misses ½(I₂ − I₃), which is non-zero
  const Real diff = p.l_gamma_gamma - p.l_onsager_printed;
  const Real e3 = rel(diff - Real(0.5) * (q.i2 - q.i3), inv_scale);
  EXPECT_LE(e3, 1e-12L) << "n=" << j.dim;
  worst.printed = std::max(worst.printed, e3);
  EXPECT_GT(std::fabs(diff), 1e-6L * inv_scale) << "n=" << j.dim;
  // (iv) the tensors of (91), contracted over all six indices
  const Real cgg = onsager_contraction(j, OnsagerForm::gamma_gamma);
  const Real c91 = onsager_contraction(j, OnsagerForm::printed_91);
  const Real e4 = rel(cgg - p.sqrt_g * p.l_gamma_gamma, p.sqrt_g * inv_scale);
  const Real e5 = rel(c91 - p.sqrt_g * p.l_onsager_printed, p.sqrt_g * inv_scale);
  EXPECT_LE(e4, 1e-12L);
  EXPECT_LE(e5, 1e-12L);
  worst.tensor = std::max(worst.tensor, std::max(e4, e5));
}

TEST(T9_1_ExactJets, GammaGammaFormDivergenceAndPrinted91) {
  std::mt19937_64 rng(12345);
  for (int n = 2; n <= 4; ++n)
    for (int trial = 0; trial < 4; ++trial) check_jet(random_jet(n, rng));
  report("n=2,3,4");
}

TEST(T9_1_ExactJets, HigherDimensions) {
  std::mt19937_64 rng(777);
  for (int n = 5; n <= 6; ++n) check_jet(random_jet(n, rng));
  report("n=5,6");
}

TEST(T9_1_ExactJets, LorentzianSignature) {
  // The identities are signature-blind (√|g| throughout); g = η + AAᵀ/10 in n = 4.
  std::mt19937_64 rng(99);
  for (int trial = 0; trial < 3; ++trial) {
    const ArrayJet<Real> j = random_jet(4, rng, true);
    ASSERT_LT(metric_determinant(j), 0.0L);
    check_jet(j);
  }
  report("Lorentzian n=4");
}

}  // namespace
}  // namespace nnworld::geometry
