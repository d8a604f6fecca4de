// Annealed importance sampling of log Z (paper (5)–(6)) and of U (10), S_x (13).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "nnworld/core/error.hpp"
#include "nnworld/thermo/annealed.hpp"
#include "sampling_fixtures.hpp"

namespace nnworld::thermo {
namespace {

// T2.3: for a linear network the Laplace Gaussian is the target itself, so every AIS weight is
// the exact normaliser: log Z = 1.9184308409118 (spec) to floating-point accuracy.
TEST(Ais, T23LaplaceBaseIsExactForLinearNetwork) {
  AisOptions opt;
  opt.beta = 3.0;
  opt.particles = 16;
  opt.temperatures = 5;
  const AisResult r = ais_log_z(testing::t23_linear_network(), opt);
  EXPECT_EQ(r.base, "laplace");
  EXPECT_NEAR(r.log_z, 1.9184308409118, 1e-10);
  EXPECT_LT(r.log_z_stderr, 1e-10);
  EXPECT_NEAR(r.laplace_log_z, 1.9184308409118, 1e-10);
}

// T2.3 again from a wide isotropic base N(x*, σ²I), σ² = 1/(β λ_min): a genuine annealing.
// Oracle log Z = 1.9184308409118, U = N/(2β) = 2/3, S_x = βU + log Z; 5 standard errors, and the
// standard error must be < 0.01 so that the comparison has teeth.
TEST(Ais, T23IsotropicBaseMatchesExactLogZ) {
  AisOptions opt;
  opt.beta = 3.0;
  opt.base = AisBase::isotropic;
  opt.particles = 1000;
  opt.temperatures = 200;
  opt.seed = 11;
  const AisResult r = ais_log_z(testing::t23_linear_network(), opt);
  EXPECT_EQ(r.base, "isotropic");
  const double exact = 1.9184308409118;
  EXPECT_NEAR(r.log_z, exact, 5.0 * r.log_z_stderr);
  EXPECT_LT(r.log_z_stderr, 0.01);
  EXPECT_NEAR(r.mean_h, 4.0 / 6.0, 5.0 * r.mean_h_stderr);
  EXPECT_NEAR(r.entropy, 3.0 * 4.0 / 6.0 + exact, 5.0 * r.entropy_stderr);
  EXPECT_NEAR(r.free_energy, -exact / 3.0, 5.0 * r.free_energy_stderr);
}

// T2.4 tanh N = 2 (b = 0, m = 0): exact log Z from 2-D quadrature (spec table). At β = 1 the
// Laplace value is 0.0077 away, so stderr < 0.0015 makes the estimate resolve Laplace's error.
TEST(Ais, T24TanhMatchesQuadrature) {
  const network::Network net = testing::t24_tanh_network();
  struct Case {
    double beta, exact, laplace, max_stderr;
  };
  for (const Case c : {Case{1.0, 2.1046083664, 2.1123139121, 0.0015},
                       Case{10.0, -0.1888752739, -0.1902711809, 0.0015}}) {
    AisOptions opt;
    opt.beta = c.beta;
    opt.particles = 1024;
    opt.temperatures = 60;
    opt.seed = 5;
    const AisResult r = ais_log_z(net, opt);
    EXPECT_EQ(r.base, "laplace");
    EXPECT_NEAR(r.laplace_log_z, c.laplace, 1e-9) << c.beta;
    EXPECT_NEAR(r.log_z, c.exact, 5.0 * r.log_z_stderr) << c.beta;
    EXPECT_LT(r.log_z_stderr, c.max_stderr) << c.beta;
    if (c.beta == 1.0) {
      EXPECT_GT(std::abs(r.log_z - c.laplace), 3.0 * r.log_z_stderr);
    }
  }
}

// T3.1: the same network at β = 5 (quadrature): F = −0.1009420805, U = 0.2000251049,
// S_x = 1.5048359268. 5 standard errors.
TEST(Ais, T31ThermodynamicIdentities) {
  AisOptions opt;
  opt.beta = 5.0;
  opt.particles = 1024;
  opt.temperatures = 40;
  opt.seed = 9;
  const AisResult r = ais_log_z(testing::t24_tanh_network(), opt);
  EXPECT_NEAR(r.free_energy, -0.1009420805, 5.0 * r.free_energy_stderr);
  EXPECT_NEAR(r.mean_h, 0.2000251049, 5.0 * r.mean_h_stderr);
  EXPECT_NEAR(r.entropy, 1.5048359268, 5.0 * r.entropy_stderr);
  EXPECT_LT(r.mean_h_stderr, 0.01);
  EXPECT_LT(r.entropy_stderr, 0.05);
}

// N = 1, w = 1, tanh: Ĝ(0) = 0 (zero mode). The base falls back to an isotropic Gaussian, and
// the estimate still matches the quadrature value Z = 2.42062561 at β = 10 (spec T2.6).
TEST(Ais, T26ZeroModeUsesIsotropicBase) {
  AisOptions opt;
  opt.beta = 10.0;
  opt.particles = 400;
  opt.temperatures = 60;
  const AisResult r =
      ais_log_z(testing::dense_network(1, {1.0}, network::ActivationKind::tanh), opt);
  EXPECT_EQ(r.base, "isotropic");
  EXPECT_FALSE(r.base_note.empty());
  EXPECT_NEAR(r.log_z, std::log(2.42062561), 5.0 * r.log_z_stderr);
  EXPECT_LT(r.log_z_stderr, 0.02);
}

TEST(Ais, IdenticalBitsForAnyThreadCount) {
  AisOptions opt;
  opt.beta = 2.0;
  opt.particles = 12;
  opt.temperatures = 10;
  const network::Network net = testing::t24_tanh_network();
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const AisResult a = ais_log_z(net, opt);
  omp_set_num_threads(2);
  const AisResult b = ais_log_z(net, opt);
  omp_set_num_threads(saved);
  ASSERT_EQ(a.log_weights.size(), b.log_weights.size());
  EXPECT_EQ(0, std::memcmp(a.log_weights.data(), b.log_weights.data(),
                           a.log_weights.size() * sizeof(double)));
  EXPECT_EQ(a.log_z, b.log_z);
  EXPECT_EQ(a.mean_h, b.mean_h);
}

TEST(Ais, InvalidInputsThrow) {
  const network::Network net = testing::t24_tanh_network();
  auto bad = [&](auto edit) {
    AisOptions opt;
    opt.particles = 4;
    opt.temperatures = 2;
    edit(opt);
    EXPECT_THROW(ais_log_z(net, opt), nnworld::Error);
  };
  bad([](AisOptions& o) { o.beta = 0.0; });
  bad([](AisOptions& o) { o.beta = -2.0; });
  bad([](AisOptions& o) { o.particles = 1; });
  bad([](AisOptions& o) { o.temperatures = 0; });
  bad([](AisOptions& o) { o.transitions = 0; });
  bad([](AisOptions& o) { o.leapfrog_steps = 0; });
  bad([](AisOptions& o) { o.step_scale = 0.0; });
  bad([](AisOptions& o) { o.schedule_power = -1.0; });
  AisOptions opt;
  opt.particles = 4;
  opt.temperatures = 2;
  // Z = ∞: tanh with m ≥ 1, and a linear permutation network (Ĝ has a zero mode).
  network::Network heavy = net;
  heavy.mass = 1.0;
  EXPECT_THROW(ais_log_z(heavy, opt), nnworld::Error);
  const network::Network perm =
      testing::dense_network(2, {0, 1, 1, 0}, network::ActivationKind::linear);
  EXPECT_THROW(ais_log_z(perm, opt), nnworld::Error);
  // A Laplace base cannot be forced where there is a zero mode.
  opt.base = AisBase::laplace;
  EXPECT_THROW(ais_log_z(testing::dense_network(1, {1.0}, network::ActivationKind::tanh), opt),
               nnworld::Error);
}

}  // namespace
}  // namespace nnworld::thermo
