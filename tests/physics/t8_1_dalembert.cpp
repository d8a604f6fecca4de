// Spec T8.1: the {π, πᵀ} ensemble (68) of the discrete map is exactly d'Alembert. N = 256,
// α = 16, a Gaussian of width 0.5 centred at N/(2α) = 8: x̄(t) = ½[φ(σ−τ) + φ(σ+τ)] bitwise at
// t = 32 (τ = 2) and at every other t (tolerance 1e-14, the spec's; α a power of 2 makes the
// shifted σ exact); the lattice wave identity x̄(t+1) − 2x̄(t) + x̄(t−1) = (π + πᵀ − 2I)x̄(t)
// holds to rounding (spec: 2.2e-16; tolerance 1e-14).
#include <gtest/gtest.h>

#include <limits>

#include "nnworld/hidden/strings.hpp"

namespace nnworld::hidden {
namespace {

TEST(T8_1_Dalembert, AverageIsDalembertBitwise) {
  StringSetup s;
  s.perm = cyclic_permutation({256});
  s.alpha = 16.0;
  s.bumps = {Bump{1.0, 8.0, 0.5, std::numeric_limits<double>::infinity()}};
  s.steps = 39;
  const StringRun r = simulate_strings(s);
  const Field xbar = half_sum(r.right[0], r.left[0]);
  const double e = dalembert_error_analytic(s.perm, s.alpha, s.bumps[0], xbar);
  EXPECT_LE(e, 1e-14);
  EXPECT_LE(dalembert_error(s.perm, xbar), 1e-14);
  EXPECT_LE(wave_residual(s.perm, xbar), 1e-14);
}

TEST(T8_1_Dalembert, StaggeredEnergyIsConserved) {
  // x̄ obeys the leapfrog x(t+1) − 2x(t) + x(t−1) = −Ĝx(t), whose staggered energy
  // ½Σ[(α(x(t+1) − x(t)))² + α² x(t+1)ᵀĜx(t)] is an exact invariant; rounding of sums of 256
  // terms: 1e-13 relative.
  StringSetup s;
  s.perm = cyclic_permutation({256});
  s.alpha = 16.0;
  s.bumps = {Bump{1.0, 4.0, 0.5, 4.0}, Bump{0.5, 12.0, 0.7, 4.0}};
  s.steps = 300;
  const StringRun r = simulate_strings(s);
  std::vector<Field> x, v;
  for (std::size_t d = 0; d < 2; ++d) {
    x.push_back(half_sum(r.right[d], r.left[d]));
    v.push_back(half_sum(r.right_rate[d], r.left_rate[d]));
  }
  const StringAction a = string_action(s.perm, s.alpha, TimeMode::discrete, x, v);
  EXPECT_LE(a.energy_drift, 1e-13);
}

}  // namespace
}  // namespace nnworld::hidden
