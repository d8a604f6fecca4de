// Spec T4.2: the Ornstein–Uhlenbeck closed form of (20). K = 1, F = −(k/2)q², D = 0.3, γ = 0.7,
// k = 2, Gaussian start of variance 0.05 centred at 0:
//   Var(t) = D/(γk) + (Var₀ − D/(γk)) e^{−2γkt},  S_q = ½ log(2πe Var),  dS_q/dt = D/Var − γk,
// so Var(0.4) = 0.160682605169, dS_q/dt(0.4) = 0.467034702881, and 0 at Var_eq = D/(γk) =
// 0.2142857142857. RK4 with dt = 1e-4 to t = 0.4 on [−10, 10) (p(±10) ~ e^{−233}).
//
// What each scheme achieves (measured, printed by the tests):
//  - spectral (512 points, periodic): below 1e-12 in Var and dS/dt. 2048 points, the spec's
//    suggestion, is outside the spectral RK4 limit at dt = 1e-4 (limit 7.8e-5, see below); with
//    512 points the Gaussian's spectrum at the Nyquist wavenumber is e^{−(k_N σ)²/2} < 1e-70.
//  - finite_volume (2048 points, box): second order. The Scharfetter–Gummel fluxes give the
//    moment equation dM₂/dt = 2D − 2γkM₂ + (γkh²/2)(M₂/Var_eq − 1) + O(h⁴) (expand
//    B(±Δ) = 1 ∓ Δ/2 + Δ²/12, Δ = −γkh q_{j+½}/D, and sum by parts), whence the leading error
//    δ(t) = (γkh²/2)((Var₀ − Var_eq)/Var_eq) t e^{−2γkt} = −6.68e-6 at t = 0.4, h = 20/2048. The
//    spec's suggested 1e-6 is therefore not reachable with a second-order scheme on this grid;
//    the tests check the predicted O(h²) error term instead (to O(h⁴)) and the Richardson
//    extrapolation of dS/dt from 1024 and 2048 points.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "nnworld/core/grid.hpp"
#include "nnworld/trainable/fokker_planck.hpp"

namespace nnworld::trainable {
namespace {

constexpr double kD = 0.3, kGamma = 0.7, kK = 2.0, kVar0 = 0.05;
constexpr double kVarAt04 = 0.160682605169;  // spec T4.2 (12 decimals: ±5e-13)
constexpr double kDsDtAt04 = 0.467034702881;
constexpr double kVarEq = 0.2142857142857;
constexpr double kDt = 1e-4;
constexpr int kSteps = 4000;  // t = 0.4

double var_exact(double t) {
  const double ve = kD / (kGamma * kK);
  return ve + (kVar0 - ve) * std::exp(-2 * kGamma * kK * t);
}

FreeEnergyJet ou_jet(const core::Grid& g) {
  FreeEnergyJet f;
  f.value.resize(g.size());
  f.gradient.assign(1, std::vector<double>(g.size()));
  f.laplacian.assign(g.size(), -kK);
  g.for_each([&](std::int64_t i, const core::Point& q) {
    f.value[i] = -0.5 * kK * q[0] * q[0];
    f.gradient[0][i] = -kK * q[0];
  });
  return f;
}

std::vector<double> gaussian(const core::Grid& g, double var) {
  std::vector<double> p(g.size());
  double s = 0.0;
  g.for_each([&](std::int64_t i, const core::Point& q) {
    p[i] = std::exp(-q[0] * q[0] / (2 * var));
    s += p[i];
  });
  for (double& v : p) v /= s * g.cell_volume();
  return p;
}

// The state at t = 0.4 and the central difference (S(0.4 + dt) − S(0.4 − dt)) / (2dt).
struct OuRun {
  std::vector<double> p;
  double ds_dt_numeric = 0.0;
  double min_p = 0.0;
};

OuRun run_to_04(FokkerPlanck& fp, std::vector<double> p) {
  OuRun r;
  double s_before = 0.0;
  for (int n = 0; n < kSteps; ++n) {
    if (n == kSteps - 1) s_before = entropy(fp.grid(), p);
    fp.step(p, kDt);
  }
  r.p = p;
  std::vector<double> next = p;
  fp.step(next, kDt);
  r.ds_dt_numeric = (entropy(fp.grid(), next) - s_before) / (2 * kDt);
  r.min_p = density_moments(fp.grid(), p).min;
  return r;
}

TEST(T4_2, SpectralMatchesTheClosedForm) {
  const core::Grid g = core::make_grid({512}, {10.0}, core::Boundary::periodic);
  FokkerPlanck fp(g, ou_jet(g), {.diffusion = kD, .gamma = kGamma}, FpScheme::spectral);
  ASSERT_LT(kDt, fp.stability_limit());
  const OuRun r = run_to_04(fp, gaussian(g, kVar0));
  const DensityMoments m = density_moments(g, r.p);
  const EntropyProductionForms e = fp.entropy_production(r.p);
  std::printf(
      "T4.2 spectral 512: Var − ref = %.2e, dS/dt − ref: time-derivative %.2e, line 1 "
      "%.2e, last %.2e, numeric %.2e; S − ½log(2πe Var) = %.2e; |∫p − 1| = %.2e, "
      "min p = %.2e\n",
      m.variance[0] - kVarAt04, e.time_derivative - kDsDtAt04, e.gradient - kDsDtAt04,
      e.fisher() - kDsDtAt04, r.ds_dt_numeric - kDsDtAt04,
      entropy(g, r.p) - 0.5 * std::log(2 * std::numbers::pi * std::numbers::e * kVarAt04),
      std::abs(m.norm - 1), r.min_p);
  // The closed form itself is exact; the spec gives it to 12 decimals (±5e-13). The scheme's
  // errors: RK4 on the slow modes (rates ≤ 2γk = 2.8) (2.8 dt)⁴/120 × 2.8t ≈ 6e-17, spectral
  // truncation < 1e-70, the periodic wrap of F′ = −kq where p ~ e^{−233}; what remains is
  // rounding, ~1e-14 through the FFTs. Tolerance 1e-10 (measured ≲ 1e-12).
  EXPECT_NEAR(m.variance[0], kVarAt04, 1e-10);
  EXPECT_NEAR(m.mean[0], 0.0, 1e-12);
  EXPECT_NEAR(m.norm, 1.0, 1e-12);
  // The forms of (22): the same error sources plus the 1/p of line 1 in the round-off tails
  // (cut at 1e-14 max p): tolerance 1e-10 on a quantity of size D/Var = 1.87.
  EXPECT_NEAR(e.time_derivative, kDsDtAt04, 1e-10);
  EXPECT_NEAR(e.gradient, kDsDtAt04, 1e-10);
  EXPECT_NEAR(e.fisher(), kDsDtAt04, 1e-10);
  EXPECT_NEAR(e.stochastic, kD / kVarAt04, 1e-10);  // D·I_Fisher of a Gaussian = D/Var
  EXPECT_NEAR(e.learning, -kGamma * kK, 1e-12);     // γ ∇²F ∫p
  // Central difference: dt² |S‴|/6 with S‴ = −D(V″/V² − 2V′²/V³) ≈ 8.1 at t = 0.4 gives 1.4e-8;
  // rounding ε S/dt ≈ 1e-12. Tolerance 1e-7.
  EXPECT_NEAR(r.ds_dt_numeric, kDsDtAt04, 1e-7);
  EXPECT_NEAR(entropy(g, r.p), 0.5 * std::log(2 * std::numbers::pi * std::numbers::e * kVarAt04),
              1e-10);
}

TEST(T4_2, SpectralLimitExcludesTheSpecsGridAtThisStep) {
  // 2048 points on [−10, 10), max|F′| = k·10 = 20: spectral λ_D = D(π·1024/10)² = 3.1e4, so
  // dt_max = 2.785/(λ_D + λ_A) < 1e-4. The spec's "≈ 2e-4" is the second-order limit of pure
  // diffusion, 2.785 h²/(4D) = 2.2e-4; with the drift's cell Péclet number P = γ·20·h/D = 0.46
  // the finite-volume bound is 2.785 h²/(4D B(−P)) = 1.8e-4 — still above 1e-4.
  const core::Grid g = core::make_grid({2048}, {10.0}, core::Boundary::periodic);
  const double h = g.spacing(0);
  const double spectral = stability_limit(g, FpScheme::spectral, kD, kGamma, {20.0, 0.0, 0.0});
  const double fv = stability_limit(g, FpScheme::finite_volume, kD, kGamma, {20.0, 0.0, 0.0});
  const double fv0 = stability_limit(g, FpScheme::finite_volume, kD, kGamma, {0.0, 0.0, 0.0});
  const double peclet = kGamma * 20.0 * h / kD;
  std::printf(
      "T4.2: RK4 limits on 2048 points: spectral %.3e, finite volume %.3e (no drift %.3e)\n",
      spectral, fv, fv0);
  EXPECT_LT(spectral, kDt);
  EXPECT_GT(fv, kDt);
  EXPECT_DOUBLE_EQ(fv0, kRk4RealStabilityLimit * h * h / (4 * kD));
  EXPECT_NEAR(fv0, 2.2e-4, 0.1e-4);
  EXPECT_NEAR(fv, fv0 * (1 - std::exp(-peclet)) / peclet, 1e-18);
}

TEST(T4_2, FiniteVolumeIsSecondOrderWithThePredictedError) {
  const double a = kGamma * kK;
  double ds_err[2] = {0.0, 0.0};
  double h_fine = 0.0;
  const std::int64_t sizes[2] = {1024, 2048};
  for (int s = 0; s < 2; ++s) {
    const core::Grid g = core::make_grid({sizes[s]}, {10.0}, core::Boundary::box);
    FokkerPlanck fp(g, ou_jet(g), {.diffusion = kD, .gamma = kGamma}, FpScheme::finite_volume);
    ASSERT_LT(kDt, fp.positivity_limit());  // so also below the stability limit
    const OuRun r = run_to_04(fp, gaussian(g, kVar0));
    const DensityMoments m = density_moments(g, r.p);
    const double h = g.spacing(0);
    const double delta =
        0.5 * a * h * h * ((kVar0 - kVarEq) / kVarEq) * 0.4 * std::exp(-2 * a * 0.4);
    const EntropyProductionForms e = fp.entropy_production(r.p);
    ds_err[s] = e.time_derivative - kDsDtAt04;
    h_fine = h;
    std::printf(
        "T4.2 finite volume %lld: Var − ref = %.3e (predicted O(h²) term %.3e, remainder "
        "%.2e; h⁴ = %.2e); dS/dt − ref = %.3e (line 1 %.3e, last %.3e, numeric %.3e); "
        "|∫p − 1| = %.1e, min p = %.2e\n",
        static_cast<long long>(sizes[s]), m.variance[0] - kVarAt04, delta,
        m.variance[0] - var_exact(0.4) - delta, h * h * h * h, ds_err[s], e.gradient - kDsDtAt04,
        e.fisher() - kDsDtAt04, r.ds_dt_numeric - kDsDtAt04, std::abs(m.norm - 1), r.min_p);
    // The leading truncation term is δ(t) (header); what remains is O(h⁴) (the Δ⁴/720 terms of
    // B and h²δ): tolerance h⁴ (coefficient 1; measured ≈ 0.004 h⁴).
    EXPECT_NEAR(m.variance[0] - var_exact(0.4), delta, h * h * h * h);
    EXPECT_NEAR(m.norm, 1.0, 1e-12);
    EXPECT_GE(r.min_p, 0.0);
    // −∫log p ∂_t p is the exact time derivative of the discrete S: it matches the central
    // difference to its truncation dt²|S‴|/6 ≈ 1.4e-8 (tolerance 1e-7).
    EXPECT_NEAR(r.ds_dt_numeric, e.time_derivative, 1e-7);
    // The spec's value (closed form to 12 decimals) vs the discrete closed form + δ: exact.
    EXPECT_NEAR(var_exact(0.4), kVarAt04, 5e-13);
  }
  // dS/dt: second order (error ratio 4 on halving h, within 5 %), and the Richardson value
  // (4e_h − e_{2h})/3 cancels the h² term, leaving O(h⁴): tolerance 10 h⁴ ≈ 9e-8 for the h² term's
  // coefficient 0.27 (measured; the h⁴ coefficient is of the same order).
  const double ratio = ds_err[0] / ds_err[1];
  const double richardson = (4 * ds_err[1] - ds_err[0]) / 3;
  std::printf("T4.2 finite volume dS/dt: error ratio 1024/2048 = %.4f, Richardson error %.2e\n",
              ratio, richardson);
  EXPECT_NEAR(ratio, 4.0, 0.2);
  EXPECT_NEAR(richardson, 0.0, 10 * std::pow(h_fine, 4));
}

TEST(T4_2, NoEntropyProductionAtEquilibrium) {
  // Var = Var_eq = D/(γk): p is the stationary state; dS/dt = D/Var_eq − γk = 0.
  EXPECT_NEAR(kD / kVarEq - kGamma * kK, 0.0, 1e-12);
  {
    const core::Grid g = core::make_grid({512}, {10.0}, core::Boundary::periodic);
    FokkerPlanck fp(g, ou_jet(g), {.diffusion = kD, .gamma = kGamma}, FpScheme::spectral);
    std::vector<double> p = gaussian(g, kD / (kGamma * kK));
    const EntropyProductionForms e = fp.entropy_production(p);
    std::printf("T4.2 spectral at Var_eq: forms %.2e %.2e %.2e\n", e.time_derivative, e.gradient,
                e.fisher());
    // Spectrally exact, rounding only (~1e-14 of the parts D/Var_eq = 1.4): tolerance 1e-10.
    EXPECT_NEAR(e.time_derivative, 0.0, 1e-10);
    EXPECT_NEAR(e.gradient, 0.0, 1e-10);
    EXPECT_NEAR(e.fisher(), 0.0, 1e-10);
    for (int n = 0; n < 1000; ++n) fp.step(p, kDt);
    EXPECT_NEAR(density_moments(g, p).variance[0], kVarEq, 1e-10);
  }
  {
    const core::Grid g = core::make_grid({2048}, {10.0}, core::Boundary::box);
    FokkerPlanck fp(g, ou_jet(g), {.diffusion = kD, .gamma = kGamma}, FpScheme::finite_volume);
    std::vector<double> p = fp.equilibrium();  // exp(γF/D) normalised: the sampled Gaussian
    const EntropyProductionForms e = fp.entropy_production(p);
    const double h = g.spacing(0);
    const double rel4 = std::pow(h, 4) / (kVarEq * kVarEq);  // (h/σ)⁴
    std::printf(
        "T4.2 finite volume at Var_eq: forms %.2e %.2e %.2e ((h/σ)⁴ = %.1e), Var − "
        "Var_eq = %.1e\n",
        e.time_derivative, e.gradient, e.fisher(), rel4,
        density_moments(g, p).variance[0] - kVarEq);
    // The discrete p_eq is the exact zero of the scheme: −∫log p ∂_t p is rounding.
    EXPECT_NEAR(e.time_derivative, 0.0, 1e-12);
    // Lines 1 and 2 use 4th-order differences: truncation (h/σ)⁴ × O(1) of the parts D/Var_eq.
    EXPECT_NEAR(e.gradient, 0.0, rel4 * kD / kVarEq);
    EXPECT_NEAR(e.fisher(), 0.0, rel4 * kD / kVarEq);
    EXPECT_NEAR(density_moments(g, p).variance[0], kVarEq, 1e-12);
  }
}

}  // namespace
}  // namespace nnworld::trainable
