// The Fokker–Planck solver of (20) (trainable/fokker_planck): mass, positivity, the discrete
// stationary state, box walls, the RK4 stability limit, spectral vs finite volume, and runs in
// two and three dimensions against closed forms computed here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/fokker_planck.hpp"

namespace nnworld::trainable {
namespace {

constexpr double kPi = std::numbers::pi;

// An isotropic Gaussian of standard deviation `width` at `centre`, normalised on the grid.
std::vector<double> gaussian(const core::Grid& g, const core::Point& centre, double width) {
  std::vector<double> p(g.size());
  double s = 0.0;
  g.for_each([&](std::int64_t i, const core::Point& q) {
    double r2 = 0.0;
    for (int a = 0; a < g.dims; ++a) r2 += (q[a] - centre[a]) * (q[a] - centre[a]);
    p[i] = std::exp(-r2 / (2 * width * width));
    s += p[i];
  });
  for (double& v : p) v /= s * g.cell_volume();
  return p;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

double max_abs(const std::vector<double>& a) {
  double m = 0.0;
  for (double v : a) m = std::max(m, std::abs(v));
  return m;
}

// F(q) = −(k/2)|q|² with its exact gradient and Laplacian.
FreeEnergyJet quadratic_jet(const core::Grid& g, double k) {
  FreeEnergyJet f;
  f.value.resize(g.size());
  f.gradient.assign(g.dims, std::vector<double>(g.size()));
  f.laplacian.assign(g.size(), -k * g.dims);
  g.for_each([&](std::int64_t i, const core::Point& q) {
    double r2 = 0.0;
    for (int a = 0; a < g.dims; ++a) {
      r2 += q[a] * q[a];
      f.gradient[a][i] = -k * q[a];
    }
    f.value[i] = -0.5 * k * r2;
  });
  return f;
}

// A smooth F that is periodic on [−π, π)^K.
double periodic_f(const core::Point& q) {
  return std::cos(q[0]) + 0.3 * std::sin(2 * q[0]) + 0.5 * std::cos(q[1]) * std::sin(q[0] - q[2]);
}

// ---- mass ----------------------------------------------------------------------------------

TEST(FokkerPlanck, MassIsConservedToRounding) {
  struct Case {
    core::Grid grid;
    FpScheme scheme;
  };
  const std::vector<Case> cases = {
      {core::make_grid({128}, {kPi}, core::Boundary::periodic), FpScheme::spectral},
      {core::make_grid({128}, {kPi}, core::Boundary::periodic), FpScheme::finite_volume},
      {core::make_grid({128}, {kPi}, core::Boundary::box), FpScheme::finite_volume},
      {core::make_grid({32, 24}, {kPi, kPi}, core::Boundary::periodic), FpScheme::spectral},
      {core::make_grid({32, 24}, {kPi, kPi}, core::Boundary::box), FpScheme::finite_volume},
      {core::make_grid({12, 10, 8}, {kPi, kPi, kPi}, core::Boundary::periodic),
       FpScheme::finite_volume},
  };
  for (const auto& c : cases) {
    FokkerPlanck fp(c.grid, free_energy_from_function(c.grid, periodic_f),
                    {.diffusion = 0.2, .gamma = 0.8}, c.scheme);
    std::vector<double> p = gaussian(c.grid, {0.7, -0.4, 0.2}, 0.6);
    const double dt = 0.5 * fp.stability_limit();
    for (int n = 0; n < 500; ++n) fp.step(p, dt);
    const double err = std::abs(density_moments(c.grid, p).norm - 1);
    std::printf("mass: %s %s: |∫p − 1| after 500 steps = %.1e\n", c.grid.describe().c_str(),
                scheme_name(c.scheme), err);
    // Each step adds Σ_i ∂_t p_i = 0 up to rounding (~1e-16 per step): 1e-12 after 500 steps.
    EXPECT_LT(err, 1e-12) << c.grid.describe() << " " << scheme_name(c.scheme);
  }
}

// ---- positivity ----------------------------------------------------------------------------

TEST(FokkerPlanck, FiniteVolumeKeepsPositivityFromACompactStart) {
  // A block of mass with exact zeros around it, strong drift towards the right wall.
  const core::Grid g = core::make_grid({128}, {4.0}, core::Boundary::box);
  const auto jet = free_energy_from_function(g, [](const core::Point& q) { return 3.0 * q[0]; });
  FokkerPlanck fp(g, jet, {.diffusion = 0.1, .gamma = 1.0}, FpScheme::finite_volume);
  std::vector<double> p(g.size(), 0.0);
  for (int i = 40; i < 48; ++i) p[i] = 1.0 / (8 * g.spacing(0));
  double min_p = 0.0;
  for (int n = 0; n < 2000; ++n) {
    fp.step(p, fp.positivity_limit());  // the largest step the theorem covers
    min_p = std::min(min_p, *std::min_element(p.begin(), p.end()));
  }
  std::printf("positivity: finite volume min p over 2000 steps = %.3e\n", min_p);
  // P(dtA) ≥ 0 entrywise for dt ≤ 1/max|A_jj|: not a single negative value, not even rounding.
  EXPECT_GE(min_p, 0.0);
  EXPECT_NEAR(density_moments(g, p).norm, 1.0, 1e-12);

  // The spectral scheme has no such property: the same start on a periodic grid rings (Gibbs).
  const core::Grid gp = core::make_grid({128}, {4.0}, core::Boundary::periodic);
  FokkerPlanck sp(gp, free_energy_from_function(gp, [](const core::Point&) { return 0.0; }),
                  {.diffusion = 0.1, .gamma = 1.0}, FpScheme::spectral);
  std::vector<double> ps(gp.size(), 0.0);
  for (int i = 40; i < 48; ++i) ps[i] = 1.0 / (8 * gp.spacing(0));
  for (int n = 0; n < 10; ++n) sp.step(ps, 0.5 * sp.stability_limit());
  std::printf("positivity: spectral min p after 10 steps = %.3e\n",
              *std::min_element(ps.begin(), ps.end()));
  EXPECT_LT(*std::min_element(ps.begin(), ps.end()), 0.0);
}

// ---- stationary state ----------------------------------------------------------------------

TEST(FokkerPlanck, FiniteVolumeKeepsTheDiscreteEquilibriumToRounding) {
  // p_eq ∝ exp(γF/D) is the exact zero of the Scharfetter–Gummel operator: on a box, on a periodic
  // grid even for an F that is not periodic (every face is in detailed balance), and in 2-D.
  struct Case {
    core::Grid grid;
    double (*f)(const core::Point&);
  };
  const std::vector<Case> cases = {
      {core::make_grid({100}, {3.0}, core::Boundary::box),
       [](const core::Point& q) { return -q[0] * q[0] + 0.5 * std::sin(3 * q[0]); }},
      {core::make_grid({100}, {3.0}, core::Boundary::periodic),
       [](const core::Point& q) { return -0.5 * q[0] * q[0] + 0.4 * q[0]; }},
      {core::make_grid({40, 30}, {3.0, 2.0}, core::Boundary::box),
       [](const core::Point& q) { return -q[0] * q[0] - 0.7 * q[1] * q[1] + 0.3 * q[0] * q[1]; }},
  };
  for (const auto& c : cases) {
    FokkerPlanck fp(c.grid, free_energy_from_function(c.grid, c.f),
                    {.diffusion = 0.4, .gamma = 0.9}, FpScheme::finite_volume);
    const std::vector<double> eq = fp.equilibrium();
    const double scale = max_abs(eq) / fp.positivity_limit();  // max p × max|A_jj|
    const double residual = max_abs(fp.rhs(eq)) / scale;
    std::vector<double> p = eq;
    for (int n = 0; n < 2000; ++n) fp.step(p, 0.9 * fp.positivity_limit());
    const double drift = max_abs_diff(p, eq) / max_abs(eq);
    std::printf(
        "equilibrium: %s: |∂_t p_eq| / (max p · max|A_jj|) = %.1e, drift after 2000 steps "
        "= %.1e\n",
        c.grid.describe().c_str(), residual, drift);
    // Rounding: a few ε per flux, and a random walk of ~ε per step over 2000 steps.
    EXPECT_LT(residual, 1e-14);
    EXPECT_LT(drift, 1e-12);
  }
}

TEST(FokkerPlanck, SpectralKeepsAPeriodicEquilibriumToSpectralAccuracy) {
  const core::Grid g = core::make_grid({64}, {kPi}, core::Boundary::periodic);
  const auto f = [](const core::Point& q) { return std::cos(q[0]) + 0.5 * std::sin(2 * q[0]); };
  std::vector<double> values(g.size());
  g.for_each([&](std::int64_t i, const core::Point& q) { values[i] = f(q); });
  FokkerPlanck fp(g, free_energy_from_values(g, values, FreeEnergyDerivative::spectral),
                  {.diffusion = 0.5, .gamma = 1.0}, FpScheme::spectral);
  const std::vector<double> eq = fp.equilibrium();  // ∝ exp(2cos q + sin 2q): entire
  const double residual = max_abs(fp.rhs(eq)) / (max_abs(eq) * 0.5 * 32 * 32);
  std::printf("equilibrium: spectral 64: |∂_t p_eq| / (max p · D k_N²) = %.1e\n", residual);
  // Fourier coefficients of exp(2cos q + sin 2q) at |m| = 32 are ~ 3^32/32! ≈ 1e-20: the
  // residual is rounding of the FFTs, relative to the largest term D k_N² max p.
  EXPECT_LT(residual, 1e-13);
}

// ---- box walls -----------------------------------------------------------------------------

TEST(FokkerPlanck, BoxWallsConserveMassAndRelaxToTheWallState) {
  // F = q: drift γ towards the right wall, p_eq ∝ exp(γq/D) piles up against it. Spectral gap of
  // drift–diffusion on [−2, 2) with zero-flux walls: γ²/(4D) + D(π/4)² = 0.81, so by t = 20 the
  // distance to p_eq is ~e^{−16} ≈ 1e-7 of the start.
  const core::Grid g = core::make_grid({64}, {2.0}, core::Boundary::box);
  const Constants c{.diffusion = 0.5, .gamma = 1.0};
  FokkerPlanck fp(g, free_energy_from_function(g, [](const core::Point& q) { return q[0]; }), c,
                  FpScheme::finite_volume);
  const std::vector<double> log_eq = log_equilibrium(g, fp.free_energy().value, c);
  std::vector<double> p = gaussian(g, {-1.0, 0.0, 0.0}, 0.3);
  const double dt = fp.positivity_limit();
  const int steps = static_cast<int>(std::ceil(20.0 / dt));
  double kl = relative_entropy(g, p, log_eq);
  const double kl0 = kl;
  double worst_increase = -1.0;
  for (int n = 0; n < steps; ++n) {
    fp.step(p, dt);
    const double next = relative_entropy(g, p, log_eq);
    worst_increase = std::max(worst_increase, next - kl);
    kl = next;
  }
  const std::vector<double> eq = fp.equilibrium();
  std::printf(
      "box walls: %d steps, |∫p − 1| = %.1e, KL %.3g → %.3g (largest increase %.1e), "
      "max|p − p_eq|/max p_eq = %.1e\n",
      steps, std::abs(density_moments(g, p).norm - 1), kl0, kl, worst_increase,
      max_abs_diff(p, eq) / max_abs(eq));
  EXPECT_NEAR(density_moments(g, p).norm, 1.0, 1e-12);
  // H-theorem: for dt ≤ the positivity limit, P(dtA) is a stochastic matrix that fixes p_eq, so
  // KL[p‖p_eq] cannot increase (data-processing inequality); rounding only.
  EXPECT_LE(worst_increase, 1e-14);
  EXPECT_LT(max_abs_diff(p, eq) / max_abs(eq), 1e-5);
}

TEST(FokkerPlanck, NoDiffusionIsUpwindTransport) {
  // D = 0: the finite-volume flux is upwind, J = v⁺p_j − v⁻p_{j+1}. For F = 2q, γ = 0.5 the
  // velocity is v = 1 everywhere and Σ_faces J h = v ∫p, so the mean moves at exactly v (while no
  // mass reaches the wall) — for the semi-discrete system and for RK4 alike (d⟨q⟩/dt is constant).
  const core::Grid g = core::make_grid({200}, {5.0}, core::Boundary::box);
  FokkerPlanck fp(g, free_energy_from_function(g, [](const core::Point& q) { return 2 * q[0]; }),
                  {.diffusion = 0.0, .gamma = 0.5}, FpScheme::finite_volume);
  std::vector<double> p = gaussian(g, {-2.0, 0.0, 0.0}, 0.5);
  const double m0 = density_moments(g, p).mean[0];
  const double dt = fp.positivity_limit();
  EXPECT_NEAR(dt, g.spacing(0), 1e-12);  // 1/max|A_jj| = h/v
  EXPECT_NEAR(fp.stability_limit(), kRk4RealStabilityLimit * g.spacing(0) / 2, 1e-12);
  const int steps = static_cast<int>(std::round(2.0 / dt));
  for (int n = 0; n < steps; ++n) fp.step(p, dt);
  const DensityMoments m = density_moments(g, p);
  std::printf("upwind: mean − (m₀ + vt) = %.1e, min p = %.1e\n", m.mean[0] - (m0 + steps * dt),
              m.min);
  EXPECT_NEAR(m.mean[0], m0 + steps * dt, 1e-10);
  EXPECT_GE(m.min, 0.0);
  EXPECT_NEAR(m.norm, 1.0, 1e-12);
}

// ---- stability limit -----------------------------------------------------------------------

// Steps from p = uniform + 10 % of the highest mode (−1)^{Σ i_a} and returns max|p − uniform|
// relative to the uniform value.
double highest_mode_growth(FokkerPlanck& fp, double dt, int steps) {
  const core::Grid& g = fp.grid();
  const double u = 1.0 / (g.size() * g.cell_volume());
  std::vector<double> p(g.size());
  for (std::int64_t i = 0; i < g.size(); ++i) {
    const auto idx = g.unflatten(i);
    p[i] = u * (1.0 + 0.1 * (((idx[0] + idx[1] + idx[2]) % 2) ? -1.0 : 1.0));
  }
  for (int n = 0; n < steps; ++n) {
    fp.step(p, dt);
    if (!std::isfinite(p[0]) || std::abs(p[0]) > 1e30) return HUGE_VAL;
  }
  double m = 0.0;
  for (double v : p) m = std::max(m, std::abs(v - u));
  return m / u;
}

TEST(FokkerPlanck, StabilityLimitIsSharpWithoutDrift) {
  // F = const: the highest mode's eigenvalue is −4DΣ1/h² (finite volume, even n) or −DΣk_N²
  // (spectral), exactly the rate of the formula. |P(−2.785·0.99)| < 1 < |P(−2.785·1.01)| = 1.043,
  // so 3000 steps separate "decays" from "blows up" (1.043^3000 ≈ 1e55).
  struct Case {
    core::Grid grid;
    FpScheme scheme;
  };
  const std::vector<Case> cases = {
      {core::make_grid({64}, {1.0}, core::Boundary::periodic), FpScheme::finite_volume},
      {core::make_grid({64}, {1.0}, core::Boundary::periodic), FpScheme::spectral},
      {core::make_grid({16, 12}, {1.0, 2.0}, core::Boundary::periodic), FpScheme::finite_volume},
      {core::make_grid({16, 12}, {1.0, 2.0}, core::Boundary::periodic), FpScheme::spectral},
  };
  const double d = 0.3;
  for (const auto& c : cases) {
    FokkerPlanck fp(c.grid,
                    free_energy_from_function(c.grid, [](const core::Point&) { return 1.0; }),
                    {.diffusion = d, .gamma = 0.7}, c.scheme);
    // The formula by hand.
    double rate = 0.0;
    for (int a = 0; a < c.grid.dims; ++a) {
      const double h = c.grid.spacing(a);
      rate += c.scheme == FpScheme::finite_volume ? 4 * d / (h * h) : d * (kPi / h) * (kPi / h);
    }
    const double limit = fp.stability_limit();
    EXPECT_NEAR(limit, kRk4RealStabilityLimit / rate, 1e-14 * limit);
    EXPECT_DOUBLE_EQ(limit, stability_limit(c.grid, c.scheme, d, 0.7, {0.0, 0.0, 0.0}));
    const double below = highest_mode_growth(fp, 0.99 * limit, 3000);
    const double above = highest_mode_growth(fp, 1.01 * limit, 3000);
    std::printf("stability: %s %s: dt_max = %.4e; 0.99 dt_max → %.1e, 1.01 dt_max → %.1e\n",
                c.grid.describe().c_str(), scheme_name(c.scheme), limit, below, above);
    EXPECT_LT(below, 0.1);
    EXPECT_GT(above, 1e6);
  }
}

TEST(FokkerPlanck, BelowTheLimitWithStrongDriftIsStable) {
  // With drift the limit is a bound (finite volume: real spectrum in the Gershgorin interval;
  // spectral: frozen-coefficient analysis): steps at 0.99 of it stay bounded. Finite volume with
  // a cell Péclet number γ max|∇F| h/D up to 16; spectral with a drift it resolves (p_eq ∝
  // exp(3 cos q₁ sin q₂): Fourier coefficients ~3^m/m! ≈ 5e-13 at the Nyquist m = 24).
  struct Case {
    core::Grid grid;
    FpScheme scheme;
    double diffusion, amplitude;
  };
  const std::vector<Case> cases = {
      {core::make_grid({32, 24}, {kPi, kPi}, core::Boundary::periodic), FpScheme::finite_volume,
       0.05, 4.0},
      {core::make_grid({48, 48}, {kPi, kPi}, core::Boundary::periodic), FpScheme::spectral, 0.5,
       1.5},
  };
  for (const auto& c : cases) {
    const core::Grid& g = c.grid;
    std::vector<double> values(g.size());
    g.for_each([&](std::int64_t i, const core::Point& q) {
      values[i] = c.amplitude * std::cos(q[0]) * std::sin(q[1]);
    });
    FokkerPlanck fp(g, free_energy_from_values(g, values, FreeEnergyDerivative::spectral),
                    {.diffusion = c.diffusion, .gamma = 1.0}, c.scheme);
    const double limit = fp.stability_limit();
    const double bound =
        stability_limit(g, c.scheme, c.diffusion, 1.0, fp.free_energy().max_gradient());
    // The assembled finite-volume limit is at least the bound from max|∇F| (mean-value theorem).
    EXPECT_GE(limit, bound * (1 - 1e-12));
    std::vector<double> p = gaussian(g, {0.5, -0.5, 0.0}, 0.5);
    const double max0 = max_abs(fp.equilibrium());
    for (int n = 0; n < 1000; ++n) fp.step(p, 0.99 * limit);
    std::printf("stability with drift: %s: dt_max = %.3e (bound %.3e), max p / max p_eq = %.3f\n",
                scheme_name(c.scheme), limit, bound, max_abs(p) / max0);
    EXPECT_TRUE(std::isfinite(max_abs(p)));
    EXPECT_LT(max_abs(p), 10 * max0);
  }
}

// ---- spectral vs finite volume -------------------------------------------------------------

TEST(FokkerPlanck, FiniteVolumeConvergesToSpectralAtSecondOrder) {
  // Smooth periodic F on [−π, π); the spectral solution (128 points, resolved to rounding) is
  // the reference; finite volume on 128 and 256 points (every other point compared).
  const auto f = [](const core::Point& q) { return std::cos(q[0]) + 0.3 * std::sin(2 * q[0]); };
  const Constants c{.diffusion = 0.4, .gamma = 1.0};
  auto solve = [&](std::int64_t n, FpScheme s) {
    const core::Grid g = core::make_grid({n}, {kPi}, core::Boundary::periodic);
    FokkerPlanck fp(g, free_energy_from_function(g, f), c, s);
    std::vector<double> p = gaussian(g, {0.5, 0.0, 0.0}, 0.4);
    const double dt = 1e-3;
    for (int k = 0; k < 500; ++k) fp.step(p, dt);  // t = 0.5
    return p;
  };
  const std::vector<double> ref = solve(128, FpScheme::spectral);
  const std::vector<double> fine_ref = solve(256, FpScheme::spectral);
  const std::vector<double> a = solve(128, FpScheme::finite_volume);
  const std::vector<double> b = solve(256, FpScheme::finite_volume);
  double ea = 0.0, eb = 0.0, spec = 0.0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    ea = std::max(ea, std::abs(a[i] - ref[i]));
    eb = std::max(eb, std::abs(b[2 * i] - ref[i]));
    spec = std::max(spec, std::abs(fine_ref[2 * i] - ref[i]));
  }
  std::printf(
      "spectral vs finite volume: max|Δp| = %.3e (128), %.3e (256), ratio %.3f; spectral "
      "128 vs 256: %.1e\n",
      ea, eb, ea / eb, spec);
  EXPECT_LT(spec, 1e-12);          // the reference is converged
  EXPECT_NEAR(ea / eb, 4.0, 0.4);  // O(h²): ratio 4 within 10 %
  EXPECT_LT(eb, 1e-3 * max_abs(ref));
}

// ---- two and three dimensions --------------------------------------------------------------

// Per-axis OU closed forms for F = −(k/2)|q|² from an isotropic Gaussian (centre c, width σ).
double ou_mean(double c, double a, double t) {
  return c * std::exp(-a * t);
}
double ou_var(double var0, double veq, double a, double t) {
  return veq + (var0 - veq) * std::exp(-2 * a * t);
}

TEST(FokkerPlanck, TwoDimensionalOrnsteinUhlenbeckSpectral) {
  const double d = 0.3, gamma = 0.7, k = 2.0, a = gamma * k, veq = d / a, width = 0.35;
  const core::Grid g = core::make_grid({64, 64}, {5.0, 5.0}, core::Boundary::periodic);
  FokkerPlanck fp(g, quadratic_jet(g, k), {.diffusion = d, .gamma = gamma}, FpScheme::spectral);
  std::vector<double> p = gaussian(g, {0.5, -0.3, 0.0}, width);
  const double dt = 2e-3;
  ASSERT_LT(dt, fp.stability_limit());
  for (int n = 0; n < 100; ++n) fp.step(p, dt);  // t = 0.2
  const double t = 0.2;
  const DensityMoments m = density_moments(g, p);
  const double var = ou_var(width * width, veq, a, t);
  const EntropyProductionForms e = fp.entropy_production(p);
  const double ds = 2 * (d / var - a);  // Σ_axes (D/Var − γk)
  std::printf(
      "2-D OU spectral: Δmean = %.1e %.1e, ΔVar = %.1e %.1e, dS/dt forms − exact = %.1e "
      "%.1e %.1e\n",
      m.mean[0] - ou_mean(0.5, a, t), m.mean[1] - ou_mean(-0.3, a, t), m.variance[0] - var,
      m.variance[1] - var, e.time_derivative - ds, e.gradient - ds, e.fisher() - ds);
  // Spectral truncation e^{−(k_N σ)²/2} ≈ 2e-11 at k_N σ = (π/h)·0.35 = 7.0; RK4 on the slow modes
  // (a dt)⁴ a t/120 ≈ 1e-13: tolerance 1e-9 on quantities of order 0.1–1.
  EXPECT_NEAR(m.mean[0], ou_mean(0.5, a, t), 1e-9);
  EXPECT_NEAR(m.mean[1], ou_mean(-0.3, a, t), 1e-9);
  EXPECT_NEAR(m.variance[0], var, 1e-9);
  EXPECT_NEAR(m.variance[1], var, 1e-9);
  EXPECT_NEAR(e.time_derivative, ds, 1e-8);
  EXPECT_NEAR(e.gradient, ds, 1e-8);
  EXPECT_NEAR(e.fisher(), ds, 1e-8);
  EXPECT_NEAR(e.learning, -gamma * k * 2, 1e-12);
}

TEST(FokkerPlanck, ThreeDimensionalFiniteVolumeMarginalIsTheOneDimensionalRun) {
  // F = F₁(q₁) + F₂(q₂) + F₃(q₃) makes the finite-volume operator A₁⊗I⊗I + I⊗A₂⊗I + I⊗I⊗A₃; the
  // columns of A₂, A₃ sum to zero, so the q₁-marginal of any polynomial in A applied to a product
  // start is the 1-D run on axis 1 (up to the rounding of F₁ + F₂ + F₃).
  const double d = 0.3, gamma = 0.7;
  const auto f1 = [](double x) { return -x * x + 0.4 * std::sin(2 * x); };
  const core::Grid g3 = core::make_grid({20, 16, 12}, {3.0, 2.5, 2.0}, core::Boundary::box);
  const core::Grid g1 = core::make_grid({20}, {3.0}, core::Boundary::box);
  FokkerPlanck fp3(
      g3,
      free_energy_from_function(
          g3, [&](const core::Point& q) { return f1(q[0]) - 0.8 * q[1] * q[1] + 0.5 * q[2]; }),
      {.diffusion = d, .gamma = gamma}, FpScheme::finite_volume);
  FokkerPlanck fp1(g1,
                   free_energy_from_function(g1, [&](const core::Point& q) { return f1(q[0]); }),
                   {.diffusion = d, .gamma = gamma}, FpScheme::finite_volume);
  std::vector<double> p3 = gaussian(g3, {0.6, -0.3, 0.2}, 0.7);
  std::vector<double> p1(20, 0.0);
  for (std::int64_t i = 0; i < g3.size(); ++i) p1[g3.unflatten(i)[0]] += p3[i];
  const double other = g3.spacing(1) * g3.spacing(2);
  for (double& v : p1) v *= other;
  const double dt = 0.9 * std::min(fp3.positivity_limit(), fp1.positivity_limit());
  double s_prev = 0.0, s_mid = 0.0, form_mid = 0.0;
  const int steps = 40;
  for (int n = 0; n < steps; ++n) {
    if (n == steps - 2) s_prev = entropy(g3, p3);
    if (n == steps - 1) {
      s_mid = entropy(g3, p3);
      form_mid = fp3.entropy_production(p3).time_derivative;
    }
    fp3.step(p3, dt);
    fp1.step(p1, dt);
  }
  (void)s_mid;
  std::vector<double> marginal(20, 0.0);
  for (std::int64_t i = 0; i < g3.size(); ++i) marginal[g3.unflatten(i)[0]] += p3[i] * other;
  const double numeric = (entropy(g3, p3) - s_prev) / (2 * dt);
  const DensityMoments m = density_moments(g3, p3);
  std::printf(
      "3-D finite volume: max|marginal − 1-D run| / max = %.1e, |∫p − 1| = %.1e, min p = "
      "%.2e, dS/dt numeric − (−∫log p ∂_t p) = %.1e\n",
      max_abs_diff(marginal, p1) / max_abs(p1), std::abs(m.norm - 1), m.min, numeric - form_mid);
  EXPECT_LT(max_abs_diff(marginal, p1) / max_abs(p1), 1e-12);
  EXPECT_NEAR(m.norm, 1.0, 1e-12);
  EXPECT_GE(m.min, 0.0);
  // −∫log p ∂_t p is the exact dS/dt of the discrete system; the central difference differs by
  // dt²|S‴|/6 (dt = 0.9 × the positivity limit, a few 1e-2 here): tolerance 1e-3 of the form.
  EXPECT_NEAR(numeric, form_mid, 1e-3 * std::abs(form_mid) + 1e-9);
}

TEST(FokkerPlanck, ThreeDimensionalOrnsteinUhlenbeckSpectral) {
  const double d = 0.3, gamma = 0.7, k = 2.0, a = gamma * k, veq = d / a, width = 0.6;
  const core::Grid g = core::make_grid({24, 24, 24}, {4.0, 4.0, 4.0}, core::Boundary::periodic);
  FokkerPlanck fp(g, quadratic_jet(g, k), {.diffusion = d, .gamma = gamma}, FpScheme::spectral);
  std::vector<double> p = gaussian(g, {0.3, 0.0, -0.2}, width);
  const double dt = 5e-3;
  ASSERT_LT(dt, fp.stability_limit());
  for (int n = 0; n < 10; ++n) fp.step(p, dt);  // t = 0.05
  const DensityMoments m = density_moments(g, p);
  const double var = ou_var(width * width, veq, a, 0.05);
  std::printf("3-D OU spectral: Δmean = %.1e %.1e %.1e, ΔVar = %.1e %.1e %.1e\n",
              m.mean[0] - ou_mean(0.3, a, 0.05), m.mean[1], m.mean[2] - ou_mean(-0.2, a, 0.05),
              m.variance[0] - var, m.variance[1] - var, m.variance[2] - var);
  // A coarse grid (h = 1/3): spectral truncation e^{−(k_N σ)²/2} = e^{−16} ≈ 1e-7 at k_N σ =
  // (π/h)·0.6 = 5.65, and p at the wrap of F′ = −kq (3.7 from the centre) ≈ e^{−19} ≈ 5e-9 of its
  // maximum: tolerance 1e-6.
  EXPECT_NEAR(m.mean[0], ou_mean(0.3, a, 0.05), 1e-6);
  EXPECT_NEAR(m.mean[1], 0.0, 1e-6);
  EXPECT_NEAR(m.mean[2], ou_mean(-0.2, a, 0.05), 1e-6);
  for (int ax = 0; ax < 3; ++ax) EXPECT_NEAR(m.variance[ax], var, 1e-6);
  EXPECT_NEAR(m.norm, 1.0, 1e-12);
}

// ---- F on the grid -------------------------------------------------------------------------

TEST(FokkerPlanck, FreeEnergyDerivativesFromAFunctionAndFromValues) {
  const core::Grid g = core::make_grid({24, 20}, {kPi, kPi}, core::Boundary::periodic);
  const auto f = [](const core::Point& q) { return std::sin(q[0]) * std::cos(2 * q[1]); };
  const FreeEnergyJet jf = free_energy_from_function(g, f);
  std::vector<double> values(g.size());
  g.for_each([&](std::int64_t i, const core::Point& q) { values[i] = f(q); });
  const FreeEnergyJet js = free_energy_from_values(g, values, FreeEnergyDerivative::spectral);
  double e_fn = 0.0, e_sp = 0.0;
  g.for_each([&](std::int64_t i, const core::Point& q) {
    const double gx = std::cos(q[0]) * std::cos(2 * q[1]);
    const double gy = -2 * std::sin(q[0]) * std::sin(2 * q[1]);
    const double lap = -5 * std::sin(q[0]) * std::cos(2 * q[1]);
    e_fn = std::max({e_fn, std::abs(jf.gradient[0][i] - gx), std::abs(jf.gradient[1][i] - gy),
                     std::abs(jf.laplacian[i] - lap)});
    e_sp = std::max({e_sp, std::abs(js.gradient[0][i] - gx), std::abs(js.gradient[1][i] - gy),
                     std::abs(js.laplacian[i] - lap)});
  });
  std::printf("free energy derivatives: from the function %.1e, spectral from values %.1e\n", e_fn,
              e_sp);
  // Function: h⁴|F⁽⁵⁾|/30 (h = 1e-3, |F⁽⁵⁾| ≤ 32) + ε/h; Laplacian h⁴|F⁽⁶⁾|/90 (h = 5e-3,
  // |F⁽⁶⁾| ≤ 64) ≈ 4e-10 + 3ε/h² ≈ 3e-11: tolerance 1e-9. Spectral: a trigonometric polynomial,
  // exact to rounding: 1e-12.
  EXPECT_LT(e_fn, 1e-9);
  EXPECT_LT(e_sp, 1e-12);
  const auto mg = jf.max_gradient();
  EXPECT_GT(mg[0], 0.9);
  EXPECT_EQ(mg[2], 0.0);
}

TEST(FokkerPlanck, EquilibriumIsNormalisedAndRelativeEntropyVanishesThere) {
  const core::Grid g = core::make_grid({50}, {4.0}, core::Boundary::box);
  const Constants c{.diffusion = 0.01, .gamma = 2.0};  // γF/D up to 3200: exp would overflow
  std::vector<double> f(g.size());
  g.for_each([&](std::int64_t i, const core::Point& q) { f[i] = -q[0] * q[0]; });
  const auto log_eq = log_equilibrium(g, f, c);
  std::vector<double> eq(g.size());
  for (std::size_t i = 0; i < eq.size(); ++i) eq[i] = std::exp(log_eq[i]);
  EXPECT_NEAR(density_moments(g, eq).norm, 1.0, 1e-14);
  EXPECT_NEAR(relative_entropy(g, eq, log_eq), 0.0, 1e-14);
  EXPECT_THROW((void)log_equilibrium(g, f, {.diffusion = 0.0, .gamma = 1.0}),
               std::invalid_argument);
}

TEST(FokkerPlanck, RejectsInconsistentInput) {
  const core::Grid box = core::make_grid({16}, {1.0}, core::Boundary::box);
  const auto jet = free_energy_from_function(box, [](const core::Point&) { return 0.0; });
  EXPECT_THROW(FokkerPlanck(box, jet, {}, FpScheme::spectral), std::invalid_argument);
  EXPECT_THROW(FokkerPlanck(box, jet, {.diffusion = -1.0}, FpScheme::finite_volume),
               std::invalid_argument);
  FreeEnergyJet bad = jet;
  bad.gradient.clear();
  EXPECT_THROW(FokkerPlanck(box, bad, {}, FpScheme::finite_volume), std::invalid_argument);
}

}  // namespace
}  // namespace nnworld::trainable
