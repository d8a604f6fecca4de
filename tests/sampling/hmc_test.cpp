// HMC for the canonical ensemble p(x) ∝ e^{−βH(x)} (paper (5)).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "nnworld/core/error.hpp"
#include "nnworld/core/rng.hpp"
#include "nnworld/thermo/sampler.hpp"
#include "sampling_fixtures.hpp"

namespace nnworld::thermo {
namespace {

// Linear f, b = 0: H = ½xᵀ(Ĝ − mI)x exactly, so p = N(0, Σ), Σ = (β(Ĝ − mI))⁻¹,
// ⟨H⟩ = N/(2β) and C = β²Var(H) = N/2 (χ² with N degrees of freedom). Tolerances: 5 standard
// errors, each from the effective sample size of the series concerned (Geyer ESS).
TEST(Hmc, LinearNetworkMatchesGaussianClosedForm) {
  const network::Network net = testing::t23_linear_network();
  const double beta = 3.0;
  HmcOptions opt;
  opt.beta = beta;
  opt.chains = 4;
  opt.warmup = 300;
  opt.samples = 2500;
  opt.leapfrog_steps = 8;
  opt.record_x = true;
  opt.seed = 7;
  const HmcResult r = hmc_sample(net, opt);
  const int n = 4;
  const Matrix g = network::g_matrix(net, Vector::Zero(n));
  const Matrix sigma = (beta * g).inverse();

  EXPECT_GT(r.acceptance, 0.6);
  EXPECT_LT(r.acceptance, 0.97);
  EXPECT_GT(r.ess_h, 1000.0);  // the test is informative only with a reasonable ESS
  EXPECT_NEAR(r.mean_h, n / (2.0 * beta), 5.0 * r.mean_h_stderr);
  EXPECT_LT(r.mean_h_stderr, 0.02);
  EXPECT_NEAR(r.heat_capacity, n / 2.0, 5.0 * r.heat_capacity_stderr);
  EXPECT_LT(r.r_hat_h, 1.05);
  for (int i = 0; i < n; ++i) {
    EXPECT_LT(r.r_hat_x[i], 1.05);
    // Mean: stderr √(Σ_ii / ESS_i).
    double ess_i = 0.0;
    for (const HmcChain& ch : r.chains) {
      std::vector<double> xi(ch.x.cols());
      for (Eigen::Index t = 0; t < ch.x.cols(); ++t) xi[t] = ch.x(i, t);
      ess_i += effective_sample_size(xi);
    }
    EXPECT_NEAR(r.mean_x[i], 0.0, 5.0 * std::sqrt(sigma(i, i) / ess_i)) << i;
    for (int j = i; j < n; ++j) {
      // Covariance: series q_t = x_i x_j, Var(q) = Σ_ii Σ_jj + Σ_ij² for a Gaussian.
      double ess = 0.0;
      for (const HmcChain& ch : r.chains) {
        std::vector<double> q(ch.x.cols());
        for (Eigen::Index t = 0; t < ch.x.cols(); ++t) q[t] = ch.x(i, t) * ch.x(j, t);
        ess += effective_sample_size(q);
      }
      const double se = std::sqrt((sigma(i, i) * sigma(j, j) + sigma(i, j) * sigma(i, j)) / ess);
      EXPECT_NEAR(r.cov_x(i, j), sigma(i, j), 5.0 * se) << i << "," << j;
    }
  }
}

// Independent draws have ESS ≈ n; an AR(1) chain with coefficient φ has
// ESS = n (1 − φ)/(1 + φ). Tolerance 20%: the ESS estimate itself fluctuates by ~10% here.
TEST(Hmc, EffectiveSampleSizeOfAr1) {
  const core::RngStream rng(3, core::StreamTag::user);
  const std::size_t n = 20000;
  std::vector<double> iid(n);
  std::vector<double> ar(n);
  const double phi = 0.8;
  double prev = 0.0;
  for (std::size_t t = 0; t < n; ++t) {
    iid[t] = rng.normal(t, 0);
    prev = phi * prev + std::sqrt(1 - phi * phi) * rng.normal(t, 1);
    ar[t] = prev;
  }
  EXPECT_NEAR(effective_sample_size(iid) / n, 1.0, 0.2);
  EXPECT_NEAR(effective_sample_size(ar) / (n * (1 - phi) / (1 + phi)), 1.0, 0.2);
}

// w = 2 (N = 1), tanh, b = 0: x = tanh(2x) has minima x = ±0.957504 with H = 0, separated by
// βH ≈ β·0.03 at x = ±0.5; at β = 2000 with a tiny step no chain crosses, so chains started in
// different minima disagree: R̂ of x ≫ 1.1. (R̂ of H stays ≈ 1 by the symmetry x → −x.)
TEST(Hmc, SplitRhatDetectsChainsInDifferentModes) {
  const network::Network net = testing::dense_network(1, {2.0}, network::ActivationKind::tanh);
  HmcOptions opt;
  opt.beta = 2000.0;
  opt.chains = 2;
  opt.adapt_step_size = false;
  opt.step_size = 0.002;
  opt.leapfrog_steps = 5;
  opt.warmup = 0;
  opt.samples = 400;
  opt.record_x = true;
  opt.starts = {Vector::Constant(1, 0.957504), Vector::Constant(1, -0.957504)};
  const HmcResult r = hmc_sample(net, opt);
  EXPECT_GT(r.r_hat_x[0], 1.1);
  EXPECT_GT(r.chains[0].sum_x[0], 0.0);
  EXPECT_LT(r.chains[1].sum_x[0], 0.0);
}

TEST(Hmc, IdenticalBitsForAnyThreadCount) {
  const network::Network net = testing::t24_tanh_network();
  HmcOptions opt;
  opt.beta = 2.0;
  opt.chains = 3;
  opt.warmup = 50;
  opt.samples = 200;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const HmcResult a = hmc_sample(net, opt);
  omp_set_num_threads(2);
  const HmcResult b = hmc_sample(net, opt);
  omp_set_num_threads(saved);
  for (std::size_t c = 0; c < a.chains.size(); ++c) {
    ASSERT_EQ(a.chains[c].h.size(), b.chains[c].h.size());
    EXPECT_EQ(0, std::memcmp(a.chains[c].h.data(), b.chains[c].h.data(),
                             a.chains[c].h.size() * sizeof(double)));
    EXPECT_EQ(a.chains[c].step_size, b.chains[c].step_size);
  }
  EXPECT_EQ(a.mean_h, b.mean_h);
  EXPECT_EQ(a.ess_h, b.ess_h);
  // Different chains use different streams.
  EXPECT_NE(a.chains[0].h[10], a.chains[1].h[10]);
}

TEST(Hmc, InvalidOptionsThrow) {
  const network::Network net = testing::t24_tanh_network();
  auto bad = [&](auto edit) {
    HmcOptions opt;
    opt.warmup = 10;
    opt.samples = 10;
    edit(opt);
    EXPECT_THROW(hmc_sample(net, opt), nnworld::Error);
  };
  bad([](HmcOptions& o) { o.beta = 0.0; });
  bad([](HmcOptions& o) { o.beta = -1.0; });
  bad([](HmcOptions& o) { o.beta = std::nan(""); });
  bad([](HmcOptions& o) { o.step_size = 0.0; });
  bad([](HmcOptions& o) { o.leapfrog_steps = 0; });
  bad([](HmcOptions& o) { o.chains = 0; });
  bad([](HmcOptions& o) { o.samples = 3; });
  bad([](HmcOptions& o) { o.warmup = -1; });
  bad([](HmcOptions& o) { o.target_acceptance = 1.0; });
  bad([](HmcOptions& o) { o.step_jitter = 1.0; });
  bad([](HmcOptions& o) { o.starts = {Vector::Zero(2)}; });  // 4 chains, 1 start
  bad([](HmcOptions& o) {
    o.chains = 1;
    o.starts = {Vector::Zero(3)};
  });
  EXPECT_THROW(split_r_hat({}), nnworld::Error);
  EXPECT_THROW(effective_sample_size({1.0, 2.0}), nnworld::Error);
}

}  // namespace
}  // namespace nnworld::thermo
