// Spec T7.2: the discrete map x(t+1) = πx(t) (linear f, b = 0) is upwind advection at Courant
// number 1, exactly x_i(t) = x_{i−t}(0). N = 256, α = 16, a Gaussian of width 0.5 started at
// σ = 3: after t = 32 steps (τ = 2) the state is φ(σ − τ − 3) bitwise. With α a power of 2,
// σ_k − τ = (k − t)/α is exact, so the analytic bump at the shifted σ is the same number as the
// shifted sample: tolerance 1e-14 (the spec's), measured 0.
#include <gtest/gtest.h>

#include <limits>

#include "nnworld/hidden/strings.hpp"

namespace nnworld::hidden {
namespace {

StringSetup setup(std::int64_t steps) {
  StringSetup s;
  s.perm = cyclic_permutation({256});
  s.alpha = 16.0;
  s.bumps = {Bump{1.0, 3.0, 0.5, std::numeric_limits<double>::infinity()}};
  s.replicas = 2;
  s.steps = steps;
  return s;
}

TEST(T7_2_ExactShift, RightMoverIsTheShiftedBumpBitwise) {
  const StringSetup s = setup(32);
  const StringRun r = simulate_strings(s);
  // Every t = 0..32, not only the last.
  const double e = shift_error_analytic(s.perm, s.alpha, s.bumps[0], r.right[0]);
  EXPECT_LE(e, 1e-14);
  EXPECT_EQ(e, 0.0);
  // The same with φ evaluated at σ_k − τ in floating point (exact for α = 16).
  const auto moved = bump_state(s.perm, s.alpha, s.bumps[0], 2.0);
  for (std::int64_t i = 0; i < 256; ++i) EXPECT_EQ(r.right[0].at(32, i), moved[i]);
  // The left-mover is the mirror image φ(σ + τ − 3).
  Bump mirrored = s.bumps[0];
  const auto left = bump_state(s.perm, s.alpha, mirrored, -2.0);
  for (std::int64_t i = 0; i < 256; ++i) EXPECT_EQ(r.left[0].at(32, i), left[i]);
}

TEST(T7_2_ExactShift, PeriodNOfASingleCycle) {
  const StringRun r = simulate_strings(setup(256));
  for (std::int64_t i = 0; i < 256; ++i) {
    EXPECT_EQ(r.right[0].at(256, i), r.right[0].at(0, i));
    EXPECT_EQ(r.left[0].at(256, i), r.left[0].at(0, i));
  }
}

}  // namespace
}  // namespace nnworld::hidden
