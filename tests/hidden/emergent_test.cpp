// Emergent metric (Sec. 9, follow-up claims 3–4): the OU step, the velocity-correlation
// estimator, the Fourier coarse-graining, the geodesic Hamiltonian flow, reproducibility.
#include "nnworld/hidden/emergent.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <numbers>

#include "nnworld/core/rng.hpp"
#include "nnworld/geometry/geodesic.hpp"
#include "nnworld/geometry/torus.hpp"

namespace nnworld::hidden {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

Matrix constant_g() {
  Matrix g(2, 2);
  g << 1.3, 0.4, 0.4, 0.8;
  return g;
}

MetricField constant_field(const Matrix& g) {
  std::vector<std::vector<FourierTerm>> c(3);
  c[0] = {{{0, 0, 0}, g(0, 0), 0.0}};
  c[1] = {{{0, 0, 0}, g(0, 1), 0.0}};
  c[2] = {{{0, 0, 0}, g(1, 1), 0.0}};
  return MetricField::fourier(2, c);
}

// Sample covariance of n draws of p after `steps` OU steps from p0 (p0 = 0 or N(0, Tg)), against
// the closed form Cov = T(1 − c^{2·steps})g (from 0) or Tg (from equilibrium). Tolerance: 5
// standard deviations of the sample covariance entry, sd² = (Σ_aa Σ_bb + Σ_ab²)/n (Gaussian
// fourth moments): a false failure has probability < 1e-6 per entry.
void check_ou(bool from_equilibrium, int steps) {
  const Matrix g = constant_g();
  const double T = 0.7, c = std::exp(-0.3);
  const int n = 100000;
  const core::RngStream rng(5, core::StreamTag::user);
  Matrix s = Matrix::Zero(2, 2);
  for (int i = 0; i < n; ++i) {
    double p[2] = {0.0, 0.0};
    const auto ui = static_cast<std::uint64_t>(i);
    if (from_equilibrium) {
      const double xi[2] = {rng.normal(0, 2 * ui), rng.normal(0, 2 * ui + 1)};
      ou_momentum_step(g, p, T, 0.0, xi);
    }
    for (int k = 1; k <= steps; ++k) {
      const auto uk = static_cast<std::uint64_t>(k);
      const double xi[2] = {rng.normal(uk, 2 * ui), rng.normal(uk, 2 * ui + 1)};
      ou_momentum_step(g, p, T, c, xi);
    }
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) s(a, b) += p[a] * p[b];
  }
  s /= n;
  const Matrix ref = (from_equilibrium ? 1.0 : 1.0 - std::pow(c, 2 * steps)) * T * g;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const double sd = std::sqrt((ref(a, a) * ref(b, b) + ref(a, b) * ref(a, b)) / n);
      EXPECT_LE(std::abs(s(a, b) - ref(a, b)), 5.0 * sd) << a << b << " " << s(a, b);
    }
}

TEST(EmergentMetric, OuStepKeepsThermalMomentumInvariant) {
  check_ou(true, 3);
}

TEST(EmergentMetric, OuStepRelaxesFromRestAsClosedForm) {
  check_ou(false, 2);
}

TEST(EmergentMetric, RandomCosineFieldMatchesGeometryTorus) {
  // Same Philox counters as geometry::random_cosine_metric: equal on grid points up to the
  // rounding of cos(k·x + φ) = cos φ cos(k·x) − sin φ sin(k·x) (a few ulps of O(1) terms).
  const core::Grid grid = geometry::make_torus_grid(2, 16);
  const auto ref = geometry::random_cosine_metric(grid, 0.25, 7);
  const MetricField f = MetricField::random_cosine(2, 0.25, 7);
  double err = 0.0;
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const core::Point x = geometry::torus_point(grid, i);
    const Matrix g = f.value(x.data());
    for (int a = 0; a < 2; ++a)
      for (int b = a; b < 2; ++b) {
        err = std::max(err, std::abs(g(a, b) - ref.component(a, b)[static_cast<std::size_t>(i)]));
      }
  }
  EXPECT_LE(err, 1e-13);
}

TEST(EmergentMetric, FourierJetMatchesFiniteDifference) {
  // Analytic ∂g against a central difference (step 1e-5: truncation ~ k³h²|g| ~ 1e-9, rounding
  // ε/h ~ 1e-11); tolerance 1e-8.
  const MetricField f = MetricField::random_cosine(2, 0.3, 11);
  const double x[2] = {1.1, 4.2};
  Matrix g;
  std::array<Matrix, 3> dg;
  f.jet(x, g, dg);
  const double h = 1e-5;
  for (int c = 0; c < 2; ++c) {
    double xp[2] = {x[0], x[1]}, xm[2] = {x[0], x[1]};
    xp[c] += h;
    xm[c] -= h;
    const Matrix fd = (f.value(xp) - f.value(xm)) / (2 * h);
    EXPECT_LE((fd - dg[static_cast<std::size_t>(c)]).cwiseAbs().maxCoeff(), 1e-8);
  }
}

// α = 0: the Hamiltonian flow of ½g^{μν}p_μp_ν (RK4 on (x, p)) against geometry::
// integrate_geodesic (RK4 on (x, ẋ), Γ by a 6th-order difference) from the same x₀, ẋ₀. Both
// are 4th order: at h = 2e-3 over τ = 2 the global errors are ~ τ h⁴ |x⁽⁵⁾| ~ 1e-11 (|k| ≤ 2,
// |v| ~ 1), Γ's difference error ~1e-12; tolerance 1e-9 on x and ẋ.
void check_geodesic(const MetricField& f) {
  const double h = 2e-3;
  const long steps = 1000;
  double x[2] = {1.0, 2.0};
  const Vector v0 = (Vector(2) << 0.7, -0.4).finished();
  const Vector p0 = f.value(x) * v0;
  double p[2] = {p0(0), p0(1)};
  for (long t = 0; t < steps; ++t) hamilton_rk4_step(f, x, p, h);
  geometry::GeodesicSetup s;
  s.x0 = (Vector(2) << 1.0, 2.0).finished();
  s.u0 = v0;
  s.step = h;
  s.steps = steps;
  s.record_every = steps;
  const geometry::Geodesic geo = geometry::integrate_geodesic(f.to_metric(), s);
  const auto& end = geo.points.back();
  const Vector pv = (Vector(2) << p[0], p[1]).finished();
  const Vector v = f.value(x).ldlt().solve(pv);
  for (int a = 0; a < 2; ++a) {
    EXPECT_NEAR(x[a], end.x(a), 1e-9);
    EXPECT_NEAR(v(a), end.u(a), 1e-9);
  }
  // And the flow is not trivial: the geodesic bends away from the straight line.
  EXPECT_GT(std::hypot(end.x(0) - (1.0 + 2 * 0.7), end.x(1) - (2.0 - 2 * 0.4)), 1e-3);
}

TEST(EmergentMetric, HamiltonFlowIsGeodesicRandomCosine) {
  check_geodesic(MetricField::random_cosine(2, 0.3, 3));
}

TEST(EmergentMetric, HamiltonFlowIsGeodesicConformal) {
  check_geodesic(MetricField::conformal(2, "0.3*sin(x)*cos(2*y) + 0.2*cos(x+y)"));
}

GasSetup small_gas() {
  GasSetup s;
  s.neurons = 512;
  s.temperature = 0.5;
  s.gamma = 2.0;
  s.step = 0.1;
  s.burn_in = 0;
  s.samples = 40;
  s.sample_every = 5;
  s.bins = 2;
  s.batches = 16;
  s.seed = 9;
  return s;
}

TEST(EmergentMetric, EstimatorRecoversConstantMetric) {
  // For a constant g the cell target is g itself, and each ĝ_cell is within 5 jackknife se
  // (t with 15 dof: P(|t| > 5) ≈ 2e-4 per entry, 12 entries).
  const Matrix g = constant_g();
  const GasSetup s = small_gas();
  const CellEstimate e = simulate_gas(constant_field(g), s);
  ASSERT_EQ(e.valid_cells, 4);
  double max_se = 0.0;
  for (std::size_t c = 0; c < 4; ++c) {
    for (int a = 0; a < 2; ++a)
      for (int b = a; b < 2; ++b) {
        const auto k = static_cast<std::size_t>(packed_index(2, a, b));
        EXPECT_NEAR(e.target[c][k], g(a, b), 1e-13);
        EXPECT_LE(std::abs(e.g_hat[c][k] - g(a, b)), 5.0 * e.g_se[c][k]);
        max_se = std::max(max_se, e.g_se[c][k]);
      }
  }
  EXPECT_EQ(e.n_samples, s.neurons * s.samples);
  // K = 0 fit: the count-weighted mean of the cells, whose se is ≤ the largest cell se.
  const MetricField fit = fit_fourier(e, 2, s.bins, 0);
  const double x[2] = {0.3, 5.0};
  const Matrix gf = fit.value(x);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) EXPECT_LE(std::abs(gf(a, b) - g(a, b)), 5.0 * max_se);
  // The statistical error is small in absolute terms too (≈ √(2/n_cell) relative).
  EXPECT_LT(max_se, 0.05);
}

TEST(EmergentMetric, EstimatorRecoversConstantMetricInThreeDimensions) {
  // D = 3 (six packed components, 2³ cells): every ĝ_cell within 5 jackknife se of g
  // (t with 15 dof: P(|t| > 5) ≈ 2e-4 per entry, 48 entries).
  Matrix g(3, 3);
  g << 1.2, 0.2, -0.1, 0.2, 0.9, 0.15, -0.1, 0.15, 1.1;
  std::vector<std::vector<FourierTerm>> c(6);
  for (int a = 0; a < 3; ++a)
    for (int b = a; b < 3; ++b) {
      c[static_cast<std::size_t>(packed_index(3, a, b))] = {{{0, 0, 0}, g(a, b), 0.0}};
    }
  GasSetup s = small_gas();
  s.neurons = 1024;
  const CellEstimate e = simulate_gas(MetricField::fourier(3, c), s);
  ASSERT_EQ(e.valid_cells, 8);
  for (std::size_t cell = 0; cell < 8; ++cell) {
    for (int a = 0; a < 3; ++a)
      for (int b = a; b < 3; ++b) {
        const auto k = static_cast<std::size_t>(packed_index(3, a, b));
        EXPECT_LE(std::abs(e.g_hat[cell][k] - g(a, b)), 5.0 * e.g_se[cell][k]);
      }
  }
}

TEST(EmergentMetric, FourierFitRecoversBandLimitedFieldFromCellAverages) {
  // Exact cell averages (8-point Gauss–Legendre per axis: exact to ~1e-14 for |k| ≤ 2 over a
  // cell of width π/4) of a band-limited field with |k|∞ ≤ 2; the fit with K = 2 and the
  // cell-average factors must return the field itself (to the quadrature and solve rounding).
  const MetricField f = MetricField::random_cosine(2, 0.25, 21);
  const int B = 8;
  const double gl_x[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290,
                          -0.1834346424956498, 0.1834346424956498,  0.5255324099163290,
                          0.7966664774136267,  0.9602898564975363};
  const double gl_w[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873,
                          0.3626837833783620, 0.3626837833783620, 0.3137066458778873,
                          0.2223810344533745, 0.1012285362903763};
  CellEstimate e;
  const double w = kTwoPi / B;
  for (int i = 0; i < B; ++i)
    for (int j = 0; j < B; ++j) {
      std::vector<double> avg(3, 0.0);
      for (int u = 0; u < 8; ++u)
        for (int v = 0; v < 8; ++v) {
          const double x[2] = {(i + 0.5 + 0.5 * gl_x[u]) * w, (j + 0.5 + 0.5 * gl_x[v]) * w};
          const Matrix g = f.value(x);
          const double wt = 0.25 * gl_w[u] * gl_w[v];
          avg[0] += wt * g(0, 0);
          avg[1] += wt * g(0, 1);
          avg[2] += wt * g(1, 1);
        }
      e.counts.push_back(1.0 + i);  // uneven weights: the fit is exact for any weights
      e.g_hat.push_back(avg);
      e.centres.push_back({(i + 0.5) * w, (j + 0.5) * w, 0.0});
    }
  const MetricField fit = fit_fourier(e, 2, B, 2);
  double err = 0.0;
  for (int t = 0; t < 50; ++t) {
    const double x[2] = {0.13 * t, 0.71 * t + 0.2};
    err = std::max(err, (fit.value(x) - f.value(x)).cwiseAbs().maxCoeff());
  }
  EXPECT_LE(err, 1e-11);
}

TEST(EmergentMetric, ClusterCentroidInFlatMetricIsStraight) {
  // Constant g: the ring forces cancel in Σp (1ᵀĜ = 0) and the metric forces vanish, so each
  // replica's centroid moves exactly on X̄(0) + V̄(0)τ; the replica mean differs from X₀ + V₀τ
  // only by the initial scatter: within 5 se per axis and time.
  ExcitationSetup s;
  s.cluster = 8;
  s.alpha = 2.0;
  s.spread = 0.1;
  s.temperature = 0.01;
  s.x0 = {1.0, 2.0};
  s.v0 = {0.5, 0.2};
  s.step = 0.02;
  s.steps = 200;
  s.record_every = 20;
  s.replicas = 32;
  const ExcitationRun r = simulate_excitation(constant_field(constant_g()), s);
  ASSERT_EQ(r.tau.size(), 11U);
  for (std::size_t t = 0; t < r.tau.size(); ++t) {
    for (int a = 0; a < 2; ++a) {
      const double line = s.x0[a] + s.v0[a] * r.tau[t];
      EXPECT_LE(std::abs(r.mean[t][a] - line), 5.0 * r.se[t][a]) << t;
    }
  }
  // RK4 at h·2α = 0.08 conserves the energy to ~ (0.08)⁴ relative per unit time.
  EXPECT_LT(r.max_energy_drift, 1e-6);
}

TEST(EmergentMetric, CovariantRingConservesEnergy) {
  // The covariant ring U = (α²/2)Σ Δᵀg(m)Δ in a curved conformal field: RK4 conserves
  // H = Σ½pᵀg⁻¹p + U only if the coded forces are −∂U/∂x (an error in the ∂g term would give
  // O(1) drift). RK4 at h = 0.01, h·ω_max ≈ 0.01·2α·e^{−φ_min} ≲ 0.07: drift ~ (hω)⁴ ≲ 1e-5
  // relative over the run; tolerance 1e-5. The flat ring in the same field too.
  ExcitationSetup s;
  s.cluster = 8;
  s.alpha = 2.0;
  s.spread = 0.2;
  s.temperature = 0.01;
  s.x0 = {1.0, 2.0};
  s.v0 = {0.5, 0.2};
  s.step = 0.01;
  s.steps = 300;
  s.record_every = 30;
  s.replicas = 4;
  const MetricField f = MetricField::conformal(2, "0.3*sin(x)*cos(2*y) + 0.2*cos(x+y)");
  s.metric_coupling = true;
  const ExcitationRun a = simulate_excitation(f, s);
  EXPECT_LT(a.max_energy_drift, 1e-5);
  s.metric_coupling = false;
  const ExcitationRun b = simulate_excitation(f, s);
  EXPECT_LT(b.max_energy_drift, 1e-5);
  // For g = δ the two couplings are the same Hamiltonian (to rounding).
  const Matrix I = Matrix::Identity(2, 2);
  s.metric_coupling = true;
  const ExcitationRun c = simulate_excitation(constant_field(I), s);
  s.metric_coupling = false;
  const ExcitationRun d = simulate_excitation(constant_field(I), s);
  for (std::size_t t = 0; t < c.mean.size(); ++t) {
    for (int k = 0; k < 2; ++k) EXPECT_NEAR(c.mean[t][k], d.mean[t][k], 1e-12);
  }
}

TEST(EmergentMetric, ReproducibleAndThreadIndependent) {
  const MetricField f = MetricField::random_cosine(2, 0.3, 4);
  GasSetup s = small_gas();
  s.neurons = 128;
  s.samples = 10;
  s.bins = 4;
  s.batches = 8;
  ExcitationSetup x;
  x.cluster = 4;
  x.x0 = {1.0, 1.0};
  x.v0 = {0.3, 0.1};
  x.steps = 50;
  x.replicas = 8;
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const CellEstimate a = simulate_gas(f, s);
  const ExcitationRun ra = simulate_excitation(f, x);
  omp_set_num_threads(2);
  const CellEstimate b = simulate_gas(f, s);
  const ExcitationRun rb = simulate_excitation(f, x);
  omp_set_num_threads(saved);
  EXPECT_EQ(a.counts, b.counts);
  for (std::size_t c = 0; c < a.g_hat.size(); ++c) {
    for (std::size_t k = 0; k < 3; ++k) {
      // NaN (a cell without an estimate) compares unequal: compare bit patterns.
      EXPECT_EQ(std::isnan(a.g_hat[c][k]), std::isnan(b.g_hat[c][k]));
      if (!std::isnan(a.g_hat[c][k])) {
        EXPECT_EQ(a.g_hat[c][k], b.g_hat[c][k]);
      }
    }
  }
  EXPECT_EQ(a.chi2_per_dof, b.chi2_per_dof);
  EXPECT_EQ(ra.mean, rb.mean);
  EXPECT_EQ(ra.se, rb.se);
  s.seed = 10;
  const CellEstimate c = simulate_gas(f, s);
  EXPECT_NE(a.chi2_per_dof, c.chi2_per_dof);
}

}  // namespace
}  // namespace nnworld::hidden
