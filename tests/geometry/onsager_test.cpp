// Unit tests of geometry/onsager: flat jets, closed-form curvature of spheres (MTW sign), the
// reduced Lagrangians of the diagonal z-metric against the closed forms printed by
// checks/s9_variational.py, and double vs long double.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "nnworld/core/error.hpp"
#include "nnworld/geometry/onsager.hpp"

namespace nnworld::geometry {
namespace {

TEST(Onsager, FlatJetGivesZero) {
  for (int n = 2; n <= 6; ++n) {
    ArrayJet<double> j;
    j.dim = n;
    for (int a = 0; a < n; ++a) j.g[a][a] = 1.0;
    const OnsagerPoint<double> p = onsager_point(j);
    EXPECT_EQ(p.sqrt_g, 1.0);
    EXPECT_EQ(p.ricci_scalar, 0.0);
    EXPECT_EQ(p.l_gamma_gamma, 0.0);
    EXPECT_EQ(p.l_gamma_gamma_invariants, 0.0);
    EXPECT_EQ(p.l_onsager_printed, 0.0);
    EXPECT_EQ(p.w_divergence, 0.0);
    EXPECT_EQ(onsager_contraction(j, OnsagerForm::printed_91), 0.0);
  }
}

TEST(Onsager, ConstantMetricGivesZeroAndItsDeterminant) {
  // A constant non-diagonal metric is flat: R = 0, all first-derivative forms 0.
  ArrayJet<double> j;
  j.dim = 3;
  const double g[3][3] = {{2.0, 0.3, -0.1}, {0.3, 1.5, 0.2}, {-0.1, 0.2, 1.0}};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) j.g[a][b] = g[a][b];
  const double det = 2.0 * (1.5 - 0.04) - 0.3 * (0.3 + 0.02) + (-0.1) * (0.06 + 0.15);
  EXPECT_NEAR(metric_determinant(j), det, 1e-15);
  const JetMatrix<double> gi = inverse_metric(j);
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double s = 0.0;
      for (int c = 0; c < 3; ++c) s += g[a][c] * gi[c][b];
      EXPECT_NEAR(s, a == b ? 1.0 : 0.0, 1e-15);
    }
  EXPECT_EQ(ricci_scalar(j), 0.0);
}

// Round sphere of radius r in (θ, φ): g = diag(r², r² sin²θ). MTW: R = 2/r² (spec §0).
TEST(Onsager, TwoSphereHasPositiveCurvature) {
  const double r = 1.7, th = 0.9;
  ArrayJet<double> j;
  j.dim = 2;
  j.g[0][0] = r * r;
  j.g[1][1] = r * r * std::sin(th) * std::sin(th);
  j.dg[1][1][0] = r * r * std::sin(2 * th);          // ∂_θ (r² sin²θ)
  j.ddg[1][1][0][0] = 2 * r * r * std::cos(2 * th);  // ∂²_θ
  EXPECT_NEAR(ricci_scalar(j), 2.0 / (r * r), 1e-14);
  // 2-D: R_ab = (R/2) g_ab.
  const JetMatrix<double> ric = ricci_tensor(j);
  EXPECT_NEAR(ric[0][0], 1.0, 1e-14);
  EXPECT_NEAR(ric[1][1], std::sin(th) * std::sin(th), 1e-14);
}

// S³ of radius r in (χ, θ, φ): g = r² diag(1, sin²χ, sin²χ sin²θ); R = 6/r².
TEST(Onsager, ThreeSphere) {
  const double r = 0.8, ch = 1.1, th = 0.7;
  const double s2c = std::sin(ch) * std::sin(ch), s2t = std::sin(th) * std::sin(th);
  ArrayJet<double> j;
  j.dim = 3;
  j.g[0][0] = r * r;
  j.g[1][1] = r * r * s2c;
  j.g[2][2] = r * r * s2c * s2t;
  j.dg[1][1][0] = r * r * std::sin(2 * ch);
  j.dg[2][2][0] = r * r * std::sin(2 * ch) * s2t;
  j.dg[2][2][1] = r * r * s2c * std::sin(2 * th);
  j.ddg[1][1][0][0] = 2 * r * r * std::cos(2 * ch);
  j.ddg[2][2][0][0] = 2 * r * r * std::cos(2 * ch) * s2t;
  j.ddg[2][2][1][1] = 2 * r * r * s2c * std::cos(2 * th);
  j.ddg[2][2][0][1] = j.ddg[2][2][1][0] = r * r * std::sin(2 * ch) * std::sin(2 * th);
  EXPECT_NEAR(ricci_scalar(j), 6.0 / (r * r), 1e-13);
}

// s9_variational.py prints √g L_ΓΓ = 2(A₁′A₂′ + A₁′A₃′ + A₂′A₃′)e^{ΣA − C} and
// √g L_(91) = −2(ΣA_i′² + Σ_{i<j}A_i′A_j′ + C′ΣA_i′)e^{ΣA − C} for g = diag(e^{2C}, e^{2A_i}).
TEST(Onsager, DiagonalZLagrangiansMatchClosedForms) {
  const std::array<long double, 4> f{0.1L, -0.2L, 0.3L, 0.05L}, df{0.4L, -0.7L, 1.1L, 0.25L},
      ddf{0.3L, 0.2L, -0.5L, 0.9L};
  const auto l = diagonal_z_lagrangians(f, df, ddf);
  const long double e = std::exp(f[1] + f[2] + f[3] - f[0]);
  const long double a1 = df[1], a2 = df[2], a3 = df[3], c = df[0];
  const long double gg = 2 * (a1 * a2 + a1 * a3 + a2 * a3) * e;
  const long double p91 =
      -2 * (a1 * a1 + a2 * a2 + a3 * a3 + a1 * a2 + a1 * a3 + a2 * a3 + c * (a1 + a2 + a3)) * e;
  EXPECT_NEAR(static_cast<double>(l.sqrt_g_l_gamma_gamma), static_cast<double>(gg), 1e-15);
  EXPECT_NEAR(static_cast<double>(l.sqrt_g_l_onsager_printed), static_cast<double>(p91), 1e-15);
}

TEST(Onsager, DoubleAgreesWithLongDouble) {
  ArrayJet<double> jd;
  ArrayJet<long double> jl;
  jd.dim = jl.dim = 3;
  const double g[3][3] = {{1.2, 0.1, 0.05}, {0.1, 0.9, -0.2}, {0.05, -0.2, 1.4}};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      jd.g[a][b] = jl.g[a][b] = g[a][b];
      for (int c = 0; c < 3; ++c) {
        const double v = 0.1 * (a + b + 1) * std::cos(c + a * b);
        jd.dg[a][b][c] = jl.dg[a][b][c] = v;
        for (int d = 0; d < 3; ++d) {
          const double w = 0.05 * (a + b + 1) * std::sin(c + d + a * b);
          jd.ddg[a][b][c][d] = jl.ddg[a][b][c][d] = w;
        }
      }
    }
  const auto pd = onsager_point(jd);
  const auto pl = onsager_point(jl);
  EXPECT_NEAR(pd.ricci_scalar, static_cast<double>(pl.ricci_scalar), 1e-13);
  EXPECT_NEAR(pd.l_gamma_gamma, static_cast<double>(pl.l_gamma_gamma), 1e-13);
  EXPECT_NEAR(pd.l_onsager_printed, static_cast<double>(pl.l_onsager_printed), 1e-13);
}

TEST(Onsager, RejectsBadInput) {
  ArrayJet<double> j;
  j.dim = 7;
  EXPECT_THROW((void)inverse_metric(j), Error);
  j.dim = 2;  // zero matrix: singular
  EXPECT_THROW((void)inverse_metric(j), Error);
}

}  // namespace
}  // namespace nnworld::geometry
