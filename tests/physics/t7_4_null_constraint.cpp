// Spec T7.4: the null constraint (55)/(75) with D = 2 right-movers x^(1), x^(2) and
// x^(0) = x^(1) + x^(2): η_μν ∂x^μ ∂x^ν = −2 ∂x^(1) ∂x^(2). Gaussians of width 0.3 at σ = 4 and
// σ = 10, truncated at 4 widths (disjoint supports): max |η∂x∂x| = 0 (tolerance 1e-12; the
// products are exact zeros). Overlapping (width 0.6 at 4 and 4.5): 1.43, printed to 3
// significant digits, tolerance 5e-3 (half a unit of the last digit). The spec takes ∂ by
// np.gradient (central differences, one-sided at the array ends); a right-mover has ∂_τ = −∂_σ.
#include <gtest/gtest.h>

#include "nnworld/hidden/strings.hpp"

namespace nnworld::hidden {
namespace {

constexpr std::int64_t kN = 256;
constexpr double kAlpha = 16.0;

// np.gradient(x, σ) with spacing 1/α, as one row of a field.
Field gradient(const std::vector<double>& x) {
  Field f(1, kN);
  for (std::int64_t i = 1; i + 1 < kN; ++i) f.at(0, i) = (x[i + 1] - x[i - 1]) * kAlpha / 2.0;
  f.at(0, 0) = (x[1] - x[0]) * kAlpha;
  f.at(0, kN - 1) = (x[kN - 1] - x[kN - 2]) * kAlpha;
  return f;
}

double constraint(double c1, double w1, double c2, double w2) {
  const Permutation p = cyclic_permutation({kN});
  const auto a = bump_state(p, kAlpha, Bump{1.0, c1, w1, 4.0});
  const auto b = bump_state(p, kAlpha, Bump{1.0, c2, w2, 4.0});
  return null_constraint({gradient(a), gradient(b)}).max_abs;
}

TEST(T7_4_NullConstraint, DisjointSupportsAreNull) {
  EXPECT_LE(constraint(4.0, 0.3, 10.0, 0.3), 1e-12);
}

TEST(T7_4_NullConstraint, OverlappingSupportsViolateIt) {
  EXPECT_NEAR(constraint(4.0, 0.6, 4.5, 0.6), 1.43, 5e-3);
}

TEST(T7_4_NullConstraint, EvolvedRightMoversKeepTheConstraintPerChirality) {
  // The network map moves both bumps rigidly (T7.2): with ∂_τ = α(x(t+1) − x(t)) (53) the
  // disjoint right-movers stay null exactly at every step, for linear f and for tanh (f(0) = 0
  // keeps the supports compact). The overlapping pair with this backward difference gives
  // 1.44173707161149 (numpy, the spec's bumps with −α(x_i − x_{i−1}) in place of np.gradient;
  // tolerance 1e-12 for rounding).
  for (auto f : {network::ActivationKind::linear, network::ActivationKind::tanh}) {
    StringSetup s;
    s.perm = cyclic_permutation({kN});
    s.alpha = kAlpha;
    s.activation = f;
    s.bumps = {Bump{1.0, 4.0, 0.3, 4.0}, Bump{1.0, 10.0, 0.3, 4.0}};
    s.steps = 64;
    const StringRun r = simulate_strings(s);
    EXPECT_EQ(null_constraint(r.right_rate).max_abs, 0.0);
    EXPECT_EQ(null_constraint(r.left_rate).max_abs, 0.0);
  }
  StringSetup s;
  s.perm = cyclic_permutation({kN});
  s.alpha = kAlpha;
  s.bumps = {Bump{1.0, 4.0, 0.6, 4.0}, Bump{1.0, 4.5, 0.6, 4.0}};
  s.steps = 4;
  const StringRun r = simulate_strings(s);
  EXPECT_NEAR(null_constraint(r.right_rate).max_abs, 1.44173707161149, 1e-12);
}

}  // namespace
}  // namespace nnworld::hidden
