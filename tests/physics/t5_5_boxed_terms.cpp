// Spec T5.5: the full system (32)–(33) with the boxed terms is Schrödinger with the reduced
// ħ′² = 4D/(γμ) − 1/μ² for Ψ′ = √p e^{iF̃/ħ′}, F̃ = F − log p/(2μ) (spec §0 correction 4).
// D = 0.25, γ = 0.5, μ = 2: D′ = 0.1875, ħ′ = 0.8660254. Ψ′ is a Gaussian (σ₀ = 1) with
// momentum ∇F̃ = 0.7, evolved to T = 1 ± h (h = 1e-3) on the spec's grid (2048 points on
// [−40, 40), dx = 0.039) with steps h/10 (exact for V = 0). p = |Ψ′|², F = ħ′ arg Ψ′ + log p/(2μ).
// The residuals of the FULL (32) and (30)/μ by 2nd-order finite differences (central in time,
// compact central in space) where p > 1e-3 max p, relative to max|∂_tp| and max|∂_tF|: spec
// 7e-4 and 3e-4 (with np.gradient-composed second derivatives), tolerance 2e-3 (the
// finite-difference truncation error). The same construction with the un-renormalised ħ gives
// a residual of O(0.1) (spec: 0.24), which must exceed the tolerance.
#include <gtest/gtest.h>

#include <cmath>

#include "nnworld/trainable/madelung.hpp"
#include "nnworld/trainable/schrodinger.hpp"

namespace nnworld::trainable {
namespace {

SystemResidual residual_for(const Constants& c, const QuantumMap& m) {
  const core::Grid g = core::make_grid({2048}, {40.0}, core::Boundary::periodic);
  const std::array<double, 1> centre{0.0}, width{1.0}, momentum{0.7};
  auto psi = gaussian_packet(g, m, centre, width, momentum);
  const Schrodinger s(g, m.hbar, m.mass, {});
  const double h = 1e-3, T = 1.0, dt = h / 10;
  s.evolve(psi, dt, static_cast<std::int64_t>(std::llround((T - h) / dt)));
  auto a = madelung_fields(g, psi, m);
  s.evolve(psi, dt, 10);
  auto b = madelung_fields(g, psi, m);
  s.evolve(psi, dt, 10);
  auto e = madelung_fields(g, psi, m);
  const std::int64_t centre_index = g.points[0] / 2;
  align_branch(b.F, a.F, m.hbar, centre_index);
  align_branch(e.F, a.F, m.hbar, centre_index);
  const std::vector<double> v(static_cast<std::size_t>(g.size()), 0.0);
  return madelung_residual(g, c, v, a.p, b.p, e.p, a.F, b.F, e.F, h, true, 2, 1e-3);
}

TEST(T5_5_BoxedTerms, ReducedHbarSolvesTheFullSystem) {
  const Constants c{0.25, 0.5, 2.0};
  EXPECT_DOUBLE_EQ(diffusion_prime(c), 0.1875);
  const QuantumMap m = quantum_map(c, Form::corrected, true);
  EXPECT_NEAR(m.hbar, 0.8660254037844386, 1e-15);
  EXPECT_DOUBLE_EQ(m.osmotic, 0.25);
  EXPECT_EQ(m.regime, Regime::quantum);
  const SystemResidual r = residual_for(c, m);
  EXPECT_GT(r.points, 100);
  EXPECT_LT(r.continuity, 2e-3);
  EXPECT_LT(r.hamilton_jacobi, 2e-3);

  // Control: the un-renormalised ħ = 1 with the same osmotic shift.
  QuantumMap control = m;
  control.hbar = hbar(c);
  const SystemResidual rc = residual_for(c, control);
  EXPECT_GT(rc.hamilton_jacobi, 2e-3);
  std::printf(
      "T5.5: ħ′ residuals (32) %.2e, (30)/μ %.2e over %lld points; control with ħ: (32) %.2e, "
      "(30)/μ %.2e\n",
      r.continuity, r.hamilton_jacobi, static_cast<long long>(r.points), rc.continuity,
      rc.hamilton_jacobi);
}

}  // namespace
}  // namespace nnworld::trainable
