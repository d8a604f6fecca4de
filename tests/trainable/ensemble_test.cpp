// The replica ensemble of learning networks in q-space (paper Sections 4–5, spec §3, §10):
// Ornstein–Uhlenbeck oracles (spec T4.2) for the Euler–Maruyama engine and the density
// measurements, the statistical floor of the histogram L1 against simulation, Kramers–Moyal
// recovery of a known drift and diffusion, bit-identical results for 1 and 2 threads, the
// parametrised network's Laplace free energy against thermo::laplace, SGD replicas, the
// adaptive-learning rule and the interference detector.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numbers>
#include <vector>

#include "nnworld/core/expression.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/network/learning.hpp"
#include "nnworld/thermo/partition.hpp"
#include "nnworld/trainable/ensemble.hpp"
#include "nnworld/trainable/ensemble_kernels.hpp"
#include "nnworld/trainable/ensemble_measure.hpp"
#include "nnworld/trainable/ensemble_sgd.hpp"
#include "nnworld/trainable/interference.hpp"
#include "nnworld/trainable/kramers_moyal.hpp"

namespace nnworld::trainable {
namespace {

// ---- Ornstein–Uhlenbeck: spec T4.2 ---------------------------------------------------------
// K = 1, F = −(k/2) q², D = 0.3, γ = 0.7, k = 2, Var₀ = 0.05:
//   Var(t) = D/(γk) + (Var₀ − D/(γk)) e^{−2γkt},  S_q = ½ log(2πe Var),  dS/dt = D/Var − γk.
constexpr double kD = 0.3, kGamma = 0.7, kK = 2.0, kVar0 = 0.05;
constexpr std::int64_t kReplicas = 100000;
constexpr double kDt = 5e-3;

double ou_variance(double t) {
  const double eq = kD / (kGamma * kK);
  return eq + (kVar0 - eq) * std::exp(-2.0 * kGamma * kK * t);
}
// The Euler–Maruyama scheme's own variance: v_{n+1} = (1 − γk dt)² v_n + 2D dt (exact for the
// linear drift). Its difference from ou_variance is the O(dt) bias of the scheme: at
// equilibrium D/(γk(1 − γk dt/2)) − D/(γk) ≈ (γk dt/2) D/(γk), 0.35 % for dt = 5e-3.
double em_variance(std::int64_t steps) {
  double v = kVar0;
  const double a = 1.0 - kGamma * kK * kDt;
  for (std::int64_t n = 0; n < steps; ++n) v = a * a * v + 2.0 * kD * kDt;
  return v;
}

core::Grid ou_grid() {
  // [−4, 4) with h = 0.05: the walls are at 8.6 equilibrium standard deviations.
  return core::make_grid({160}, {4.0}, core::Boundary::box);
}

std::vector<double> gaussian_on_grid(const core::Grid& g, double var) {
  std::vector<double> p(static_cast<std::size_t>(g.size()));
  g.for_each([&](std::int64_t i, const core::Point& q) {
    p[static_cast<std::size_t>(i)] =
        std::exp(-0.5 * q[0] * q[0] / var) / std::sqrt(2.0 * std::numbers::pi * var);
  });
  return p;
}

struct Snapshot {
  std::int64_t steps;
  double time;
  Ensemble ensemble;
};

class OrnsteinUhlenbeck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    grid_ = new core::Grid(ou_grid());
    field_ =
        new FreeEnergyField(field_from_expression(*grid_, core::Expression("-(2/2)*q1^2", {"q1"})));
    snapshots_ = new std::map<std::int64_t, Snapshot>();
    Ensemble e = gaussian_ensemble(1, kReplicas, {0.0}, {std::sqrt(kVar0)}, 11);
    const LangevinParameters lp{kD, kGamma, kDt, 12, Interpolation::cubic};
    const std::vector<std::int64_t> keep{20, 60, 80, 100, 140, 200};  // t = 0.1 … 1.0
    for (std::int64_t s = 1; s <= keep.back(); ++s) {
      em_step(e, *field_, lp);
      if (std::find(keep.begin(), keep.end(), s) != keep.end())
        snapshots_->emplace(s, Snapshot{s, e.time, e});
    }
  }
  static void TearDownTestSuite() {
    delete snapshots_;
    delete field_;
    delete grid_;
  }
  static const Snapshot& at(std::int64_t steps) { return snapshots_->at(steps); }
  static core::Grid* grid_;
  static FreeEnergyField* field_;
  static std::map<std::int64_t, Snapshot>* snapshots_;
};
core::Grid* OrnsteinUhlenbeck::grid_ = nullptr;
FreeEnergyField* OrnsteinUhlenbeck::field_ = nullptr;
std::map<std::int64_t, Snapshot>* OrnsteinUhlenbeck::snapshots_ = nullptr;

TEST_F(OrnsteinUhlenbeck, FieldGradientIsExactForTheQuadratic) {
  // fd4 (one-sided 4th order at the walls) is exact for polynomials of degree ≤ 4: round-off only.
  for (std::int64_t i = 0; i < grid_->size(); ++i) {
    const double q = grid_->coordinate(0, i);
    ASSERT_NEAR(field_->gradient[0][static_cast<std::size_t>(i)], -kK * q, 1e-10) << q;
  }
  // Cubic interpolation of a linear gradient is exact anywhere inside the replica domain.
  for (double q : {-4.02, -1.234, 0.0, 0.333, 3.97})
    EXPECT_NEAR(field_->gradient_at({q})[0], -kK * q, 1e-10) << q;
}

TEST_F(OrnsteinUhlenbeck, VarianceFollowsTheClosedForm) {
  for (std::int64_t s : {20, 80, 200}) {
    const Snapshot& snap = at(s);
    const Moments m = moments(snap.ensemble);
    const double v_em = em_variance(s);
    const double v_ou = ou_variance(snap.time);
    // The replicas are independent and exactly Gaussian (linear drift), so the sample variance
    // has standard error v √(2/(M−1)); 5 of them is the tolerance against the scheme's exact
    // variance, plus the scheme's O(dt) bias |v_em − v_ou| against the continuum closed form.
    const double se = v_em * std::sqrt(2.0 / (kReplicas - 1.0));
    EXPECT_NEAR(m.covariance[0][0], v_em, 5.0 * se) << "t = " << snap.time;
    EXPECT_NEAR(m.covariance[0][0], v_ou, 5.0 * se + std::abs(v_em - v_ou)) << "t = " << snap.time;
    EXPECT_NEAR(m.mean[0], 0.0, 5.0 * std::sqrt(v_em / kReplicas));
    // The measured standard error of the variance agrees with the Gaussian one (m₄ = 3s⁴).
    EXPECT_NEAR(m.variance_se[0] / se, 1.0, 0.05);
    std::printf(
        "[ OU ] t = %.2f  Var = %.6f  closed form %.6f  EM %.6f  (5 se = %.1e, bias %.1e)\n",
        snap.time, m.covariance[0][0], v_ou, v_em, 5.0 * se, std::abs(v_em - v_ou));
  }
}

TEST_F(OrnsteinUhlenbeck, HistogramStaysWithinThreeFloorsOfTheExactDensity) {
  // Acceptance criterion of the project: M = 10⁵ replicas in K = 1 stay within 3× their
  // statistical floor (L1) of the reference density; the reference is the closed-form OU
  // Gaussian at the grid points (its midpoint error, Σ|h²p″/24|h ≈ 1e-4, is < 1 % of the floor).
  for (std::int64_t s : {20, 60, 100, 140, 200}) {
    const Snapshot& snap = at(s);
    const auto ref = gaussian_on_grid(*grid_, ou_variance(snap.time));
    const DensityEstimate d = histogram_density(*grid_, snap.ensemble);
    EXPECT_EQ(d.outside, 0);
    const double l1 = l1_distance(*grid_, d.p, ref);
    const StatisticalFloor floor = statistical_floor(*grid_, ref, kReplicas);
    EXPECT_LT(l1, 3.0 * floor.expected) << "t = " << snap.time;
    std::printf("[ OU ] t = %.2f  L1 = %.5f  floor = %.5f (sd %.5f)  L1/floor = %.3f\n", snap.time,
                l1, floor.expected, floor.sd, l1 / floor.expected);
  }
}

TEST_F(OrnsteinUhlenbeck, EntropyProductionTwoWays) {
  const core::Grid& g = *grid_;
  // (22) on the exact Gaussian density: D/Var − γk (spec T4.2: 0.467034702881 at t = 0.4 in
  // the continuum). The fd4 derivative is f′ − (h⁴/30) f⁽⁵⁾ + …, so ∫|∇√p|² is low by
  // (2h⁴/30) ∫|(√p)‴|², and for the Gaussian √p ∝ exp(−q²/(2s²)), s² = 2 Var, the ratio
  // ∫|(√p)‴|²/∫|(√p)′|² is 15/(4s⁴): Σ_stoch is low by (h⁴/15)(15/(4s⁴)) D/Var (2.8e-5 here).
  // The learning term is exact to this order (∫ q p⁽⁴⁾ = 0). Tolerance: twice that leading term.
  const double v04 = ou_variance(0.4);
  EXPECT_NEAR(v04, 0.160682605169, 1e-11);
  const double h = g.spacing(0);
  const double s4 = 4.0 * v04 * v04;
  const double truncation = std::pow(h, 4) / 15.0 * 15.0 / (4.0 * s4) * kD / v04;
  const EntropyProduction exact =
      entropy_production(g, gaussian_on_grid(g, v04), *field_, kD, kGamma);
  EXPECT_NEAR(exact.total, 0.467034702881, 2.0 * truncation);
  EXPECT_NEAR(exact.learning, -kGamma * kK, 1e-6);  // −γ∫∇p·∇F = γ∫p∇²F = −γk
  std::printf(
      "[ OU ] (22) on the exact density: %.9f (closed form 0.467034702881, fd4 "
      "truncation estimate %.2e)\n",
      exact.total, truncation);

  // (22) on the kernel estimate of the measured p at t = 0.4 (80 steps). The binned KDE of an
  // exact sample has expectation N(0, Var + bw² + h²/12), whose (22) is D/(Var + bw² + h²/12) − γk
  // (the learning term is −γk for any density). Tolerance, from the linearised Fisher
  // functional: sd ≈ D √2 /(Var √M) (for a Gaussian, Var_p(2/V − x²/V²) = 2/V²), 5 of them, plus
  // the positive noise bias of ∫|∇√p̂|², D W /(4√π M bw³) with W = 10σ the populated width.
  const Snapshot& snap = at(80);
  const double bw = 0.08;
  const DensityEstimate kde = kde_density(g, snap.ensemble, {bw, 0.0, 0.0});
  const double v_em = em_variance(80);
  const double v_s = v_em + bw * bw + h * h / 12.0;
  const EntropyProduction measured = entropy_production(g, kde.p, *field_, kD, kGamma);
  const double sd = kD * std::sqrt(2.0) / (v_em * std::sqrt(double(kReplicas)));
  const double noise_bias =
      kD * 10.0 * std::sqrt(v_em) / (4.0 * std::sqrt(std::numbers::pi) * kReplicas * bw * bw * bw);
  const double oracle = kD / v_s - kGamma * kK;
  EXPECT_NEAR(measured.total, oracle, 5.0 * sd + noise_bias);
  std::printf("[ OU ] (22) on KDE at t = 0.4: %.4f, oracle %.4f (tolerance %.4f)\n", measured.total,
              oracle, 5.0 * sd + noise_bias);

  // Numeric dS/dt: central difference of the KDE entropies at t = 0.1, 0.4, 0.7 against the
  // same difference of the smoothed Gaussian's entropy ½ log(2πe(v + bw² + h²/12)) (exact, so no
  // truncation error enters). Each entropy has sampling sd √(Var(log p)/M) = √(1/(2M)); the
  // difference at most twice that: tolerance 5 × 2√(1/(2M)) / 0.6.
  std::vector<double> t, s;
  for (std::int64_t k : {20, 80, 140}) {
    t.push_back(at(k).time);
    s.push_back(shannon_entropy(g, kde_density(g, at(k).ensemble, {bw, 0.0, 0.0}).p));
  }
  const auto rate = entropy_rate(t, s);
  auto s_h = [&](std::int64_t k) {
    return 0.5 * std::log(2.0 * std::numbers::pi * std::numbers::e *
                          (em_variance(k) + bw * bw + h * h / 12.0));
  };
  const double oracle_rate = (s_h(140) - s_h(20)) / (t[2] - t[0]);
  const double tol = 5.0 * 2.0 * std::sqrt(0.5 / kReplicas) / (t[2] - t[0]);
  EXPECT_NEAR(rate[1], oracle_rate, tol);
  std::printf("[ OU ] numeric dS/dt at t = 0.4: %.4f, oracle %.4f (tolerance %.4f)\n", rate[1],
              oracle_rate, tol);
}

// ---- Noise kernels ------------------------------------------------------------------------

TEST(NoiseKernels, LogAndSinCosMatchLibm) {
  // The branch-free log and sincos(2πu) of the Box–Muller transform against glibc: log to a few
  // ulp relative (4e-16); cos/sin 2πu to 4e-16 absolute against a long-double reference (the
  // reduction by quarter turns is exact, x = rπ/2 rounds once, the Taylor truncation is < 1e-19;
  // a double reference cos(2πu) would itself carry the rounding of 2πu, up to 3.5e-16).
  const core::RngStream rng(3, core::StreamTag::user);
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const double u = kernels::open_unit(rng.raw(0, i)[0]);
    const double v = i < 10 ? std::ldexp(1.0, -static_cast<int>(5 * i)) : u;
    ASSERT_NEAR(kernels::log_normal(v), std::log(v), 4e-16 * std::abs(std::log(v))) << v;
    double s, c;
    kernels::sincos_2pi(u, s, c);
    const long double x = 2.0L * std::numbers::pi_v<long double> * static_cast<long double>(u);
    ASSERT_NEAR(c, static_cast<double>(std::cos(x)), 4e-16) << u;
    ASSERT_NEAR(s, static_cast<double>(std::sin(x)), 4e-16) << u;
  }
  // The standard normals have mean 0 and variance 1 (5 standard errors for 2·10⁵ draws).
  double m1 = 0.0, m2 = 0.0;
  const int n = 200000;
  for (int i = 0; i < n / 2; ++i) {
    double z[2];
    kernels::normals(rng, 1, 2, z);
    kernels::normals(core::RngStream(4, core::StreamTag::user, static_cast<std::uint64_t>(i)), 0, 2,
                     z);
    m1 += z[0] + z[1];
    m2 += z[0] * z[0] + z[1] * z[1];
  }
  EXPECT_NEAR(m1 / n, 0.0, 5.0 / std::sqrt(double(n)));
  EXPECT_NEAR(m2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
}

// ---- Statistical floor ---------------------------------------------------------------------

TEST(StatisticalFloor, DeMoivreMatchesTheBinomialSum) {
  // Exact E|X − nP| by summing the binomial pmf (lgamma, relative 1e-12).
  for (std::int64_t n : {1, 7, 50, 1000}) {
    for (double p : {1e-4, 0.013, 0.3, 0.5, 0.77}) {
      double sum = 0.0;
      for (std::int64_t x = 0; x <= n; ++x) {
        const double logpmf = std::lgamma(n + 1.0) - std::lgamma(x + 1.0) -
                              std::lgamma(n - x + 1.0) + x * std::log(p) + (n - x) * std::log1p(-p);
        sum += std::exp(logpmf) * std::abs(x - n * p);
      }
      EXPECT_NEAR(binomial_mean_abs_deviation(n, p), sum, 1e-12 * std::max(1.0, sum))
          << n << " " << p;
    }
  }
  EXPECT_EQ(binomial_mean_abs_deviation(10, 0.0), 0.0);
  EXPECT_EQ(binomial_mean_abs_deviation(10, 1.0), 0.0);
}

TEST(StatisticalFloor, MatchesSimulatedHistograms) {
  // R = 400 histograms of M = 10⁴ samples of N(0, 1) on 100 cells over [−5, 5); the reference
  // density is the exact cell average (erf), so its cell probabilities are exact. The mean L1
  // must equal the floor within 5 standard errors of the mean of the R values.
  const core::Grid g = core::make_grid({100}, {5.0}, core::Boundary::box);
  const double h = g.spacing(0);
  std::vector<double> ref(100);
  for (int i = 0; i < 100; ++i) {
    const double a = g.coordinate(0, i) - 0.5 * h, b = a + h;
    ref[static_cast<std::size_t>(i)] =
        0.5 * (std::erf(b / std::sqrt(2.0)) - std::erf(a / std::sqrt(2.0))) / h;
  }
  const std::int64_t m = 10000;
  const int runs = 400;
  const StatisticalFloor floor = statistical_floor(g, ref, m);
  double sum = 0.0, sum2 = 0.0;
  for (int r = 0; r < runs; ++r) {
    const Ensemble e = gaussian_ensemble(1, m, {0.0}, {1.0}, 1000 + r);
    const double l1 = l1_distance(g, histogram_density(g, e).p, ref);
    sum += l1;
    sum2 += l1 * l1;
  }
  const double mean = sum / runs;
  const double sd = std::sqrt((sum2 - runs * mean * mean) / (runs - 1));
  EXPECT_NEAR(mean, floor.expected, 5.0 * sd / std::sqrt(double(runs)));
  // The independent-cell sd ignores the multinomial's negative correlations: it bounds the
  // measured one from above up to its own sampling error (sd of an sd: ~ 1/√(2R) = 3.5 %).
  EXPECT_LT(sd, floor.sd * 1.2);
  std::printf("[ floor ] mean L1 %.6f  floor %.6f (gaussian %.6f)  sd %.6f vs %.6f\n", mean,
              floor.expected, floor.gaussian, sd, floor.sd);
}

// ---- Kramers–Moyal -------------------------------------------------------------------------

TEST(KramersMoyal, RecoversOrnsteinUhlenbeckDriftAndDiffusion) {
  // Stationary OU replicas (Var = D/(γk)), 40 steps of dt = 0.01, increments binned on 20 cells
  // over [−1, 1). For Euler–Maruyama the conditional increment is exactly −γk q dt + √(2D dt)ξ,
  // so the bin drift is −γk q̄_bin exactly (within 5 se); the bin-variance diffusion is
  // D + (γk)² dt Var(q|bin)/2 with Var(q|bin) ≤ h²/12 (≤ 8e-6, added to the tolerance); γ̂ of
  // the regression on ∇F = −kq is γ, and the residual diffusion is D.
  const core::Grid field_grid = ou_grid();
  const FreeEnergyField field =
      field_from_expression(field_grid, core::Expression("-q1^2", {"q1"}));
  const core::Grid bins = core::make_grid({20}, {1.0}, core::Boundary::box);
  const double dt = 0.01;
  Ensemble e = gaussian_ensemble(1, 100000, {0.0}, {std::sqrt(kD / (kGamma * kK))}, 21);
  const LangevinParameters lp{kD, kGamma, dt, 22, Interpolation::cubic};
  KramersMoyal km(bins, dt);
  for (int s = 0; s < 40; ++s) {
    const Ensemble before = e;
    em_step(e, field, lp);
    km.add(before, e, field);
  }
  const KramersMoyalResult r = km.result();
  const double h = bins.spacing(0);
  const double bias = kGamma * kK * kGamma * kK * dt * h * h / 24.0;
  int checked = 0;
  for (const KramersMoyalBin& b : r.bin) {
    if (b.count < 1000) continue;
    ++checked;
    EXPECT_NEAR(b.drift[0], -kGamma * kK * b.mean_q[0], 5.0 * b.drift_se[0]) << b.centre[0];
    EXPECT_NEAR(b.diffusion[0], kD, 5.0 * b.diffusion_se[0] + bias) << b.centre[0];
    EXPECT_NEAR(b.diffusion_residual[0], kD, 5.0 * b.diffusion_residual_se[0]) << b.centre[0];
    EXPECT_NEAR(b.gamma, kGamma, 5.0 * b.gamma_se) << b.centre[0];
  }
  EXPECT_EQ(checked, 20);
  // D/(γμ) with μ = 2 is 0.3/1.4; every bin estimates the same constant, so the χ² test of
  // constancy must not reject it (p < 1e-4 happens with probability 1e-4).
  const HbarPrimeMap map = hbar_prime_map(r, 2.0, 1000);
  EXPECT_NEAR(map.mean_ratio, kD / (kGamma * 2.0), 5.0 * map.mean_ratio_se);
  EXPECT_GT(map.p_value, 1e-4);
  EXPECT_NEAR(map.mean_hbar_prime_squared, 4.0 * kD / (kGamma * 2.0) - 0.25,
              20.0 * map.mean_ratio_se + 1e-12);
  std::printf("[ KM ] D/(γμ) = %.5f ± %.5f (exact %.5f), χ² = %.1f / %d, p = %.3f\n",
              map.mean_ratio, map.mean_ratio_se, kD / (kGamma * 2.0), map.chi2, map.dof,
              map.p_value);
}

TEST(KramersMoyal, GammaQMatchesKnownValues) {
  // Q(1, x) = e^{−x}; Q(½, x) = erfc(√x); χ² survival of 3.84 with 1 dof = 0.05004.
  for (double x : {0.1, 1.0, 3.0, 10.0}) {
    EXPECT_NEAR(gamma_q(1.0, x), std::exp(-x), 1e-13);
    EXPECT_NEAR(gamma_q(0.5, x), std::erfc(std::sqrt(x)), 1e-13);
  }
  EXPECT_NEAR(gamma_q(0.5, 3.841458820694124 / 2.0), 0.05, 1e-12);
}

// ---- Thread-count invariance ---------------------------------------------------------------

template <class Run>
std::vector<double> with_threads(int threads, Run&& run) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto out = run();
  omp_set_num_threads(saved);
  return out;
}

bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(EnsembleThreads, LangevinIsBitIdenticalForOneAndTwoThreads) {
  // K = 2 periodic (spectral ∇F, cubic), K = 1 box (fd4, linear) and K = 3 box (cubic), with
  // M = 40001 replicas (157 blocks of 256, the last one partial: above the threshold at which
  // em_step uses a second thread), several steps each.
  const std::int64_t m = 40001;
  const core::Grid g2 =
      core::make_grid({32, 32}, {std::numbers::pi, std::numbers::pi}, core::Boundary::periodic);
  const FreeEnergyField f2 = field_from_expression(
      g2, core::Expression("cos(q1) + 0.5*sin(2*q2) + 0.3*cos(q1-q2)", {"q1", "q2"}));
  const core::Grid g1 = ou_grid();
  const FreeEnergyField f1 =
      field_from_expression(g1, core::Expression("-q1^2 + 0.1*q1^3", {"q1"}));
  const core::Grid g3 = core::make_grid({12, 12, 12}, {3.0, 3.0, 3.0}, core::Boundary::box);
  const FreeEnergyField f3 = field_from_expression(
      g3, core::Expression("-(q1^2 + 2*q2^2 + q3^2)/2 + 0.1*q1*q2*q3", {"q1", "q2", "q3"}));
  auto run2 = [&] {
    Ensemble e = gaussian_ensemble(2, m, {0.5, -1.0}, {1.0, 2.0}, 3);
    confine(e, g2);
    simulate_langevin(e, f2, {0.25, 0.5, 0.01, 4, Interpolation::cubic}, 8);
    return e.q;
  };
  auto run1 = [&] {
    Ensemble e = gaussian_ensemble(1, m, {0.5}, {1.0}, 5);
    simulate_langevin(e, f1, {0.3, 0.7, 0.01, 6, Interpolation::linear}, 8);
    return e.q;
  };
  auto run3 = [&] {
    Ensemble e = gaussian_ensemble(3, m, {0.0, 0.0, 0.0}, {1.0, 1.0, 1.0}, 7);
    simulate_langevin(e, f3, {0.5, 0.5, 0.02, 8, Interpolation::cubic}, 8);
    return e.q;
  };
  EXPECT_TRUE(bit_identical(with_threads(1, run3), with_threads(2, run3)));
  EXPECT_TRUE(bit_identical(with_threads(1, run2), with_threads(2, run2)));
  EXPECT_TRUE(bit_identical(with_threads(1, run1), with_threads(2, run1)));
  // Periodic replicas stay in the cell range [−L − h/2, L − h/2).
  const auto q = with_threads(2, run2);
  const double lo = -std::numbers::pi - 0.5 * g2.spacing(0);
  for (double v : q) {
    ASSERT_GE(v, lo);
    ASSERT_LT(v, lo + 2.0 * std::numbers::pi);
  }
}

// ---- Networks: parametrisation, Laplace field, SGD -----------------------------------------

network::Network w2_tanh() {
  // T2.4's network: W₂ = [[0.3, −0.4], [0.5, 0.2]], b = 0, tanh, m = 0.
  network::Network net;
  network::DenseWeights w(2, 2);
  w << 0.3, -0.4, 0.5, 0.2;
  net.w = w;
  net.b = network::Vector::Zero(2);
  return net;
}

ParametrisedNetwork w2_parametrised(int dims) {
  ParametrisedNetwork p;
  p.base = w2_tanh();
  network::DenseWeights d1(2, 2), d2(2, 2);
  d1 << 0.1, 0.0, 0.0, -0.1;
  d2 << 0.0, 0.2, 0.05, 0.0;
  network::Vector b1(2), b2(2);
  b1 << 0.1, 0.0;
  b2 << 0.0, -0.15;
  p.weight_directions.push_back(d1);
  p.bias_directions.push_back(b1);
  if (dims > 1) {
    p.weight_directions.push_back(d2);
    p.bias_directions.push_back(b2);
  }
  return p;
}

TEST(ParametrisedNetwork, AtIsTheAffineCombination) {
  const ParametrisedNetwork p = w2_parametrised(2);
  const network::Network net = p.at(core::Point{0.7, -1.3, 0.0});
  const auto& w = std::get<network::DenseWeights>(net.w);
  EXPECT_DOUBLE_EQ(w(0, 0), 0.3 + 0.7 * 0.1);
  EXPECT_DOUBLE_EQ(w(0, 1), -0.4 - 1.3 * 0.2);
  EXPECT_DOUBLE_EQ(w(1, 0), 0.5 - 1.3 * 0.05);
  EXPECT_DOUBLE_EQ(w(1, 1), 0.2 - 0.7 * 0.1);
  EXPECT_DOUBLE_EQ(net.b[0], 0.07);
  EXPECT_DOUBLE_EQ(net.b[1], 1.3 * 0.15);
  // A permutation base with permutation directions stays a permutation.
  ParametrisedNetwork perm;
  perm.base.w = network::cyclic_permutation(4, 0.5);
  perm.base.b = network::Vector::Zero(4);
  auto d = network::cyclic_permutation(4, 1.0);
  perm.weight_directions.push_back(d);
  perm.bias_directions.push_back(network::Vector::Ones(4));
  const network::Network pn = perm.at(core::Point{0.25, 0.0, 0.0});
  ASSERT_TRUE(std::holds_alternative<network::PermutationWeights>(pn.w));
  EXPECT_DOUBLE_EQ(std::get<network::PermutationWeights>(pn.w).value[2], 0.75);
}

TEST(ParametrisedNetwork, LaplaceFieldMatchesThermoLaplace) {
  const ParametrisedNetwork p = w2_parametrised(2);
  const double beta = 5.0;
  const core::Grid g = core::make_grid({8, 8}, {1.0, 1.0}, core::Boundary::box);
  const FreeEnergyField f = field_from_laplace(p, beta, g);
  // Tabulated values are thermo::laplace at the grid points (same code path: equal to 1e-13).
  for (std::int64_t i : {0, 9, 27, 63}) {
    const core::Point q = g.point(i);
    EXPECT_NEAR(f.value[static_cast<std::size_t>(i)], thermo::laplace(p.at(q), beta).free_energy,
                1e-13);
  }
  // b = 0 at q = 0 (grid point 36 of the 8×8 grid is (0, 0)): T2.4/T3.1's Laplace value
  // F = −log Z_L/β with log Z_L = log 2π − ½ log det(βĜ), Ĝ = [[0.74, −0.12], [−0.12, 0.80]].
  const double det = beta * beta * (0.74 * 0.80 - 0.12 * 0.12);
  const double log_z = std::log(2.0 * std::numbers::pi) - 0.5 * std::log(det);
  EXPECT_NEAR(f.value[36], -log_z / beta, 1e-12);
}

TEST(ParametrisedNetwork, CubicInterpolationOfTheLaplaceFieldIsFourthOrder) {
  // F(q) along one direction on [−2, 2): the largest interpolation error over 101 points of
  // [−1, 1] must fall by ≈ 2⁴ = 16 when h halves (Lagrange cubic: error ≤ h⁴ max|F⁗| (9/16)/24,
  // attained at the same relative position in a cell for both grids). The error constant moves
  // by O(h) between the two grids (h = 0.25 and 0.125 against F's scale of 1): accept [10, 24].
  const ParametrisedNetwork p = w2_parametrised(1);
  const double beta = 5.0;
  double err[2] = {0.0, 0.0};
  const core::Grid g16 = core::make_grid({16}, {2.0}, core::Boundary::box);
  const core::Grid g32 = core::make_grid({32}, {2.0}, core::Boundary::box);
  const FreeEnergyField f16 = field_from_laplace(p, beta, g16);
  const FreeEnergyField f32 = field_from_laplace(p, beta, g32);
  for (int j = 0; j <= 100; ++j) {
    const double q = -1.0 + 0.02 * j;
    const double exact = thermo::laplace(p.at(core::Point{q, 0.0, 0.0}), beta).free_energy;
    err[0] = std::max(err[0], std::abs(f16.value_at({q}) - exact));
    err[1] = std::max(err[1], std::abs(f32.value_at({q}) - exact));
  }
  const double ratio = err[0] / err[1];
  EXPECT_GT(ratio, 10.0);
  EXPECT_LT(ratio, 24.0);
  std::printf("[ interp ] max cubic errors %.3e (h = 0.25), %.3e (h = 0.125), ratio %.2f\n", err[0],
              err[1], ratio);
}

TEST(FreeEnergyField, SpectralGradientAndCubicInterpolation) {
  // F = sin q1 cos q2 on [−π, π)², 64²: the spectral gradient is exact to round-off; the cubic
  // interpolation error is ≤ h⁴ max|F⁗| (9/16)/24 = 0.0234 h⁴ per axis (the interior bound of
  // |u(u−1)(u−2)(u−3)| on [1, 2] is 9/16), ≈ 2.2e-6 for h = 2π/64 (two axes: twice that).
  const core::Grid g =
      core::make_grid({64, 64}, {std::numbers::pi, std::numbers::pi}, core::Boundary::periodic);
  const FreeEnergyField f =
      field_from_expression(g, core::Expression("sin(q1)*cos(q2)", {"q1", "q2"}));
  for (std::int64_t i = 0; i < g.size(); i += 97) {
    const core::Point q = g.point(i);
    ASSERT_NEAR(f.gradient[0][static_cast<std::size_t>(i)], std::cos(q[0]) * std::cos(q[1]), 1e-12);
    ASSERT_NEAR(f.gradient[1][static_cast<std::size_t>(i)], -std::sin(q[0]) * std::sin(q[1]),
                1e-12);
  }
  const double h = g.spacing(0);
  const double bound = 2.0 * 0.0234 * h * h * h * h;
  for (const core::Point& q :
       {core::Point{0.123, -2.5, 0}, core::Point{3.1, 3.05, 0}, core::Point{-3.2, 0.77, 0}}) {
    const core::Point gr = f.gradient_at(q);
    EXPECT_NEAR(gr[0], std::cos(q[0]) * std::cos(q[1]), bound);
    EXPECT_NEAR(gr[1], -std::sin(q[0]) * std::sin(q[1]), bound);
    EXPECT_NEAR(f.value_at(q), std::sin(q[0]) * std::cos(q[1]), bound);
  }
}

struct TeacherProblem {
  ParametrisedNetwork pnet;
  network::Dataset data;
};

TeacherProblem teacher_problem(int dims) {
  // N = 4 tanh, inputs {0, 1}, output {3}; teacher data from another random network of the
  // same shape; K random directions of scale 0.4 around a random base.
  network::Network base;
  network::DenseWeights w(4, 4);
  const core::RngStream rng(7, core::StreamTag::user);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      w(i, j) = 0.4 * rng.normal(0, static_cast<std::uint64_t>(4 * i + j));
  base.w = w;
  base.b = network::Vector::Zero(4);
  base.inputs = {0, 1};
  base.outputs = {3};
  TeacherProblem t;
  t.data = network::synthetic_dataset("teacher", base, 128, 9, 5);
  t.pnet = random_directions(base, dims, 0.4, 0.4, 13);
  return t;
}

TEST(SgdEnsemble, ChainRuleGradientMatchesFiniteDifferences) {
  // ∂L_B/∂q_k = Σ_s [∂H/∂b·b_k + ⟨∂H/∂ŵ, ŵ_k⟩]/B is taken at the relaxed states held fixed
  // ("x fast, q slow", as network::train_sgd). Check it against the central difference of
  // (1/B) Σ_s H(x_s; b(q), ŵ(q)) with the states x_s of q held fixed; and, with relax_steps = 0
  // (states independent of q), against the central difference of L_B itself. h = 1e-5: error
  // O(h²) H‴ + ε/h ≈ 1e-10 + 1e-11; tolerance 1e-8.
  const TeacherProblem t = teacher_problem(3);
  const std::vector<Eigen::Index> rows{3, 17, 17, 64, 100, 127};
  const core::Point q{0.3, -0.8, 0.5};
  const BatchGradient g = minibatch_gradient(t.pnet, q, t.data, rows, 5);
  const network::Network net = t.pnet.at(q);
  std::vector<network::Vector> states;
  for (Eigen::Index r : rows) states.push_back(relaxed_state(net, t.data, r, 5));
  auto fixed_state_loss = [&](const core::Point& p) {
    const network::Network n = t.pnet.at(p);
    double s = 0.0;
    for (const auto& x : states) s += network::bulk_loss(n, x);
    return s / static_cast<double>(states.size());
  };
  EXPECT_NEAR(g.loss, fixed_state_loss(q), 1e-14);
  const BatchGradient g0 = minibatch_gradient(t.pnet, q, t.data, rows, 0);
  for (int k = 0; k < 3; ++k) {
    core::Point a = q, b = q;
    a[k] += 1e-5;
    b[k] -= 1e-5;
    EXPECT_NEAR(g.gradient[k], (fixed_state_loss(a) - fixed_state_loss(b)) / 2e-5, 1e-8) << k;
    const double fd0 = (minibatch_gradient(t.pnet, a, t.data, rows, 0).loss -
                        minibatch_gradient(t.pnet, b, t.data, rows, 0).loss) /
                       2e-5;
    EXPECT_NEAR(g0.gradient[k], fd0, 1e-8) << k;
  }
  EXPECT_GT(g.variance, 0.0);
  // The drift field is the full-dataset mean of the same gradient (relax 0: also ∇(−⟨H⟩)).
  const core::Grid grid = core::make_grid({8, 8, 8}, {1.0, 1.0, 1.0}, core::Boundary::box);
  const FreeEnergyField drift = sgd_drift_field(t.pnet, t.data, 5, grid);
  std::vector<Eigen::Index> all(128);
  for (int s = 0; s < 128; ++s) all[static_cast<std::size_t>(s)] = s;
  const BatchGradient full = minibatch_gradient(t.pnet, grid.point(77), t.data, all, 5);
  EXPECT_DOUBLE_EQ(drift.value[77], -full.loss);
  EXPECT_DOUBLE_EQ(drift.gradient[2][77], -full.gradient[2]);
}

TEST(SgdEnsemble, ReplicasReduceTheLossAndAreThreadInvariant) {
  const TeacherProblem t = teacher_problem(2);
  SgdEnsembleOptions o;
  o.step = 0.2;
  o.batch = 8;
  o.relax_steps = 5;
  o.seed = 31;
  auto run = [&](int steps) {
    SgdEnsemble s = make_sgd_ensemble(gaussian_ensemble(2, 48, {0.0, 0.0}, {1.5, 1.5}, 2), o);
    for (int i = 0; i < steps; ++i) (void)sgd_step(s, t.pnet, t.data, o);
    return s.ensemble.q;
  };
  const std::vector<double> q1 = with_threads(1, [&] { return run(60); });
  const std::vector<double> q2 = with_threads(2, [&] { return run(60); });
  EXPECT_TRUE(bit_identical(q1, q2));

  Ensemble before = gaussian_ensemble(2, 48, {0.0, 0.0}, {1.5, 1.5}, 2);
  Ensemble after = before;
  after.q = q1;
  const auto l0 = replica_losses(before, t.pnet, t.data, 5);
  const auto l1 = replica_losses(after, t.pnet, t.data, 5);
  double m0 = 0.0, m1 = 0.0;
  int lower = 0;
  for (std::size_t r = 0; r < l0.size(); ++r) {
    m0 += l0[r] / l0.size();
    m1 += l1[r] / l1.size();
    lower += l1[r] < l0[r] ? 1 : 0;
  }
  EXPECT_LT(m1, m0);
  EXPECT_GT(lower, 36);  // at least three quarters of the replicas went down
  std::printf("[ SGD ] mean dataset loss %.5f -> %.5f, %d of %zu replicas lower\n", m0, m1, lower,
              l0.size());
}

TEST(SgdEnsemble, AdaptiveStepHoldsTheTemperature) {
  // Before each step η_r (step_size mode) or B_r (batch_size mode) is set from the estimate Σ̄
  // of that moment: η = 2Bθ/Σ̄ (so ηΣ̄/(2B) = θ to round-off) or B = round(ηΣ̄/(2θ)); scope
  // replica reads the replica's own Σ̄_r, scope map the shared value of its cell. Bit-identical
  // for 1 and 2 threads in both scopes.
  const TeacherProblem t = teacher_problem(1);
  SgdEnsembleOptions o;
  o.step = 0.1;
  o.batch = 8;
  o.relax_steps = 5;
  o.adapt.mode = Adaptation::step_size;
  o.adapt.target = 1e-3;
  o.adapt.max_step = 100.0;
  o.adapt.map_grid = core::make_grid({6}, {3.0}, core::Boundary::box);
  auto start = [] { return gaussian_ensemble(1, 32, {0.0}, {1.0}, 4); };
  for (AdaptScope scope : {AdaptScope::replica, AdaptScope::map}) {
    o.adapt.scope = scope;
    SgdEnsemble s = make_sgd_ensemble(start(), o);
    for (int i = 0; i < 6; ++i) (void)sgd_step(s, t.pnet, t.data, o);
    const std::vector<double> noise = s.noise;
    const std::vector<double> map = s.noise_map;
    const Ensemble before = s.ensemble;
    (void)sgd_step(s, t.pnet, t.data, o);
    for (std::int64_t r = 0; r < 32; ++r) {
      const auto ru = static_cast<std::size_t>(r);
      double estimate = noise[ru];
      if (scope == AdaptScope::map) {
        const std::int64_t c = kernels::flat_cell(o.adapt.map_grid, before.q.data() + r);
        if (c >= 0 && std::isfinite(map[static_cast<std::size_t>(c)]))
          estimate = map[static_cast<std::size_t>(c)];
      }
      EXPECT_NEAR(s.step_size[ru] * estimate / (2.0 * s.batch[ru]), o.adapt.target, 1e-15) << r;
    }
    auto q_of = [&](int threads) {
      return with_threads(threads, [&] {
        SgdEnsemble e = make_sgd_ensemble(start(), o);
        for (int i = 0; i < 6; ++i) (void)sgd_step(e, t.pnet, t.data, o);
        return e.ensemble.q;
      });
    };
    EXPECT_TRUE(bit_identical(q_of(1), q_of(2)));
  }

  SgdEnsembleOptions ob = o;
  ob.adapt.scope = AdaptScope::replica;
  ob.adapt.mode = Adaptation::batch_size;
  ob.adapt.target = 2e-3;
  SgdEnsemble sb = make_sgd_ensemble(start(), ob);
  for (int i = 0; i < 4; ++i) (void)sgd_step(sb, t.pnet, t.data, ob);
  const std::vector<double> noise = sb.noise;
  (void)sgd_step(sb, t.pnet, t.data, ob);
  for (std::size_t r = 0; r < noise.size(); ++r) {
    const double want =
        std::clamp<double>(std::llround(ob.step * noise[r] / (2.0 * ob.adapt.target)),
                           ob.adapt.min_batch, ob.adapt.max_batch);
    EXPECT_EQ(static_cast<double>(sb.batch[r]), want) << r;
  }
}

// ---- Interference detector -----------------------------------------------------------------

TEST(Interference, DetectorSeesInjectedFringesAndNoneInPureNoise) {
  // Positive control: M = 20000 samples of p ∝ N(0, 1)(1 + cos(k₀q)), k₀ = 6, drawn by rejection
  // from N(0, 1) with acceptance (1 + cos k₀q)/2: φ(k₀) = ½ e^{−k₀²/2}·… + ½ (the fringe term),
  // i.e. |φ(k₀)| → ½ (e^{−18} terms negligible). The envelope (no tags: one Gaussian) is ≈ 0,
  // noise = 1/√M, so z ≈ 0.5 √M ≈ 70; demand z > 20 and |φ̂| within 5 noise of ½.
  // Negative control: plain N(0, 1) samples: z < 5 (P(z > 5) = e^{−25}).
  const double k0 = 6.0;
  const std::int64_t m = 20000;
  Ensemble fringe;
  fringe.dims = 1;
  Ensemble plain = gaussian_ensemble(1, m, {0.0}, {1.0}, 77);
  const core::RngStream rng(78, core::StreamTag::user);
  for (std::uint64_t i = 0; static_cast<std::int64_t>(fringe.q.size()) < m; ++i) {
    const double x = rng.normal(0, i);
    if (rng.uniform(1, i) < 0.5 * (1.0 + std::cos(k0 * x))) fringe.q.push_back(x);
  }
  fringe.replicas = m;
  const double noise = 1.0 / std::sqrt(double(m));
  const double env = std::exp(-0.5 * k0 * k0);
  const double a_fringe = std::abs(characteristic_function(fringe, 0, k0) - env);
  const double a_plain = std::abs(characteristic_function(plain, 0, k0) - env);
  EXPECT_NEAR(a_fringe, 0.5, 5.0 * noise);
  EXPECT_GT(a_fringe / noise, 20.0);
  EXPECT_LT(a_plain / noise, 5.0);
}

TEST(Interference, ClassicalOuPacketsAtOverlap) {
  // Two packets at ±3 (sd 0.3) in F = −q²/2 (D = 0.25, γ = 0.5, μ = 2: ħ′ = 0.866): momenta
  // ∇F(∓3) = ±3, ΔP = 6, k_f = 6.93 (spacing 0.907). The packets stay Gaussian, so the
  // two-Gaussian envelope is exact and z measures sampling noise only if the independent
  // replicas carry no fringes: at the largest overlap z < 5 (P(z > 5) ≈ e^{−25} per record).
  const core::Grid g = core::make_grid({512}, {8.0}, core::Boundary::box);
  const FreeEnergyField f = field_from_expression(g, core::Expression("-0.5*q1^2", {"q1"}));
  InterferenceOptions o;
  o.centre1 = {-3.0, 0, 0};
  o.centre2 = {3.0, 0, 0};
  o.replicas = 20000;
  o.dt = 0.01;
  o.steps = 800;  // packet means 3 e^{−γt}: 0.055 at t = 8, where B ≈ 1
  o.record_every = 200;
  o.scan_points = 16;
  const InterferenceResult r = two_packet_interference(f, o);
  EXPECT_NEAR(r.hbar_prime, std::sqrt(0.75), 1e-15);
  EXPECT_NEAR(r.delta_p, 6.0, 1e-9);
  EXPECT_NEAR(r.fringe_spacing, 2.0 * std::numbers::pi * std::sqrt(0.75) / 6.0, 1e-9);
  const std::size_t b = r.best_overlap;
  EXPECT_GT(r.overlap[b], 0.9);
  EXPECT_LT(r.z[b], 5.0);
  std::printf(
      "[ fringes ] t = %.2f overlap B = %.3f: |phi(k_f)| = %.2e, envelope %.1e, noise "
      "%.2e, z = %.2f, quantum B/2 = %.3f; scan max z = %.2f at k = %.2f\n",
      r.time[b], r.overlap[b], r.amplitude[b], r.envelope[b], r.noise[b], r.z[b],
      r.quantum_amplitude[b], r.scan_max_z[b], r.scan_k_at_max[b]);
}

}  // namespace
}  // namespace nnworld::trainable
